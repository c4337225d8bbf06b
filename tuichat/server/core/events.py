"""What the core tells members: one frozen dataclass per event, handed to the members'
doors (``Door.deliver``), which turn each into their wire format once for all of them.

Events name the ``Member`` and ``Room`` objects they are about; a door reads them while
it delivers (at once, on the loop), so what it sends is the state at that moment.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal, Protocol

from tuichat.net.frames import LeaveReason, Message

if TYPE_CHECKING:
    from tuichat.server.core.model import Member, Room
    from tuichat.server.core.requests import Ref, Resume

Level = Literal["info", "error"]
"""A notice is an answer (``info``) or a refusal (``error``)."""


class RefusalKind(StrEnum):
    """Why the core turns a user away, or ends its session."""

    BANNED = "banned"
    BAD_NAME = "bad_name"
    BAD_PASSWORD = "bad_password"
    NAME_TAKEN = "name_taken"
    FULL = "full"
    KICKED = "kicked"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A user turned away (or removed), and why, in a sentence for them."""

    kind: RefusalKind
    text: str


@dataclass(frozen=True, slots=True)
class Welcomed:
    """To a new member: it is in, in ``room`` (the default room, unless it asked not to
    enter it: then it is in no room), with its log of it ending at ``resume``."""

    member: Member
    room: Room
    resume: Resume


@dataclass(frozen=True, slots=True)
class RoomJoined:
    """To a member: it is in ``room`` now (its users, history, topic and motd)."""

    member: Member
    room: Room
    resume: Resume


@dataclass(frozen=True, slots=True)
class RoomParted:
    """To a member: it has left ``room``; removed from it by ``by`` (saying ``text``)
    when a keeper removed it."""

    room: Room
    by: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Said:
    """To a room: a stored message; the sender's (``origin``) copy carries ``ref``."""

    room: Room
    message: Message
    origin: Member | None = None
    ref: Ref | None = None


@dataclass(frozen=True, slots=True)
class Announced:
    """To everyone: a line from Console that is not stored (the shutdown countdown)."""

    text: str
    ts: float
    avatar: str


@dataclass(frozen=True, slots=True)
class Joined:
    """To a room: ``member`` came in (or came back under a new name)."""

    room: Room
    member: Member
    renamed_from: str | None = None


@dataclass(frozen=True, slots=True)
class Left:
    """To a room: the member named ``name`` left it (``parted``), its session ended
    (``reason``, by whom and why when an admin removed it), or it took a new name."""

    room: Room
    name: str
    reason: LeaveReason
    renamed_to: str | None = None
    by: str | None = None
    text: str | None = None
    banned: bool = False
    parted: bool = False


@dataclass(frozen=True, slots=True)
class TopicSet:
    """To a room: its topic is ``text`` now (None: none), set by ``by``."""

    room: Room
    text: str | None
    by: str


@dataclass(frozen=True, slots=True)
class UserChanged:
    """To those sharing a room with ``member``, and to it: its admin or away state changed;
    with ``room``, to that room's members: it keeps ``room`` now."""

    member: Member
    room: Room | None = None


@dataclass(frozen=True, slots=True)
class AvatarChanged:
    """To those sharing a room with ``member``, and to it: it has a new avatar."""

    member: Member


@dataclass(frozen=True, slots=True)
class PrivateSaid:
    """To ``target`` and ``sender``: a private message, never stored; the sender's copy
    carries ``ref``."""

    sender: Member
    target: Member
    text: str
    ts: float
    ref: Ref | None = None


@dataclass(frozen=True, slots=True)
class WhoisAnswered:
    """To the asker: who ``target`` is; ``address`` only for an admin."""

    target: Member
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Noticed:
    """To a member (or a room, for a message of the day): an answer or refusal from
    Console, never stored. ``room``: the room it is about; ``motd``: it is a message of
    the day."""

    text: str
    level: Level = "info"
    ref: Ref | None = None
    room: Room | None = None
    motd: bool = False


@dataclass(frozen=True, slots=True)
class HistoryReset:
    """To a room: its history was replaced or cut; here is its recent part."""

    room: Room


@dataclass(frozen=True, slots=True)
class RoomInfo:
    """One room in a list: its name, how many are in it, its topic."""

    name: str
    members: int
    topic: str | None


@dataclass(frozen=True, slots=True)
class RoomsListed:
    """To one member: every room, sorted by name."""

    rooms: tuple[RoomInfo, ...]


@dataclass(frozen=True, slots=True)
class Ended:
    """To one member: its session is over; ``refusal`` says why when it was removed."""

    reason: LeaveReason
    refusal: Refusal | None = None


@dataclass(frozen=True, slots=True)
class ShutDown:
    """To everyone: the server is stopping."""

    text: str


Event = (Welcomed | RoomJoined | RoomParted | Said | Announced | Joined | Left | TopicSet
         | UserChanged | AvatarChanged | PrivateSaid | WhoisAnswered | Noticed | HistoryReset
         | RoomsListed | Ended | ShutDown)
"""Everything the core hands to a door."""


class Door(Protocol):
    """A way into the chat: it turns events into its wire format for its members."""

    def deliver(self, event: Event, members: Collection[Member]) -> None:
        """Hand ``event`` to ``members`` (all of them this door's), encoded once."""
