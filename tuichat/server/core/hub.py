"""The state every part of the core shares, and the one way events go out.

Who is here (members by name key), the rooms that are open, and the doors: each event is
handed once to each door with the members it is for, and the door encodes it once for
all of them. Presence (entering and leaving rooms, renames, the end of a session) lives
here too, since the chat, the room rules and the admin commands all change it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from typing import TYPE_CHECKING

from tuichat.net.frames import CONSOLE, LeaveReason, Message
from tuichat.net.names import name_key
from tuichat.server.config import ServerConfig, store_motd
from tuichat.server.core.events import (
    Announced,
    AvatarChanged,
    Door,
    Ended,
    Event,
    HistoryReset,
    Joined,
    Left,
    Level,
    Noticed,
    Refusal,
    RoomJoined,
    RoomParted,
    Said,
    ShutDown,
    UserChanged,
    Welcomed,
)
from tuichat.server.core.model import Room
from tuichat.server.core.requests import Ref, Resume

if TYPE_CHECKING:
    from tuichat.server.core.model import Member
    from tuichat.server.core.ports import Stores

log = logging.getLogger("tuichat.server")


class Hub:
    """Members, rooms and doors; presence and fan-out. Used from the loop thread only."""

    def __init__(self, config: ServerConfig, stores: Stores, *, console_avatar: str,
                 motd: str | None) -> None:
        self.config = config
        self.console_avatar = console_avatar
        self.members: dict[str, Member] = {}
        """Everyone here, by name key, in the order they came (a rename goes last)."""
        self.rooms: dict[str, Room] = {}
        """The rooms opened so far (others may exist on disk only)."""
        self._stores = stores
        self._doors: list[Door] = []
        self._only_door: Door | None = None
        self._door_of: dict[Member, Door] = {}
        """The door each member came in by, which delivers its events."""
        self.lobby = self._open(config.default_room, motd)
        """The default room, where everyone is put on arrival; always open."""

    # -- doors and delivery ----------------------------------------------------------------

    def add_door(self, door: Door) -> None:
        """Deliver to ``door``'s members from now on."""
        self._doors.append(door)
        self._only_door = door if len(self._doors) == 1 else None

    def deliver(self, event: Event, members: Collection[Member]) -> None:
        """Hand ``event`` to each door once, with those of ``members`` that are its."""
        door = self._only_door
        if door is not None:
            door.deliver(event, members)
            return
        door_of = self._door_of
        for door in self._doors:
            mine = [member for member in members if door_of.get(member) is door]
            if mine:
                door.deliver(event, mine)

    def tell(self, member: Member, event: Event) -> None:
        """Hand ``event`` to one member."""
        door = self._door_of.get(member)
        if door is not None:
            door.deliver(event, (member,))

    def to_room(self, room: Room, event: Event) -> None:
        """Hand ``event`` to every member of ``room``."""
        self.deliver(event, list(room.members.values()))

    def to_everyone(self, event: Event) -> None:
        """Hand ``event`` to every member of the chat."""
        self.deliver(event, list(self.members.values()))

    def to_sharing(self, member: Member, event: Event) -> None:
        """Hand ``event`` once to each member sharing a room with ``member``, and to it."""
        rooms = list(member.rooms.values())
        if len(rooms) == 1:
            self.to_room(rooms[0], event)
            return
        recipients: dict[Member, None] = {}
        for room in rooms:
            recipients.update(dict.fromkeys(room.members.values()))
        recipients[member] = None
        self.deliver(event, list(recipients))

    def notice(self, member: Member, text: str, level: Level = "info", *,
               ref: Ref | None = None, room: Room | None = None, motd: bool = False) -> None:
        """A reply for one member only, from Console; never stored."""
        self.tell(member, Noticed(text, level, ref, room, motd))

    def post(self, room: Room, sender: str, text: str, avatar: str | None, *,
             origin: Member | None = None, ref: Ref | None = None,
             action: bool = False) -> Message:
        """Store a message in ``room`` (an emote with ``action``), then hand it to the
        room's members; the sender's copy carries ``ref``. sqlite3.Error if it cannot be
        stored, and then nobody sees it."""
        # Committed with the rest of this loop pass, before any of it is sent.
        message = room.history.append(sender, text, avatar, commit=False, action=action)
        self.to_room(room, Said(room, message, origin, ref))
        return message

    def console(self, room: Room, text: str) -> Message:
        """Say ``text`` in ``room`` as Console (stored like any message)."""
        return self.post(room, CONSOLE, text, self.console_avatar)

    def announce(self, text: str) -> None:
        """Say ``text`` to everyone here as Console, without storing it."""
        self.to_everyone(Announced(text, time.time(), self.console_avatar))

    # -- who is here -----------------------------------------------------------------------

    def find(self, name: object) -> Member | None:
        """The member here under ``name`` or a look-alike of it (``name_key``), if any."""
        if not isinstance(name, str):
            return None
        return self.members.get(name_key(name))

    def members_from(self, host: str) -> list[Member]:
        """The members that come from ``host``."""
        return [member for member in self.members.values() if member.host == host]

    def set_admin(self, member: Member) -> None:
        """Give ``member`` admin rights and show its new badge."""
        member.admin = True
        self.to_sharing(member, UserChanged(member))

    def set_avatar(self, member: Member, avatar: str) -> None:
        """Give ``member`` a new avatar and show it."""
        member.avatar = avatar
        self.to_sharing(member, AvatarChanged(member))

    # -- rooms -----------------------------------------------------------------------------

    def room(self, name: str) -> Room | None:
        """The room called ``name`` if it exists (opened now if it was only on disk)."""
        room = self.rooms.get(name)
        if room is None and self._stores.exists(name):
            room = self._open(name)
        return room

    def room_names(self) -> list[str]:
        """Every room that exists, sorted."""
        return self._stores.names()

    def create(self, name: str) -> Room:
        """Make the room ``name`` (which does not exist)."""
        return self._open(name)

    def _open(self, name: str, motd: str | None = None) -> Room:
        history = self._stores.open(name)
        room = Room(name, history, motd if name == self.config.default_room else history.motd)
        self.rooms[name] = room
        return room

    def set_motd(self, room: Room, text: str | None) -> None:
        """Keep ``room``'s message of the day (the default room's is the server's, in
        ``motd.txt``); OSError or sqlite3.Error when it cannot be stored."""
        if room is self.lobby:
            store_motd(self.config.motd_path, text)
        else:
            room.history.set_motd(text)
        room.motd = text

    def reset_history(self, room: Room) -> None:
        """Tell ``room``'s members its history was replaced or cut."""
        self.to_room(room, HistoryReset(room))

    def _forget_if_unused(self, room: Room) -> None:
        """A room other than the default one that nothing keeps any more is gone."""
        if room is not self.lobby and room.unused:
            del self.rooms[room.name]
            self._stores.forget(room.name)
            log.info("room %s is gone (its last member left; no history, no topic)",
                     room.name)

    # -- presence --------------------------------------------------------------------------

    def arrive(self, member: Member, door: Door, resume: Resume, *,
               enter: bool = True) -> None:
        """Count ``member`` (of ``door``) in and put it in the default room (unless not
        to ``enter`` it): it gets ``welcome``, the room's members its ``join``."""
        room = self.lobby
        self.members[member.key] = member
        self._door_of[member] = door
        if not enter:
            self.tell(member, Welcomed(member, room, resume))
            return
        self._add(member, room)
        self.tell(member, Welcomed(member, room, resume))
        self._show_motd(member, room)
        self._tell_others(room, member, Joined(room, member))

    def enter(self, member: Member, room: Room, resume: Resume) -> None:
        """Put ``member`` in ``room``: it gets the room, the room's members its ``join``."""
        self._add(member, room)
        self.tell(member, RoomJoined(member, room, resume))
        self._show_motd(member, room)
        self._tell_others(room, member, Joined(room, member))

    def part(self, member: Member, room: Room, *, by: str | None = None,
             text: str | None = None) -> None:
        """Take ``member`` out of ``room``, telling it and those still in; ``by``: the
        keeper who removed it (saying ``text``)."""
        del room.members[member.key]
        del member.rooms[room.name]
        room.keepers.discard(member)
        self.tell(member, RoomParted(room, by, text))
        reason = LeaveReason.QUIT if by is None else LeaveReason.KICKED
        self.to_room(room, Left(room, member.name, reason, by=by, text=text, parted=True))
        self._forget_if_unused(room)

    def add_keeper(self, member: Member, room: Room) -> None:
        """Make ``member`` a keeper of ``room`` and show it to the room."""
        room.keepers.add(member)
        self.to_room(room, UserChanged(member, room))

    def rename(self, member: Member, name: str) -> None:
        """Give ``member`` a new name: in each of its rooms everyone, the member too,
        sees it leave and come back."""
        old, old_key = member.name, member.key
        del self.members[old_key]
        member.rename(name)
        self.members[member.key] = member
        for room in member.rooms.values():
            del room.members[old_key]
            room.members[member.key] = member
            self.to_room(room, Left(room, old, LeaveReason.QUIT, renamed_to=name))
            self.to_room(room, Joined(room, member, renamed_from=old))

    def end(self, member: Member, reason: LeaveReason, why: str, *,
            refusal: Refusal | None = None, by: str | None = None, text: str | None = None,
            banned: bool = False) -> None:
        """End ``member``'s session (its door sends ``refusal`` first, if any, then closes
        it) and tell each of its rooms it left (with who removed it and why)."""
        if member.ended:
            return
        member.ended = True
        if self.members.get(member.key) is member:
            del self.members[member.key]
        rooms = list(member.rooms.values())
        member.rooms.clear()
        for room in rooms:
            del room.members[member.key]
            room.keepers.discard(member)
        self.tell(member, Ended(reason, refusal))
        del self._door_of[member]
        for room in rooms:
            self.to_room(room, Left(room, member.name, reason, by=by, text=text,
                                    banned=banned))
            self._forget_if_unused(room)
        log.info("%s left (%s: %s) (%d here)", member.name, reason, why, len(self.members))

    def close(self, text: str) -> None:
        """Tell everyone the server stops; every session is over."""
        self.to_everyone(ShutDown(text))
        for member in self.members.values():
            member.ended = True
            member.rooms.clear()
        self.members.clear()
        self._door_of.clear()
        for room in self.rooms.values():
            room.members.clear()

    def _add(self, member: Member, room: Room) -> None:
        room.members[member.key] = member
        member.rooms[room.name] = room

    def _tell_others(self, room: Room, member: Member, event: Event) -> None:
        """Hand ``event`` to ``room``'s members but ``member``."""
        self.deliver(event, [other for other in room.members.values() if other is not member])

    def _show_motd(self, member: Member, room: Room) -> None:
        if room.motd is not None:
            self.notice(member, room.motd, room=room, motd=True)
