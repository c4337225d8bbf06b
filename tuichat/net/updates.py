"""What the server says, typed: one frozen dataclass per server-to-client frame.

python-hyper/h11's ``_events.py`` is the model. ``update_parser.parse_update`` makes
these from frames, once, at the edge (the connection's reader threads), checking each
field it reads, so the code behind it (the session, the link, the screen) trusts what it
gets and never looks into a dict.

Rooms (extension ``rooms``): frames about the default room carry no ``room`` key, so
``parse_update`` reads an absent room as the default room the welcome named; every
update about a room names it. A notice is the exception: one without ``room`` is about
no room in particular (``room`` None), and goes where the user is.
"""

from __future__ import annotations

from dataclasses import dataclass

Ref = str | int | None
"""The client's ``ref`` echoed back (a string or a number), or None."""


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as ``welcome``, ``join``, ``user_changed`` and ``whois`` describe them."""

    name: str
    avatar: str | None = None
    admin: bool = False
    away: str | None = None


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A stored chat line (``message``, and the items of every history)."""

    room: str
    sender: str
    text: str
    ts: float = 0.0
    seq: int | None = None
    """None for lines without a place in the history (a loaded file's Console lines)."""
    avatar: str | None = None
    action: bool = False
    ref: Ref = None
    replay: bool = False
    """Part of a welcome (or ``room_joined``) too big for one frame, not live traffic."""


@dataclass(frozen=True, slots=True)
class Welcome:
    """The answer to ``hello``: who we are, what the server adds, the default room."""

    name: str
    session: str
    room: str
    """The default room's name (``#lobby`` from a server without rooms)."""
    version: int = 1
    server: str = ""
    admin: bool = False
    avatar: str | None = None
    console_avatar: str | None = None
    extensions: frozenset[str] = frozenset()
    epoch: str | None = None
    topic: str | None = None
    motd: str | None = None
    users: tuple[UserRecord, ...] = ()
    history: tuple[ChatMessage, ...] = ()
    history_truncated: bool = False
    history_replaced: bool = False
    """Not on the wire: the session's finding that this history is another than the
    one it knew (another epoch), so it replaces what is shown."""


@dataclass(frozen=True, slots=True)
class RoomJoined:
    """We are in ``room`` now: its topic, users and history (like a welcome)."""

    room: str
    topic: str | None = None
    motd: str | None = None
    epoch: str | None = None
    users: tuple[UserRecord, ...] = ()
    history: tuple[ChatMessage, ...] = ()
    history_truncated: bool = False
    history_replaced: bool = False
    """As in ``Welcome``: set by the session, never sent."""


@dataclass(frozen=True, slots=True)
class RoomParted:
    """We have left ``room``."""

    room: str


@dataclass(frozen=True, slots=True)
class TopicChanged:
    """``room``'s topic is now ``text`` (None: cleared), set by ``by``."""

    room: str
    text: str | None
    by: str | None = None


@dataclass(frozen=True, slots=True)
class RoomInfo:
    """One room of a ``rooms`` answer."""

    room: str
    members: int
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class RoomsListed:
    """Every room on the server, sorted by name (the answer to ``list_rooms``)."""

    rooms: tuple[RoomInfo, ...]


@dataclass(frozen=True, slots=True)
class PrivateMessage:
    """A private message, to us or our own copy; never stored."""

    sender: str
    to: str
    text: str
    ts: float = 0.0
    avatar: str | None = None
    ref: Ref = None


@dataclass(frozen=True, slots=True)
class Notice:
    """A line from the server to us alone."""

    text: str
    level: str = "info"
    motd: bool = False
    ref: Ref = None
    room: str | None = None
    """The room the notice is about; None when the frame names none."""

    @property
    def error(self) -> bool:
        return self.level == "error"


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """An ``error`` frame: a refusal, or why the session ends."""

    code: str
    text: str
    ref: Ref = None
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryBatch:
    """More of ``room``'s history, or (``reset``) a history that replaces it."""

    room: str
    messages: tuple[ChatMessage, ...]
    reset: bool = False


@dataclass(frozen=True, slots=True)
class UserJoined:
    """``user`` is in ``room`` now: arrived, already there (``present``) or renamed."""

    room: str
    user: UserRecord
    present: bool = False
    renamed_from: str | None = None


@dataclass(frozen=True, slots=True)
class UserLeft:
    """``name`` left ``room``: ended, parted, renamed (``renamed_to``) or kicked."""

    room: str
    name: str
    reason: str = "quit"
    renamed_to: str | None = None
    parted: bool = False
    by: str | None = None
    text: str | None = None
    banned: bool = False


@dataclass(frozen=True, slots=True)
class UserChanged:
    """A user's record changed (admin, away); server-wide."""

    user: UserRecord


@dataclass(frozen=True, slots=True)
class AvatarChanged:
    """``name`` has a new picture; server-wide."""

    name: str
    avatar: str | None
    unchanged: bool = False


@dataclass(frozen=True, slots=True)
class WhoisAnswer:
    """Who a user is: their record, since when they are here, where, in which rooms."""

    user: UserRecord
    joined: float | None = None
    address: str | None = None
    rooms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AvatarBytes:
    """A picture we asked for, by its hash (image channel)."""

    sha256: str
    png: bytes


@dataclass(frozen=True, slots=True)
class Shutdown:
    """The server is going down; ``text`` says why."""

    text: str


@dataclass(frozen=True, slots=True)
class Ping:
    """Keep-alive: answered with ``pong`` and the same ``n``."""

    n: int | None = None


@dataclass(frozen=True, slots=True)
class Attached:
    """The server took our ``attach`` on ``channel``."""

    channel: str


@dataclass(frozen=True, slots=True)
class Unrecognised:
    """A frame type this client does not know (a newer server's)."""

    type: str


Update = (ChatMessage | Welcome | RoomJoined | RoomParted | TopicChanged | RoomsListed
          | PrivateMessage | Notice | ErrorReport | HistoryBatch | UserJoined | UserLeft
          | UserChanged | AvatarChanged | WhoisAnswer | AvatarBytes | Shutdown | Ping
          | Attached | Unrecognised)
