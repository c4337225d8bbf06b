"""Server frames into typed updates (``updates``): ``parse_update``, the one reader.

Keys a type does not know are ignored (later extensions add some); a type this client
does not know becomes ``Unrecognised``; a frame that breaks its type's shape raises
``BadUpdate``, and the connection drops it (one line in the debug pane). An item of a
list (a user, a message of a history) that breaks its shape is left out. A frame
without ``room`` is about the default room, which the caller names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from tuichat.net.frames import Frame, FrameType, is_sha256
from tuichat.net.rooms import DEFAULT_ROOM, room_problem
from tuichat.net.updates import (
    Attached,
    AvatarBytes,
    AvatarChanged,
    ChatMessage,
    ErrorReport,
    HistoryBatch,
    Notice,
    Ping,
    PrivateMessage,
    Ref,
    RoomInfo,
    RoomJoined,
    RoomParted,
    RoomsListed,
    Shutdown,
    TopicChanged,
    Unrecognised,
    Update,
    UserChanged,
    UserJoined,
    UserLeft,
    UserRecord,
    Welcome,
    WhoisAnswer,
)

Item = TypeVar("Item")


class BadUpdate(ValueError):
    """A frame that breaks the shape of its type; the text says how."""


# -- reading fields ---------------------------------------------------------------------------


def _text(frame: Frame, key: str) -> str:
    value = frame.get(key)
    if not isinstance(value, str):
        raise BadUpdate(f"{key} must be a string")
    return value


def _maybe_text(frame: Frame, key: str) -> str | None:
    """An optional string: absent and null are None."""
    value = frame.get(key)
    if value is not None and not isinstance(value, str):
        raise BadUpdate(f"{key} must be a string or null")
    return value


def _number(frame: Frame, key: str) -> float | None:
    value = frame.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadUpdate(f"{key} must be a number")
    return float(value)


def _integer(frame: Frame, key: str) -> int | None:
    value = frame.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise BadUpdate(f"{key} must be an integer")
    return value


def _flag(frame: Frame, key: str) -> bool:
    return frame.get(key) is True


def _avatar(frame: Frame, key: str = "avatar") -> str | None:
    """A picture's hash; anything else (null, a malformed hash) is no picture."""
    value = frame.get(key)
    return value if is_sha256(value) else None


def _ref(frame: Frame) -> Ref:
    value = frame.get("ref")
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def _room(frame: Frame, default_room: str) -> str:
    """The room a frame is about: its ``room`` key, or the default room without one."""
    room = frame.get("room")
    if room is None:
        return default_room
    problem = room_problem(room)
    if problem is not None:
        raise BadUpdate(f"room: {problem}")
    return str(room)


def _items(frame: Frame, key: str, read: Callable[[Frame], Item]) -> tuple[Item, ...]:
    """The well-formed items of a list of objects (the others are left out)."""
    values = frame.get(key)
    if values is None:
        return ()
    if not isinstance(values, list):
        raise BadUpdate(f"{key} must be a list")
    items = []
    for value in values:
        if isinstance(value, dict):
            try:
                items.append(read(value))
            except BadUpdate:
                continue
    return tuple(items)


def user_record(frame: Frame) -> UserRecord:
    """The user record in ``frame`` (its ``name``, ``avatar``, ``admin``, ``away``)."""
    name = _text(frame, "name")
    if not name:
        raise BadUpdate("name must not be empty")
    return UserRecord(name, _avatar(frame), _flag(frame, "admin"),
                      _maybe_text(frame, "away") or None)


def chat_message(frame: Frame, room: str) -> ChatMessage:
    """A message frame (live, replayed, or an item of a history) in ``room``."""
    return ChatMessage(room, _text(frame, "from"), _text(frame, "text"),
                       _number(frame, "ts") or 0.0, _integer(frame, "seq"), _avatar(frame),
                       _flag(frame, "action"), _ref(frame), _flag(frame, "replay"))


# -- one reader per type ----------------------------------------------------------------------


def _welcome(frame: Frame, payload: bytes | None, default_room: str) -> Welcome:
    room = _room(frame, DEFAULT_ROOM)
    extensions = frame.get("extensions")
    names = frozenset(name for name in extensions if isinstance(name, str)) \
        if isinstance(extensions, list) else frozenset()
    return Welcome(
        _text(frame, "name"), _text(frame, "session"), room, _integer(frame, "version") or 1,
        _maybe_text(frame, "server") or "", _flag(frame, "admin"), _avatar(frame),
        _avatar(frame, "console_avatar"), names, _maybe_text(frame, "epoch"),
        _maybe_text(frame, "topic") or None, _maybe_text(frame, "motd"),
        _items(frame, "users", user_record),
        _items(frame, "history", lambda item: chat_message(item, room)),
        _flag(frame, "history_truncated"))


