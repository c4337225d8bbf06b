"""Frames in, typed requests out: the one place the native door reads what a client sent.

Each frame a member sends on its send channel becomes one request of
``tuichat.server.core.requests``; a frame that breaks a rule becomes an ``Unreadable``
carrying the notice the client gets (the core still counts it against the member's
allowance), so no dict ever goes further in. ``hello`` becomes an ``Arrival`` (its name
rules raise ``RequestError``, which the door turns into ``bad_name``) and the notices for
the entries of its ``rooms`` that cannot be read. Frames without ``room`` are about the
default room.
"""

from __future__ import annotations

from collections.abc import Callable

from tuichat.net.commands import is_admin_line
from tuichat.net.frames import (
    MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    Frame,
    FrameType,
    is_ref,
    text_problem,
)
from tuichat.net.names import name_problem
from tuichat.net.rooms import normalize_room, room_problem
from tuichat.server.core.chat import quoted
from tuichat.server.core.requests import (
    Arrival,
    Command,
    JoinRoom,
    ListRooms,
    PartRoom,
    Private,
    Rename,
    Request,
    RequestError,
    Resume,
    RoomEntry,
    Say,
    SetAway,
    SetTopic,
    Unreadable,
    Whois,
)

REF_RULE = "ref must be an integer or a string of at most 64 characters"


def version_problem(frame: Frame) -> str | None:
    """Why ``hello``'s version is not one this server speaks (any integer from 1 is: the
    server answers with the lower of the two)."""
    version = frame.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        return (f"hello must give the protocol version as an integer; this server speaks "
                f"versions {MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}")
    if version < MIN_PROTOCOL_VERSION:
        return (f"the client speaks protocol version {version}; this server speaks versions "
                f"{MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}")
    return None


def arrival(frame: Frame, avatar: str | None) -> tuple[Arrival, list[str]]:
    """The arrival ``hello`` asks for (``avatar``: the stored one it names, checked by the
    door), and a notice for each entry of its ``rooms`` that cannot be read. RequestError
    when the name breaks the name rules."""
    name = frame.get("name")
    if not isinstance(name, str):
        raise RequestError(name_problem(name) or "the name must be a string")
    entries, problems = room_entries(frame.get("rooms"))
    return Arrival(name, _secret(frame.get("password")), _secret(frame.get("admin_password")),
                   avatar, resume(frame.get("since"), frame.get("epoch")), entries,
                   _secret(frame.get("ticket"))), problems


def _secret(value: object) -> str | None:
    """A password (or ticket) as given: None when absent; anything but a string is a
    wrong one."""
    if value is None or isinstance(value, str):
        return value
    return ""


def resume(since: object, epoch: object) -> Resume:
    """Where a client's log of a room ends, from ``since`` and ``epoch`` as it sent them."""
    if since is None:
        return Resume()
    usable = (isinstance(since, int) and not isinstance(since, bool) and since >= 0
              and (epoch is None or isinstance(epoch, str)))
    if not usable:
        return Resume(unusable=True)
    assert isinstance(since, int)
    return Resume(since, epoch if isinstance(epoch, str) else None)


def room_entries(value: object) -> tuple[tuple[RoomEntry, ...], list[str]]:
    """The rooms ``hello`` asks to (re)join, in order, and a notice for each entry that
    cannot be read."""
    if value is None:
        return (), []
    if not isinstance(value, dict):
        return (), ["Rooms not joined: hello's rooms must be an object of room names."]
    entries: list[RoomEntry] = []
    problems: list[str] = []
    for key, point in value.items():
        name = normalize_room(key)
        problem = room_problem(name)
        if problem is not None:
            problems.append(f"Room not joined: {problem}.")
        elif not isinstance(point, dict):
            problems.append(f"Room not joined: the entry of {name} must be an object.")
        else:
            entries.append(RoomEntry(name, resume(point.get("since"), point.get("epoch"))))
    return tuple(entries), problems


def request(kind: str, frame: Frame, default_room: str) -> Request:
    """The request a send-channel frame of type ``kind`` makes (one of ``REQUESTS``)."""
    return REQUESTS[kind](frame, default_room)


