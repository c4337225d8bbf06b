"""What a door asks of the core: one frozen dataclass per request, validated when made.

A door reads its wire, then builds one of these; a value that breaks a rule of the chat
raises ``RequestError`` (its text says why, in a few words), so the door can word the
refusal and nothing invalid ever reaches the core. Only ``Unreadable`` carries a refusal
in: a line the door could not make a request of, which the core still counts against
the sender's allowance before it answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from tuichat.net.frames import away_problem, text_problem, topic_problem
from tuichat.net.names import name_problem, normalize_name
from tuichat.net.rooms import room_problem

Ref = int | str
"""A client's tag for one of its lines, echoed on the answers to it."""


class RequestError(ValueError):
    """A request that breaks a rule; ``str()`` is the rule, e.g. ``the text is empty``."""


def _check(problem: str | None) -> None:
    if problem is not None:
        raise RequestError(problem)


def _checked_name(name: str) -> str:
    """``name`` in NFC, if it follows the name rules."""
    normal = normalize_name(name)
    _check(name_problem(normal))
    return normal


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a member's log of one room ends: replay what came after ``since`` (of
    ``epoch``), or the newest messages when ``since`` is None. ``unusable`` when the
    client gave a point that cannot be one (a negative or non-integer ``since``)."""

    since: int | None = None
    epoch: str | None = None
    unusable: bool = False


@dataclass(frozen=True, slots=True)
class RoomEntry:
    """A room to (re)join on arrival, and where the member's log of it ends."""

    room: str
    resume: Resume = Resume()

    def __post_init__(self) -> None:
        _check(room_problem(self.room))


@dataclass(frozen=True, slots=True)
class Arrival:
    """A user asks to come in under ``name`` (normalised to NFC here)."""

    name: str
    password: str | None = None
    admin_password: str | None = None
    avatar: str | None = None
    """A stored avatar's hash the user already has (checked by the door)."""
    resume: Resume = Resume()
    """Where its log of the default room ends."""
    rooms: tuple[RoomEntry, ...] = ()
    """Other rooms to join at once, in order."""
    ticket: str | None = None
    """A one-time ticket from another door (the SSH door) that vouches for the user: it
    comes in as that door's ``Identity`` (its address, its admin right, no password)."""
    enter_default_room: bool = True
    """False: the member is counted in but enters no room until it joins one (IRC
    clients, which choose their own channels)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _checked_name(self.name))


@dataclass(frozen=True, slots=True)
class Say:
    """A chat line (an emote with ``action``) to a room."""

    room: str
    text: str
    ref: Ref | None = None
    action: bool = False

    def __post_init__(self) -> None:
        _check(room_problem(self.room) or text_problem(self.text))


@dataclass(frozen=True, slots=True)
class Command:
    """A command line typed in a room (the admin commands); ``ref`` when it came as a
    chat line (its refusal for flooding carries it)."""

    room: str
    line: str
    ref: Ref | None = None

    def __post_init__(self) -> None:
        _check(room_problem(self.room))


@dataclass(frozen=True, slots=True)
class Private:
    """A private message to the user named ``to``."""

    to: str
    text: str
    ref: Ref | None = None

    def __post_init__(self) -> None:
        _check(text_problem(self.text))


@dataclass(frozen=True, slots=True)
class Rename:
    """Take the name ``name`` (normalised to NFC here)."""

    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _checked_name(self.name))


@dataclass(frozen=True, slots=True)
class SetAway:
    """Set the away text, or come back (None; an empty text is None too)."""

    text: str | None

    def __post_init__(self) -> None:
        if self.text == "":
            object.__setattr__(self, "text", None)
        if self.text is not None:
            _check(away_problem(self.text))


@dataclass(frozen=True, slots=True)
class Whois:
    """Ask about the user named ``name``."""

    name: str


@dataclass(frozen=True, slots=True)
class JoinRoom:
    """Enter a room (made on first join)."""

    room: str

    def __post_init__(self) -> None:
        _check(room_problem(self.room))


@dataclass(frozen=True, slots=True)
class PartRoom:
    """Leave a room."""

    room: str

    def __post_init__(self) -> None:
        _check(room_problem(self.room))


@dataclass(frozen=True, slots=True)
class SetTopic:
    """Set a room's topic, or clear it (None; an empty text is None too)."""

    room: str
    text: str | None

    def __post_init__(self) -> None:
        if self.text == "":
            object.__setattr__(self, "text", None)
        _check(room_problem(self.room))
        if self.text is not None:
            _check(topic_problem(self.text))


@dataclass(frozen=True, slots=True)
class RemoveFromRoom:
    """Take the member named ``name`` out of ``room`` (a keeper's or admin's right),
    telling everyone ``text`` (None: no reason given)."""

    room: str
    name: str
    text: str | None = None

    def __post_init__(self) -> None:
        if self.text == "":
            object.__setattr__(self, "text", None)
        _check(room_problem(self.room))
        if self.text is not None:
            _check(topic_problem(self.text))


@dataclass(frozen=True, slots=True)
class AddKeeper:
    """Make the member named ``name`` a keeper of ``room`` (a keeper's or admin's right)."""

    room: str
    name: str

    def __post_init__(self) -> None:
        _check(room_problem(self.room))


@dataclass(frozen=True, slots=True)
class LimitRoom:
    """Let ``room`` take at most ``limit`` members (None: lift the limit); a keeper's or
    admin's right. Those already in stay."""

    room: str
    limit: int | None

    def __post_init__(self) -> None:
        _check(room_problem(self.room))
        if self.limit is not None and not 1 <= self.limit <= 1_000_000:
            raise RequestError("a room's limit is 1 to 1,000,000 members")


@dataclass(frozen=True, slots=True)
class ListRooms:
    """Ask for every room, with its member count and topic."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A line the door could not make a request of: the core refuses it with ``reply``
    (after counting it against the sender's allowance, as any line). ``room``: the room
    it was typed in, when the door could tell."""

    reply: str
    ref: Ref | None = None
    room: str | None = None


Request = (Say | Command | Private | Rename | SetAway | Whois | JoinRoom | PartRoom
           | SetTopic | RemoveFromRoom | AddKeeper | LimitRoom | ListRooms | Unreadable)
"""What a member may ask once it is in (``Chat.handle``)."""
