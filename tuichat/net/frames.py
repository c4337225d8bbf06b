"""Frame vocabulary and limits of protocol v1, in one place for both sides.

Frames travel as plain JSON objects (``dict[str, Any]``); this module names their types,
error codes and limits, and holds the validation rules the contract states for chat
text and avatar hashes (the name rules are in ``names``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

PROTOCOL_VERSION = 1
"""The highest protocol version this code speaks."""
MIN_PROTOCOL_VERSION = 1
"""The oldest protocol version this code still speaks."""

MAX_FRAME_BYTES = 65_536
"""Largest frame line, including its terminating newline."""
MAX_PAYLOAD_BYTES = 262_144
"""Largest raw payload that may follow a frame with ``size``."""
MAX_TEXT_CHARS = 4_096
MAX_NAME_CHARS = 32
MAX_REF_CHARS = 64
MAX_AWAY_CHARS = 200
"""Longest away text (extension ``away``)."""
WELCOME_HISTORY = 200
"""Messages in ``welcome`` without ``since``."""
SINCE_HISTORY = 1_000
"""Most messages replayed after ``since``."""
MAX_AVATAR_SIDE = 1_024

DEFAULT_PORT_SEND = 49153
DEFAULT_PORT_RECV = 49154

CONSOLE = "Console"
"""The reserved name of the server's own voice."""

Frame = dict[str, Any]


class Channel(StrEnum):
    """The three connections of a session."""

    SEND = "send"
    RECV = "recv"
    IMAGE = "image"


class FrameType(StrEnum):
    """Every ``type`` of the contract, plus this project's extensions."""

    HELLO = "hello"
    WELCOME = "welcome"
    ATTACH = "attach"
    ATTACHED = "attached"  # extension: the server's acknowledgement of ``attach``
    SAY = "say"
    MESSAGE = "message"
    COMMAND = "command"
    NOTICE = "notice"
    ERROR = "error"
    HISTORY = "history"
    SHUTDOWN = "shutdown"
    JOIN = "join"
    LEAVE = "leave"
    AVATAR_CHANGED = "avatar_changed"
    USER_CHANGED = "user_changed"  # extension: a user's admin state changed
    AVATAR = "avatar"
    GET_AVATAR = "get_avatar"
    PING = "ping"
    PONG = "pong"
    BYE = "bye"
    PRIVATE = "private"  # extension: a private message, both ways
    NICK = "nick"  # extension: rename yourself
    AWAY = "away"  # extension: set or clear your away text
    WHOIS = "whois"  # extension: ask about a user, and the answer
    JOIN_ROOM = "join_room"  # extension rooms: enter a room (made on first join)
    ROOM_JOINED = "room_joined"  # extension rooms: the room's topic, users and history
    PART_ROOM = "part_room"  # extension rooms: leave a room
    ROOM_PARTED = "room_parted"  # extension rooms: the server's answer to part_room
    TOPIC = "topic"  # extension rooms: set a room's topic, and the news of it
    LIST_ROOMS = "list_rooms"  # extension rooms: ask for the rooms
    ROOMS = "rooms"  # extension rooms: the rooms, with member counts and topics


class ErrorCode(StrEnum):
    """Codes of ``error`` frames."""

    BAD_VERSION = "bad_version"
    BAD_NAME = "bad_name"
    NAME_TAKEN = "name_taken"
    BAD_PASSWORD = "bad_password"
    SERVER_FULL = "server_full"
    BAD_SESSION = "bad_session"
    BAD_FRAME = "bad_frame"
    UNKNOWN_TYPE = "unknown_type"
    BAD_IMAGE = "bad_image"
    NOT_FOUND = "not_found"
    KICKED = "kicked"  # extension: an admin ended the session
    BANNED = "banned"  # extension: the address or the name is banned


class LeaveReason(StrEnum):
    """Why a session ended, as told to the others in ``leave``."""

    QUIT = "quit"
    TIMEOUT = "timeout"
    KICKED = "kicked"
    ERROR = "error"


