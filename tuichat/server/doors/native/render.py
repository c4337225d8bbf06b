"""Events out, frames on the wire: each event the core hands over becomes its frame (or
frames), encoded once, and the same bytes go to every member it is for.

Frames about the default room carry no ``room`` key, so a client that knows only the
original contract gets exactly the frames it always got; frames about any other room
carry ``"room": "#name"`` right after their type. The hot path is ``Said``: one encode,
then ``outlet.write`` per member (the sender's copy, with its ``ref``, encoded apart).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any

from tuichat.net.codec import encode
from tuichat.net.frames import CONSOLE, Frame, FrameType
from tuichat.server.core.events import (
    Announced,
    AvatarChanged,
    Ended,
    Event,
    HistoryReset,
    Joined,
    Left,
    Noticed,
    PrivateSaid,
    RoomJoined,
    RoomParted,
    RoomsListed,
    Said,
    ShutDown,
    TopicSet,
    UserChanged,
    Welcomed,
    WhoisAnswered,
)
from tuichat.server.doors.native.brief import Brief
from tuichat.server.doors.native.greetings import Greetings, in_room, record
from tuichat.server.doors.native.packing import pack_list

if TYPE_CHECKING:
    from tuichat.server.core.model import Member, Room

frame_log = logging.getLogger("tuichat.server.frames")

Members = Collection["Member"]


class Renderer:
    """Delivers events as frames; ``token_of`` gives a member's session token (for its
    ``welcome``), ``ended`` closes a member's session (after its last frames)."""

    def __init__(self, default_room: str, greetings: Greetings,
                 token_of: Callable[[Member], str],
                 ended: Callable[[Ended, Member], None]) -> None:
        self._default_room = default_room
        self._greetings = greetings
        self._token_of = token_of
        self._ended = ended
        self._table: dict[type[Any], Callable[[Any, Members], None]] = {
            Said: self._said,
            Joined: self._joined,
            Left: self._left,
            Noticed: self._noticed,
            UserChanged: self._user_changed,
            AvatarChanged: self._avatar_changed,
            PrivateSaid: self._private,
            WhoisAnswered: self._whois,
            Welcomed: self._welcomed,
            RoomJoined: self._room_joined,
            RoomParted: self._room_parted,
            TopicSet: self._topic,
            RoomsListed: self._rooms,
            HistoryReset: self._history_reset,
            Announced: self._announced,
            ShutDown: self._shut_down,
            Ended: self._end,
        }

    def deliver(self, event: Event, members: Members) -> None:
        """Turn ``event`` into frames for ``members`` and queue them on their recv."""
        self._table[type(event)](event, members)

    def _about(self, room: Room, frame: Frame) -> Frame:
        """``frame`` as sent about ``room``: with its ``room`` key outside the default room."""
        return frame if room.name == self._default_room else in_room(frame, room.name)

    @staticmethod
    def _send(frame: Frame, members: Members) -> None:
        """Encode ``frame`` once and queue it for every member."""
        data = encode(frame)
        for member in members:
            member.outlet.write(data)
        frame_log.debug("-> %d %s", len(members), Brief(frame))

    @staticmethod
    def _send_lines(lines: Iterable[bytes], members: Members) -> None:
        for data in lines:
            for member in members:
                member.outlet.write(data)

    # -- rooms' traffic --------------------------------------------------------------------

    def _said(self, event: Said, members: Members) -> None:
        message = event.message
        frame = self._about(event.room, message.to_frame())
        data = encode(frame)
        origin, ref = event.origin, event.ref
        for member in members:
            if member is origin and ref is not None:
                member.outlet.write(encode({**frame, "ref": ref}))
            else:
                member.outlet.write(data)
        frame_log.debug("-> %d message %s seq=%d from %s", len(members), event.room.name,
                        message.seq, message.sender)

    def _joined(self, event: Joined, members: Members) -> None:
        frame: Frame = {"type": FrameType.JOIN, **record(event.member)}
        if event.renamed_from is not None:
            frame["renamed_from"] = event.renamed_from
        self._send(self._about(event.room, frame), members)

    def _left(self, event: Left, members: Members) -> None:
        frame: Frame = {"type": FrameType.LEAVE, "name": event.name,
                        "reason": event.reason.value}
        if event.renamed_to is not None:
            frame["renamed_to"] = event.renamed_to
        if event.by is not None:
            frame["by"] = event.by
        if event.text is not None:
            frame["text"] = event.text
        if event.banned:
            frame["banned"] = True
        if event.parted:
            frame["parted"] = True
        self._send(self._about(event.room, frame), members)

    def _topic(self, event: TopicSet, members: Members) -> None:
        frame: Frame = {"type": FrameType.TOPIC, "text": event.text, "by": event.by}
        self._send(self._about(event.room, frame), members)

    def _history_reset(self, event: HistoryReset, members: Members) -> None:
        self._send_lines(self._greetings.history_reset(event.room), members)

    def _announced(self, event: Announced, members: Members) -> None:
        self._send({"type": FrameType.MESSAGE, "ts": event.ts, "from": CONSOLE,
                    "text": event.text, "avatar": event.avatar}, members)

    # -- about users -----------------------------------------------------------------------

    def _user_changed(self, event: UserChanged, members: Members) -> None:
        self._send({"type": FrameType.USER_CHANGED, **record(event.member)}, members)

    def _avatar_changed(self, event: AvatarChanged, members: Members) -> None:
        member = event.member
        self._send({"type": FrameType.AVATAR_CHANGED, "name": member.name,
                    "avatar": member.avatar}, members)

    def _private(self, event: PrivateSaid, members: Members) -> None:
        sender = event.sender
        frame: Frame = {"type": FrameType.PRIVATE, "from": sender.name,
                        "to": event.target.name, "text": event.text, "ts": event.ts,
                        "avatar": sender.avatar}
        for member in members:
            copy = {**frame, "ref": event.ref} if member is sender and event.ref is not None \
                else frame
            member.outlet.write(encode(copy))
        frame_log.debug("-> private from %s to %s", sender.name, event.target.name)

    def _whois(self, event: WhoisAnswered, members: Members) -> None:
        target = event.target
        frame: Frame = {"type": FrameType.WHOIS, **record(target), "joined": target.joined}
        if event.address is not None:
            frame["address"] = event.address
        frame["rooms"] = list(target.rooms)
        self._send(frame, members)

    # -- to one member ---------------------------------------------------------------------

    def _noticed(self, event: Noticed, members: Members) -> None:
        frame: Frame = {"type": FrameType.NOTICE, "level": event.level, "text": event.text}
        if event.ref is not None:
            frame["ref"] = event.ref
        if event.room is not None and event.room.name != self._default_room:
            frame["room"] = event.room.name
        if event.motd:
            frame["motd"] = True
        self._send(frame, members)

    def _welcomed(self, event: Welcomed, members: Members) -> None:
        member = event.member
        lines = self._greetings.welcome(member, self._token_of(member), event.room,
                                        event.resume)
        self._send_lines(lines, members)

    def _room_joined(self, event: RoomJoined, members: Members) -> None:
        self._send_lines(self._greetings.room_joined(event.room, event.resume), members)

    def _room_parted(self, event: RoomParted, members: Members) -> None:
        self._send({"type": FrameType.ROOM_PARTED, "room": event.room.name}, members)

    def _rooms(self, event: RoomsListed, members: Members) -> None:
        rooms = [{"room": room.name, "members": room.members, "topic": room.topic}
                 for room in event.rooms]
        frame, rest = pack_list({"type": FrameType.ROOMS}, "rooms", rooms)
        self._send(frame, members)
        while rest:  # a long list goes on in more frames, each marked as a continuation
            frame, rest = pack_list({"type": FrameType.ROOMS, "more": True}, "rooms", rest)
            self._send(frame, members)

    def _shut_down(self, event: ShutDown, members: Members) -> None:
        self._send({"type": FrameType.SHUTDOWN, "text": event.text}, members)

    def _end(self, event: Ended, members: Members) -> None:
        for member in members:
            self._ended(event, member)
