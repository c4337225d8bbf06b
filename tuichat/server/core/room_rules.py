"""Joining and leaving rooms, their topics, and the list of them, within the limits.

A room that does not exist is made by the first member to join it (unless only admins
may make rooms); a room other than the default one is forgotten when its last member
leaves and nothing else keeps it (no history, no topic). Who makes a room (or enters it
empty) keeps it: a keeper may remove members from it and name more keepers, as an admin
may anywhere. The limits: rooms in all, rooms
per member, members per room (0: none).
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING

from tuichat.server.core.events import RoomInfo, RoomsListed, TopicSet
from tuichat.server.core.requests import (
    AddKeeper,
    JoinRoom,
    LimitRoom,
    PartRoom,
    RemoveFromRoom,
    Resume,
    RoomEntry,
    SetTopic,
)

if TYPE_CHECKING:
    from tuichat.server.core.hub import Hub
    from tuichat.server.core.model import Member, Room

log = logging.getLogger("tuichat.server")

ADMIN_ONLY = "admin"
"""The value of ``room_creation`` and ``topic_setting`` that keeps them to admins."""


class RoomRules:
    """``join_room``, ``part_room``, ``topic``, removals, keepers and ``list_rooms``, for
    ``Chat``."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    def join(self, member: Member, request: JoinRoom | RoomEntry) -> None:
        """Put ``member`` in the room it asks for (made now if it does not exist), or
        tell it why not."""
        hub = self._hub
        name = request.room
        resume = request.resume if isinstance(request, RoomEntry) else Resume()
        if name in member.rooms:
            hub.notice(member, f"You are already in {name}.")
            return
        room = hub.room(name)
        problem = self._join_problem(member, name, room)
        if problem is not None:
            hub.notice(member, f"Room not joined: {problem}.", "error")
            return
        if room is None:
            room = hub.create(name)
            log.info("%s made the room %s", member.name, name)
        if not room.members:
            room.keepers.add(member)  # who makes a room (or finds it empty) keeps it
        hub.enter(member, room, resume)

    def _join_problem(self, member: Member, name: str, room: Room | None) -> str | None:
        """Why ``member`` may not join ``name`` (``room``, None when it does not exist)."""
        config = self._hub.config
        per_user, in_all, per_room = (config.max_rooms_per_user, config.max_rooms,
                                      config.max_room_members)
        if per_user and len(member.rooms) >= per_user:
            return f"you are in {len(member.rooms):,} rooms, the most one user may be in"
        if room is None:
            if config.room_creation == ADMIN_ONLY and not member.admin:
                return f"{name} does not exist, and only admins may make rooms on this server"
            if in_all and len(self._hub.room_names()) >= in_all:
                return f"the server has {in_all:,} rooms, the most it keeps"
        elif per_room and len(room.members) >= per_room:
            return f"{name} is full ({per_room:,} members)"
        elif room.member_limit is not None and len(room.members) >= room.member_limit:
            return f"{name} is full (its keepers let in {room.member_limit:,} at most)"
        return None

    def part(self, member: Member, request: PartRoom) -> None:
        """Take ``member`` out of a room it is in."""
        room = member.rooms.get(request.room)
        if room is None:
            self._hub.notice(member, f"You are not in {request.room}.", "error")
            return
        self._hub.part(member, room)

    def _kept_room(self, member: Member, room_name: str, name: str,
                   what: str) -> tuple[Room, Member] | None:
        """The room ``member`` is in and keeps, and the member ``name`` in it; or None,
        and ``member`` is told why ``what`` was not done."""
        hub = self._hub
        room = member.rooms.get(room_name)
        target = hub.find(name)
        if room is None:
            problem = f"you are not in {room_name}"
        elif not room.kept_by(member):
            problem = f"only the keepers of {room_name} (and admins) may do that"
        elif target is None or target.key not in room.members:
            problem = f"no one named {name[:40]!r} is in {room_name}"
        else:
            return room, target
        hub.notice(member, f"{what}: {problem}.", "error", room=room)
        return None

    def remove(self, member: Member, request: RemoveFromRoom) -> None:
        """Take a member out of a room ``member`` keeps."""
        found = self._kept_room(member, request.room, request.name, "Nobody removed")
        if found is not None:
            room, target = found
            log.info("%s removed %s from %s", member.name, target.name, room.name)
            self._hub.part(target, room, by=member.name, text=request.text)

    def add_keeper(self, member: Member, request: AddKeeper) -> None:
        """Make a member of a room ``member`` keeps one of its keepers too."""
        found = self._kept_room(member, request.room, request.name, "No keeper added")
        if found is not None and found[1] not in found[0].keepers:
            self._hub.add_keeper(found[1], found[0])

    def limit(self, member: Member, request: LimitRoom) -> None:
        """Set (or lift) the member limit of a room ``member`` keeps."""
        hub = self._hub
        room = member.rooms.get(request.room)
        if room is None or not room.kept_by(member):
            problem = (f"you are not in {request.room}" if room is None
                       else f"only the keepers of {request.room} (and admins) may do that")
            hub.notice(member, f"Limit not set: {problem}.", "error", room=room)
            return
        room.member_limit = request.limit
        log.info("%s set the member limit of %s to %s", member.name, room.name,
                 request.limit or "none")

    def set_topic(self, member: Member, request: SetTopic) -> None:
        """Set the topic of a room ``member`` is in, if it may."""
        hub = self._hub
        room = member.rooms.get(request.room)
        if room is None:
            hub.notice(member, f"You are not in {request.room}.", "error")
            return
        if hub.config.topic_setting == ADMIN_ONLY and not member.admin:
            hub.notice(member, "Topic not set: only admins may set topics on this server.",
                       "error", room=room)
            return
        try:
            room.history.set_topic(request.text)
        except sqlite3.Error as exc:
            log.error("could not store the topic of %s: %s", room.name, exc)
            hub.notice(member, "Topic not set: the server could not store it.", "error",
                       room=room)
            return
        hub.to_room(room, TopicSet(room, request.text, member.name))
        log.info("%s set the topic of %s to %r", member.name, room.name,
                 (request.text or "")[:60])

    def list_rooms(self, member: Member) -> None:
        """Tell ``member`` every room there is, with its member count and topic."""
        rooms = []
        for name in self._hub.room_names():
            room = self._hub.room(name)
            if room is not None:
                rooms.append(RoomInfo(name, len(room.members), room.topic))
        self._hub.tell(member, RoomsListed(tuple(rooms)))
