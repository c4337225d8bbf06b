"""A room's picture for a member entering it: ``welcome`` (the default room, on arrival),
``room_joined`` (any other), and ``history`` when a room's history is reset.

Each is one frame of at most 64 KiB: users first (up to 32 KiB), then history, both in
order; what does not fit follows as ``join`` frames with ``present`` and ``message``
frames with ``replay`` (``packing``). The history comes from the room's ``ReplayCache``,
which encodes each message once however many join.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tuichat import __version__
from tuichat.net.codec import encode
from tuichat.net.frames import PROTOCOL_VERSION, WELCOME_HISTORY, Frame, FrameType
from tuichat.server.doors.native.packing import pack_list
from tuichat.server.doors.native.replay import ReplayCache, Selection

if TYPE_CHECKING:
    from tuichat.server.core.model import Member, Room
    from tuichat.server.core.requests import Resume

frame_log = logging.getLogger("tuichat.server.frames")

SERVER_SOFTWARE = f"tuichat-server/{__version__}"
EXTENSIONS = (
    "attached", "replay", "user_changed", "avatar_reuse",
    "private", "action", "rename", "away", "whois", "motd", "moderation", "rooms",
)
"""What this server adds to the contract, named in ``welcome`` so clients can rely on it."""
USERS_BUDGET = 32_768
"""Bytes of a ``welcome`` or ``room_joined`` its users may take; history gets the rest."""


def record(member: Member) -> Frame:
    """The user as listed in ``welcome``, ``join`` and ``user_changed``."""
    return {"name": member.name, "avatar": member.avatar, "admin": member.admin,
            "away": member.away}


def in_room(frame: Frame, room: str) -> Frame:
    """``frame`` about the room ``room`` (its key right after ``type``)."""
    return {"type": frame["type"], "room": room, **frame}


class Greetings:
    """Builds the frames a member gets on entering a room; keeps each room's replay."""

    def __init__(self, default_room: str, replay_limit: int, console_avatar: str) -> None:
        self._default_room = default_room
        self._replay_limit = replay_limit
        self._console_avatar = console_avatar
        self._replays: weakref.WeakKeyDictionary[Room, ReplayCache] = (
            weakref.WeakKeyDictionary())

    def replay(self, room: Room) -> ReplayCache:
        """``room``'s replay cache, made on first use."""
        cache = self._replays.get(room)
        if cache is None:
            key = None if room.name == self._default_room else room.name
            cache = self._replays[room] = ReplayCache(room.history, self._replay_limit,
                                                      room=key)
        return cache

    def welcome(self, member: Member, token: str, room: Room,
                resume: Resume) -> Iterator[bytes]:
        """``welcome`` into the default room, then what did not fit into it."""
        replay = self.replay(room).select(resume)
        frame: Frame = {
            "type": FrameType.WELCOME,
            "version": PROTOCOL_VERSION,
            "session": token,
            "name": member.name,
            "server": SERVER_SOFTWARE,
            "admin": member.admin,
            "avatar": member.avatar,
            "console_avatar": self._console_avatar,
            "history_truncated": replay.truncated,
            "epoch": room.history.epoch,
            "extensions": list(EXTENSIONS),
            "motd": room.motd,
            "room": room.name,
            "topic": room.topic,
            "users": [],
            "history": [],
        }
        return self._packed(frame, room, replay, None)

    def room_joined(self, room: Room, resume: Resume) -> Iterator[bytes]:
        """``room_joined`` into a room, then what did not fit into it."""
        replay = self.replay(room).select(resume)
        frame: Frame = {
            "type": FrameType.ROOM_JOINED,
            "room": room.name,
            "topic": room.topic,
            "motd": room.motd,
            "epoch": room.history.epoch,
            "history_truncated": replay.truncated,
            "users": [],
            "history": [],
        }
        key = None if room.name == self._default_room else room.name
        return self._packed(frame, room, replay, key)

    def _packed(self, frame: Frame, room: Room, replay: Selection,
                key: str | None) -> Iterator[bytes]:
        users = [record(member) for member in room.members.values()]
        with_users, more_users = pack_list(frame, "users", users, budget=USERS_BUDGET)
        packed, more_history = pack_list(with_users, "history", replay.frames,
                                         lengths=replay.lengths)
        yield encode(packed)
        for user in more_users:
            join: Frame = {"type": FrameType.JOIN, **user, "present": True}
            yield encode(join if key is None else in_room(join, key))
        for message in replay.messages[len(replay.messages) - len(more_history):]:
            yield message.line
        frame_log.debug("-> %s %s: %d users, %d messages", frame["type"], room.name,
                        len(users), len(replay.messages))

    def history_reset(self, room: Room) -> Iterator[bytes]:
        """``history`` with ``reset``: the room's recent history, then what did not fit."""
        recent = room.history.recent(WELCOME_HISTORY)
        messages = [message.to_frame() for message in recent]
        base: Frame = {"type": FrameType.HISTORY, "reset": True}
        key = None if room.name == self._default_room else room.name
        frame, rest = pack_list(base if key is None else in_room(base, key), "messages",
                                messages)
        yield encode(frame)
        for message in rest:
            yield encode({**message, "replay": True} if key is None
                         else in_room({**message, "replay": True}, key))
