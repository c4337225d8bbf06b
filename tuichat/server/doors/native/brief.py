"""Frames in the debug log: formatted only when a line is emitted, secrets masked (the
session token, a door's ticket, passwords, an ``admin -a`` line, a private message's
text), cut short."""

from __future__ import annotations

import re
from typing import Any

from tuichat.net.frames import Frame, FrameType

_ADMIN_LOGIN = re.compile(r"\s*admin\s+-a\b")
LONGEST = 200
"""Characters of a frame shown at most."""


class Brief:
    """A frame for the debug log, made into text only if the line is emitted."""

    __slots__ = ("frame",)

    def __init__(self, frame: Frame) -> None:
        self.frame = frame

    def __str__(self) -> str:
        shown = {key: _masked(key, value) for key, value in self.frame.items()}
        if self.frame.get("type") == FrameType.PRIVATE and "text" in shown:
            shown["text"] = "***"
        text = repr(shown)
        return text if len(text) <= LONGEST else text[:LONGEST - 3] + "..."


def _masked(key: str, value: Any) -> Any:
    if "password" in key or key in ("session", "ticket"):
        return "***"
    if isinstance(value, str) and _ADMIN_LOGIN.match(value):
        return "admin -a ***"
    return value


def brief_name(frame: Frame) -> str:
    """The name a ``hello`` gave, for a log line about it."""
    name = frame.get("name")
    return repr(name[:40]) if isinstance(name, str) else "a hello without a name"
