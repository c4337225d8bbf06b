"""The page's websocket messages, parsed once into typed values: ``["stdin", TEXT]``,
``["resize", {"width": N, "height": N}]`` (bounded to a screen's size), ``["ping", X]``,
``["focus"]``, ``["blur"]``. Anything else is an ``EnvelopeError`` (textual-serve let a
malformed one end the session with a traceback)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeGuard

from tuichat.server.doors.screen_size import bounded


class EnvelopeError(ValueError):
    """A message that is not one the page sends; ``str()`` says what is wrong."""


@dataclass(frozen=True, slots=True)
class Keys:
    """What the user typed."""

    text: str


@dataclass(frozen=True, slots=True)
class Resize:
    """The page's terminal has a new size (already bounded)."""

    columns: int
    rows: int


@dataclass(frozen=True, slots=True)
class Ping:
    """Answered with ``["pong", data]``."""

    data: Any


@dataclass(frozen=True, slots=True)
class Focus:
    """The page gained (``focused``) or lost the focus."""

    focused: bool


Envelope = Keys | Resize | Ping | Focus


def parse(text: str) -> Envelope:
    """The message ``text``; EnvelopeError when it is not one the page sends."""
    try:
        envelope = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested past the parser's depth
        raise EnvelopeError("not JSON") from None
    if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
        raise EnvelopeError("not a list that starts with its type")
    kind, body = envelope[0], envelope[1:]
    if kind == "stdin" and len(body) == 1 and isinstance(body[0], str):
        return Keys(body[0])
    if kind == "resize" and len(body) == 1 and isinstance(body[0], dict):
        columns, rows = body[0].get("width"), body[0].get("height")
        if _is_int(columns) and _is_int(rows):
            return Resize(*bounded(columns, rows))
    if kind == "ping" and len(body) == 1:
        return Ping(body[0])
    if kind in ("focus", "blur"):
        return Focus(kind == "focus")
    raise EnvelopeError(f"not a message the page sends ({kind[:20]!r})")


def size_from_query(columns: str, rows: str) -> tuple[int, int]:
    """The first size, from the websocket URL's ``width`` and ``height`` (bounded; a
    missing or unreadable one is the default)."""
    return bounded(_number(columns), _number(rows))


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(text: str) -> int:
    try:
        return int(text) if len(text) <= 8 else 0
    except ValueError:
        return 0
