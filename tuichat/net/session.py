"""The client's side of the protocol, kept in one place and free of I/O.

python-hyper/h11's ``Connection`` is the model: the session says what to send (the
``hello``, the frames that restore a session after a rejoin) and learns from what arrives
(``receive``), so the Connection, the link and the screen read one state instead of
keeping copies of it: our name and admin rights, the server's extensions, the default
room, the rooms we are in with the last ``seq`` and the epoch of each, whether we parted
the default room, our away text, and the admin password to ask with again on a rejoin.

It never touches a socket. One session lives as long as the link does, across
reconnects; the Connection feeds it every update from its reader threads (one at a time)
and others read it. ``receive`` also filters: a message already seen (a reconnect's
replay overlapping) comes back as None, and a history that follows one we knew is cut
to what is new.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from tuichat.net.commands import admin_password
from tuichat.net.frames import PROTOCOL_VERSION, Frame, FrameType
from tuichat.net.rooms import DEFAULT_ROOM
from tuichat.net.updates import (
    ChatMessage,
    HistoryBatch,
    RoomJoined,
    RoomParted,
    Update,
    UserChanged,
    UserJoined,
    UserLeft,
    Welcome,
)

ROOMS = "rooms"
"""The extension that names the rooms protocol in ``welcome.extensions``."""


@dataclass(slots=True)
class RoomMark:
    """How far we have read one room's history: the newest ``seq``, within ``epoch``."""

    seq: int | None = None
    """None until the room's history was first received."""
    epoch: str | None = None

    def hello_keys(self) -> Frame:
        """``since`` and ``epoch`` as a hello gives them for this room."""
        keys: Frame = {}
        if self.seq is not None:
            keys["since"] = self.seq
            if self.epoch is not None:
                keys["epoch"] = self.epoch
        return keys