def _room_joined(frame: Frame, payload: bytes | None, default_room: str) -> RoomJoined:
    room = _room(frame, default_room)
    return RoomJoined(room, _maybe_text(frame, "topic") or None, _maybe_text(frame, "motd"),
                      _maybe_text(frame, "epoch"), _items(frame, "users", user_record),
                      _items(frame, "history", lambda item: chat_message(item, room)),
                      _flag(frame, "history_truncated"))


def _room_info(frame: Frame) -> RoomInfo:
    room = _room(frame, "")
    if not room:
        raise BadUpdate("room is missing")
    return RoomInfo(room, _integer(frame, "members") or 0, _maybe_text(frame, "topic") or None)


def _history(frame: Frame, payload: bytes | None, default_room: str) -> HistoryBatch:
    room = _room(frame, default_room)
    return HistoryBatch(room, _items(frame, "messages", lambda item: chat_message(item, room)),
                        _flag(frame, "reset"))


def _leave(frame: Frame, payload: bytes | None, default_room: str) -> UserLeft:
    return UserLeft(_room(frame, default_room), _text(frame, "name"),
                    _maybe_text(frame, "reason") or "quit", _maybe_text(frame, "renamed_to"),
                    _flag(frame, "parted"), _maybe_text(frame, "by"), _maybe_text(frame, "text"),
                    _flag(frame, "banned"))


def _whois(frame: Frame, payload: bytes | None, default_room: str) -> WhoisAnswer:
    rooms = frame.get("rooms")
    names = tuple(room for room in rooms if isinstance(room, str) and room_problem(room) is None) \
        if isinstance(rooms, list) else ()
    return WhoisAnswer(user_record(frame), _number(frame, "joined"),
                       _maybe_text(frame, "address"), names)


def _avatar_bytes(frame: Frame, payload: bytes | None, default_room: str) -> AvatarBytes:
    if payload is None:
        raise BadUpdate("an avatar frame must carry the picture's bytes")
    return AvatarBytes(_text(frame, "sha256"), payload)


def _ping(frame: Frame, payload: bytes | None, default_room: str) -> Ping:
    n = frame.get("n")
    return Ping(n if isinstance(n, int) and not isinstance(n, bool) else None)


_Reader = Callable[[Frame, "bytes | None", str], Update]
_READERS: dict[str, _Reader] = {
    FrameType.WELCOME: _welcome,
    FrameType.MESSAGE: lambda f, p, room: chat_message(f, _room(f, room)),
    FrameType.PRIVATE: lambda f, p, room: PrivateMessage(
        _text(f, "from"), _text(f, "to"), _text(f, "text"), _number(f, "ts") or 0.0,
        _avatar(f), _ref(f)),
    FrameType.NOTICE: lambda f, p, room: Notice(
        _text(f, "text"), _maybe_text(f, "level") or "info", _flag(f, "motd"), _ref(f),
        None if f.get("room") is None else _room(f, room)),
    FrameType.ERROR: lambda f, p, room: ErrorReport(
        _text(f, "code"), _maybe_text(f, "text") or "", _ref(f), _maybe_text(f, "sha256")),
    FrameType.HISTORY: _history,
    FrameType.SHUTDOWN: lambda f, p, room: Shutdown(_maybe_text(f, "text") or ""),
    FrameType.JOIN: lambda f, p, room: UserJoined(
        _room(f, room), user_record(f), _flag(f, "present"), _maybe_text(f, "renamed_from")),
    FrameType.LEAVE: _leave,
    FrameType.AVATAR_CHANGED: lambda f, p, room: AvatarChanged(
        _text(f, "name"), _avatar(f), _flag(f, "unchanged")),
    FrameType.USER_CHANGED: lambda f, p, room: UserChanged(user_record(f)),
    FrameType.WHOIS: _whois,
    FrameType.AVATAR: _avatar_bytes,
    FrameType.PING: _ping,
    FrameType.ATTACHED: lambda f, p, room: Attached(_maybe_text(f, "channel") or ""),
    FrameType.ROOM_JOINED: _room_joined,
    FrameType.ROOM_PARTED: lambda f, p, room: RoomParted(_room(f, room)),
    FrameType.TOPIC: lambda f, p, room: TopicChanged(
        _room(f, room), _maybe_text(f, "text") or None, _maybe_text(f, "by")),
    FrameType.ROOMS: lambda f, p, room: RoomsListed(_items(f, "rooms", _room_info)),
}


def parse_update(frame: Frame, payload: bytes | None = None, *,
                 default_room: str = DEFAULT_ROOM) -> Update:
    """The typed form of a frame from the server; BadUpdate if it breaks its type's shape.

    ``default_room`` is the room a frame without ``room`` is about (``Welcome.room``).
    """
    kind: Any = frame.get("type")
    if not isinstance(kind, str):
        raise BadUpdate("type must be a string")
    reader = _READERS.get(kind)
    if reader is None:
        return Unrecognised(kind)
    return reader(frame, payload, default_room)