def _room(frame: Frame, default_room: str) -> str:
    """The room a frame is about: its ``room``, or the default room when it has none.
    RequestError when it is not a room name."""
    value = frame.get("room")
    if value is None:
        return default_room
    if not isinstance(value, str):
        raise RequestError("the room name must be a string")
    name = normalize_room(value)
    problem = room_problem(name)
    if problem is not None:
        raise RequestError(problem)
    return name


def _say(frame: Frame, default_room: str) -> Request:
    ref = frame.get("ref")
    if ref is not None and not is_ref(ref):
        return Unreadable(REF_RULE)
    try:
        room = _room(frame, default_room)
    except RequestError as exc:
        return Unreadable(f"Message not sent: {exc}.", ref)
    text = frame.get("text")
    if isinstance(text, str) and is_admin_line(text):
        return Command(room, text, ref)
    if not isinstance(text, str):
        return Unreadable(f"Message not sent: {text_problem(text)}.", ref, room)
    try:
        return Say(room, text, ref, frame.get("action") is True)
    except RequestError as exc:
        return Unreadable(f"Message not sent: {exc}.", ref, room)


def _command(frame: Frame, default_room: str) -> Request:
    line = frame.get("line")
    try:
        room = _room(frame, default_room)
    except RequestError as exc:
        return Unreadable(f"Command not run: {exc}.")
    if not isinstance(line, str) or text_problem(line) is not None:
        return Unreadable("command must be a line of text", room=room)
    return Command(room, line)


def _private(frame: Frame, default_room: str) -> Request:
    ref, text, to = frame.get("ref"), frame.get("text"), frame.get("to")
    if ref is not None and not is_ref(ref):
        return Unreadable(REF_RULE)
    problem = text_problem(text)
    if problem is not None:
        return Unreadable(f"Message not sent: {problem}.", ref)
    if not isinstance(to, str):
        return Unreadable(f"No one named {quoted(to)} is here; your message was not sent.",
                          ref)
    assert isinstance(text, str)
    return Private(to, text, ref)


def _nick(frame: Frame, default_room: str) -> Request:
    name = frame.get("name")
    try:
        if not isinstance(name, str):
            raise RequestError(name_problem(name) or "the name must be a string")
        return Rename(name)
    except RequestError as exc:
        return Unreadable(f"Name not changed: {exc}.")


def _away(frame: Frame, default_room: str) -> Request:
    text = frame.get("text")
    try:
        if text is not None and not isinstance(text, str):
            raise RequestError(text_problem(text) or "the text must be a string")
        return SetAway(text)
    except RequestError as exc:
        return Unreadable(f"Away text not set: {exc}.")


def _whois(frame: Frame, default_room: str) -> Request:
    name = frame.get("name")
    if not isinstance(name, str):
        return Unreadable(f"No one named {quoted(name)} is here.")
    return Whois(name)


def _join_room(frame: Frame, default_room: str) -> Request:
    try:
        return JoinRoom(_room(frame, default_room))
    except RequestError as exc:
        return Unreadable(f"Room not joined: {exc}.")


def _part_room(frame: Frame, default_room: str) -> Request:
    try:
        return PartRoom(_room(frame, default_room))
    except RequestError as exc:
        return Unreadable(f"Room not parted: {exc}.")


def _topic(frame: Frame, default_room: str) -> Request:
    text = frame.get("text")
    try:
        room = _room(frame, default_room)
    except RequestError as exc:
        return Unreadable(f"Topic not set: {exc}.")
    try:
        if text is not None and not isinstance(text, str):
            raise RequestError(text_problem(text) or "the text must be a string")
        return SetTopic(room, text)
    except RequestError as exc:
        return Unreadable(f"Topic not set: {exc}.", room=room)


def _list_rooms(frame: Frame, default_room: str) -> Request:
    return ListRooms()


REQUESTS: dict[str, Callable[[Frame, str], Request]] = {
    FrameType.SAY: _say,
    FrameType.COMMAND: _command,
    FrameType.PRIVATE: _private,
    FrameType.NICK: _nick,
    FrameType.AWAY: _away,
    FrameType.WHOIS: _whois,
    FrameType.JOIN_ROOM: _join_room,
    FrameType.PART_ROOM: _part_room,
    FrameType.TOPIC: _topic,
    FrameType.LIST_ROOMS: _list_rooms,
}
"""How each send-channel frame a member may send becomes a request."""