class ClientSession:
    """One user's protocol state with one server, across the connections of a link."""

    def __init__(self, name: str, *, password: str | None = None,
                 admin_password: str | None = None, avatar: str | None = None,
                 since: int | None = None, epoch: str | None = None,
                 ticket: str | None = None) -> None:
        self.name = name
        """Our name: the one asked for, then the welcome's, then each rename's."""
        self.password = password
        self.admin_password = admin_password
        """Asked for in every hello: given at the start, or kept once ``admin -a`` worked;
        dropped when a rejoin was refused the rights."""
        self.avatar = avatar
        """The hash of our picture, offered in the hello."""
        self.ticket = ticket
        """A one-time ticket from the server's SSH door (for a client it started), said in
        every hello: a ticket works once, so a rejoin is refused and the session ends
        rather than coming back as someone the door did not vouch for."""
        self.admin = False
        self.away: str | None = None
        """Our away text (said again after a rejoin), or None while here."""
        self.extensions: frozenset[str] = frozenset()
        self.default_room = DEFAULT_ROOM
        self.rooms: dict[str, RoomMark] = {}
        """The rooms we are in, in the order we joined them, each with its mark."""
        self.parted_default = False
        """We left the default room: a rejoin (which puts us back) leaves it again."""
        self.welcomed = False
        self.asked_admin = False
        """The last hello carried an admin password."""
        self._offered: str | None = None
        """The password of the last ``admin -a``, kept once the server grants the rights."""
        if since is not None:
            self.rooms[DEFAULT_ROOM] = RoomMark(since, epoch)

    # -- what we say ------------------------------------------------------------------------

    def hello(self, client: str) -> Frame:
        """The ``hello`` for the next connection: who we are, and where we were."""
        frame: Frame = {"type": FrameType.HELLO, "version": PROTOCOL_VERSION,
                        "name": self.name, "client": client}
        optional = {"password": self.password, "admin_password": self.admin_password,
                    "avatar": self.avatar, "ticket": self.ticket}
        frame.update({key: value for key, value in optional.items() if value is not None})
        default = self.rooms.get(self.default_room)
        if default is not None:
            frame.update(default.hello_keys())
        others = {room: mark.hello_keys() for room, mark in self.rooms.items()
                  if room != self.default_room}
        if others:
            frame["rooms"] = others
        self.asked_admin = self.admin_password is not None
        return frame

    def after_welcome(self) -> list[Frame]:
        """What to send once a rejoin is welcomed: leave the default room again if we had
        left it, and say again that we are away."""
        frames: list[Frame] = []
        if self.parted_default and ROOMS in self.extensions:
            frames.append({"type": FrameType.PART_ROOM, "room": self.default_room})
        if self.away and "away" in self.extensions:
            frames.append({"type": FrameType.AWAY, "text": self.away})
        return frames

    def room_key(self, room: str | None) -> Frame:
        """The ``room`` key of a frame about ``room``: none for the default room (or None),
        as the rooms protocol wants, so a frame about it is the one it always was."""
        return {} if room is None or room == self.default_room else {"room": room}

    def offer_admin(self, line: str) -> None:
        """Note the password of an ``admin -a`` line about to be sent (its grant can come
        back at once)."""
        offered = admin_password(line)
        if offered is not None:
            self._offered = offered

    # -- what we learn ----------------------------------------------------------------------

    @property
    def speaks_rooms(self) -> bool:
        return ROOMS in self.extensions

    def is_me(self, name: str) -> bool:
        return name.casefold() == self.name.casefold()

    def last_seq(self, room: str | None = None) -> int:
        """The newest ``seq`` received in ``room`` (the default room when None)."""
        mark = self.rooms.get(room or self.default_room)
        return (mark.seq or 0) if mark is not None else 0

    def epoch(self, room: str | None = None) -> str | None:
        """The epoch of ``room``'s history as last received (the default room when None)."""
        mark = self.rooms.get(room or self.default_room)
        return mark.epoch if mark is not None else None

    def receive(self, update: Update) -> Update | None:
        """Learn from ``update``; what it means to the app, or None if it adds nothing
        (a message seen before)."""
        if isinstance(update, Welcome):
            return self._welcome(update)
        if isinstance(update, ChatMessage):
            return update if self._is_new(update.room, update) else None
        if isinstance(update, HistoryBatch):
            mark = self.rooms.get(update.room)
            if update.reset and mark is not None:
                mark.seq = None  # a new history: its seqs start over
            return dataclasses.replace(update, messages=self._fresh(update.room,
                                                                    update.messages))
        if isinstance(update, RoomJoined):
            return self._room_joined(update)
        if isinstance(update, RoomParted):
            self.rooms.pop(update.room, None)
            self.parted_default = self.parted_default or update.room == self.default_room
        elif isinstance(update, UserJoined) and update.renamed_from is not None \
                and self.is_me(update.renamed_from):
            self.name = update.user.name
        elif isinstance(update, UserLeft) and update.renamed_to and self.is_me(update.name):
            self.name = update.renamed_to
        elif isinstance(update, UserChanged) and self.is_me(update.user.name):
            self.admin, self.away = update.user.admin, update.user.away
            if self.admin and self._offered is not None:
                self.admin_password, self._offered = self._offered, None
        return update

    def _welcome(self, welcome: Welcome) -> Welcome:
        """A session began: take its name, rights, extensions and default room."""
        if not self.welcomed and welcome.room != self.default_room \
                and self.default_room in self.rooms:
            self.rooms[welcome.room] = self.rooms.pop(self.default_room)
        self.welcomed = True
        self.name, self.admin, self.extensions = welcome.name, welcome.admin, welcome.extensions
        self.default_room = welcome.room
        if self.asked_admin and not welcome.admin:
            # Refused or throttled: asking again on every rejoin only adds failures.
            self.admin_password = None
        if self.parted_default:
            return welcome  # left again at once (``after_welcome``): nothing to keep
        replaced, history = self._arrived(welcome.room, welcome.epoch, welcome.history)
        self.rooms = {welcome.room: self.rooms.pop(welcome.room), **self.rooms}  # first
        return dataclasses.replace(welcome, history=history, history_replaced=replaced)

    def _room_joined(self, joined: RoomJoined) -> RoomJoined:
        if joined.room == self.default_room:
            self.parted_default = False
        replaced, history = self._arrived(joined.room, joined.epoch, joined.history)
        return dataclasses.replace(joined, history=history, history_replaced=replaced)

    def _arrived(self, room: str, epoch: str | None,
                 history: tuple[ChatMessage, ...]) -> tuple[bool, tuple[ChatMessage, ...]]:
        """A room's history as a welcome (or ``room_joined``) gives it: is it another than
        the one we knew, and what of it is new."""
        mark = self.rooms.setdefault(room, RoomMark())
        replaced = mark.epoch is not None and epoch != mark.epoch
        if replaced:
            mark.seq = None  # the seqs seen before belong to the other history
        mark.epoch = epoch
        fresh = self._fresh(room, history)
        mark.seq = mark.seq or 0
        return replaced, fresh

    def _fresh(self, room: str, messages: Iterable[ChatMessage]) -> tuple[ChatMessage, ...]:
        """The messages of ``room`` not received before (noting the newest seq)."""
        return tuple(message for message in messages if self._is_new(room, message))

    def _is_new(self, room: str, message: ChatMessage) -> bool:
        """True unless ``message`` was received before; notes its seq."""
        mark = self.rooms.get(room)
        if mark is None or message.seq is None:
            return True
        if mark.seq is not None and message.seq <= mark.seq:
            return False
        mark.seq = message.seq
        return True
