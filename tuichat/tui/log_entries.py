"""The chat log's entries as plain data: their kinds, their times, and which form runs.

A run is a sender's consecutive lines drawn under one header and avatar; ``continues_run``
is its one rule. The widget (``message_log``) and the formatting (``log_format``) read
these; nothing here knows about Textual.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from textual.strip import Strip

AVATAR_COLUMNS = 8
AVATAR_ROWS = AVATAR_COLUMNS // 2
"""A run of messages is at least this tall, so its avatar fits."""
GUTTER = AVATAR_COLUMNS + 1
RUN_SECONDS = 300.0
"""A message joins its sender's run if it follows the previous one within this time."""
EVENT_MARK = "→"
"""Starts an event's line, which has no avatar or header."""
LOCAL_MARK = "·"
"""Starts a line of the client's own (``Not connected…``), which is never Console's."""
ACTION_MARK = "*"
"""Starts an action's line (``/me``): ``* alice waves``."""
TIME_MODES = ("time", "datetime", "off")


class EntryKind(StrEnum):
    """What a log entry is, which decides how it is drawn."""

    MESSAGE = "message"
    NOTICE = "notice"
    ERROR = "error"
    EVENT = "event"
    ACTION = "action"
    PRIVATE = "private"
    MOTD = "motd"
    PROFILE = "profile"
    """A ``whois`` answer: drawn under the user's picture, but never as their words."""
    LOCAL = "local"
    LOCAL_ERROR = "local_error"
    """The client's own words (a refusal for LOCAL_ERROR): a line, not the server's voice."""


PEOPLE_KINDS = frozenset({EntryKind.MESSAGE, EntryKind.ACTION, EntryKind.PRIVATE})
"""Kinds a user wrote: they can mention me, and an ignored sender's are hidden."""
LINE_KINDS = frozenset({EntryKind.EVENT, EntryKind.ACTION, EntryKind.LOCAL,
                        EntryKind.LOCAL_ERROR})
"""Kinds drawn as lines of their own: no avatar, no header, never in a run."""
_RUN_KINDS = frozenset({EntryKind.MESSAGE, EntryKind.NOTICE, EntryKind.ERROR})
"""Kinds that continue each other's runs (PRIVATE continues only PRIVATE)."""


@dataclass(slots=True)
class LogEntry:
    """One line of the chat's history as the log shows it."""

    kind: EntryKind
    text: str
    ts: float
    sender: str = ""
    avatar: str | None = None
    seq: int | None = None
    peer: str | None = None
    """PRIVATE only: the other party, whom the header names after ``sender →``."""


AvatarProvider = Callable[[LogEntry, int], list[Strip]]
"""``(entry, columns)`` to strips ``columns`` wide and ``columns // 2`` rows."""


def local_time(ts: float) -> str:
    """``ts`` as local hours and minutes."""
    return time.strftime("%H:%M", time.localtime(ts))


def local_datetime(ts: float) -> str:
    """``ts`` as the local date, hours and minutes."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def continues_run(previous: LogEntry | None, entry: LogEntry) -> bool:
    """True if ``entry`` goes under ``previous``'s header and avatar."""
    if (
        previous is None
        or entry.sender != previous.sender
        or entry.ts - previous.ts > RUN_SECONDS
    ):
        return False
    if entry.kind is EntryKind.PRIVATE:
        return previous.kind is EntryKind.PRIVATE and (
            (entry.peer or "").casefold() == (previous.peer or "").casefold()
        )
    return entry.kind in _RUN_KINDS and previous.kind in _RUN_KINDS