_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def is_sha256(value: object) -> bool:
    """True for a lowercase hex SHA-256 digest, the only form avatars are addressed by."""
    return isinstance(value, str) and _SHA256_HEX.fullmatch(value) is not None


_CONTROL_OR_SURROGATE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
"""Category Cc (but ``\\n``) and Cs, found at C speed: this runs on every chat line."""


def _is_blank(text: str) -> bool:
    """True if ``text`` holds only white space and invisible format characters (Cf)."""
    core = text.strip()
    if not core:
        return True
    if unicodedata.category(core[0]) != "Cf":
        return False
    return all(char.isspace() or unicodedata.category(char) == "Cf" for char in core)


def text_problem(text: object, *, limit: int = MAX_TEXT_CHARS) -> str | None:
    """Why ``text`` cannot be a chat line, or None when it can.

    1 to ``limit`` characters, not only white space or invisible format characters,
    newlines allowed, no other control characters, and encodable as UTF-8 (no lone
    surrogates).
    """
    if not isinstance(text, str):
        return "the text must be a string"
    if _is_blank(text):
        return "the text is empty"
    if len(text) > limit:
        return f"the text is {len(text):,} characters long; at most {limit:,} are allowed"
    control = _CONTROL_OR_SURROGATE.search(text)
    if control is not None:
        return f"the text holds the control character U+{ord(control[0]):04X}"
    return None


def away_problem(text: object) -> str | None:
    """Why ``text`` cannot be an away text, or None: the chat-text rules, one line, at
    most ``MAX_AWAY_CHARS`` characters."""
    problem = text_problem(text, limit=MAX_AWAY_CHARS)
    if problem is None and "\n" in str(text):
        return "the text must be one line"
    return problem


# -- rooms (extension ``rooms``): the topic rule, for the server and the client ----------

MAX_TOPIC_CHARS = 300
"""Longest room topic (extension ``rooms``)."""


def topic_problem(text: object) -> str | None:
    """Why ``text`` cannot be a room's topic, or None: the chat-text rules, one line, at
    most ``MAX_TOPIC_CHARS`` characters."""
    problem = text_problem(text, limit=MAX_TOPIC_CHARS)
    if problem is None and "\n" in str(text):
        return "the topic must be one line"
    return problem


def is_ref(value: object) -> bool:
    """True for a usable client ``ref``: a short string or an integer."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return (
        isinstance(value, str) and len(value) <= MAX_REF_CHARS and text_problem(value) is None
    )


@dataclass(frozen=True, slots=True)
class Message:
    """One stored chat message, as kept in history and sent in ``message`` frames."""

    seq: int
    ts: float
    sender: str
    text: str
    avatar: str | None = None
    action: bool = False
    """An emote (``/me waves``), shown as ``* alice waves``."""

    def to_frame(self) -> Frame:
        """The ``message`` frame for this message (without a ``ref``); ``action`` only
        when true."""
        frame: Frame = {
            "type": FrameType.MESSAGE.value,
            "seq": self.seq,
            "ts": self.ts,
            "from": self.sender,
            "text": self.text,
            "avatar": self.avatar,
        }
        if self.action:
            frame["action"] = True
        return frame

    @classmethod
    def from_frame(cls, frame: Frame) -> Message:
        """Read a ``message`` frame; raises KeyError or TypeError when it is not one."""
        seq, ts, sender, text = frame["seq"], frame["ts"], frame["from"], frame["text"]
        avatar = frame.get("avatar")
        if isinstance(seq, bool) or isinstance(ts, bool):
            raise TypeError("seq and ts must be numbers, not true or false")
        if not (isinstance(seq, int) and isinstance(ts, int | float)):
            raise TypeError("seq and ts must be numbers")
        if not (isinstance(sender, str) and isinstance(text, str)):
            raise TypeError("from and text must be strings")
        avatar = avatar if is_sha256(avatar) else None
        return cls(seq, float(ts), sender, text, avatar, frame.get("action") is True)
