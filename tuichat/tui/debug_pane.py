"""The side pane behind ``/Debug``: the client's log and every frame, with timestamps."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from rich.text import Text
from textual.widgets import RichLog

from tuichat.net.frames import Channel, Frame

MAX_DEBUG_LINES = 2_000
DebugRecord = tuple[float, str, str]
"""(unix time, line, Rich style) of one debug line."""
SECRET_KEYS = frozenset({"password", "admin_password", "session", "ticket"})
MASK = "•••"


def masked(frame: Frame) -> Frame:
    """``frame`` with passwords and session tokens hidden, and ``admin -a`` arguments too."""
    shown = {key: MASK if key in SECRET_KEYS and value else value for key, value in frame.items()}
    for key in ("line", "text"):
        value = shown.get(key)
        if isinstance(value, str) and value.split()[:2] == ["admin", "-a"]:
            shown[key] = f"admin -a {MASK}"
    return shown


def describe_frame(direction: str, channel: Channel, frame: Frame, payload_size: int) -> str:
    """One line for a frame: direction arrow, channel, and the frame as compact JSON."""
    body = json.dumps(masked(frame), ensure_ascii=False, separators=(",", ":"), default=str)
    if len(body) > 500:
        body = body[:500] + f"… ({len(body):,} chars)"
    extra = f" +{payload_size:,} bytes" if payload_size else ""
    return f"{direction} {channel:<5} {body}{extra}"


class DebugPane(RichLog):
    """A bounded log of frames and log records."""

    def __init__(self, *, id: str | None = None) -> None:
        # min_width 1: lines wrap at the pane's width (RichLog's default renders 78 wide
        # and cuts what a narrow pane cannot show).
        super().__init__(max_lines=MAX_DEBUG_LINES, min_width=1, wrap=True, markup=False, id=id)
        self.can_focus = False

    def add(self, record: DebugRecord) -> None:
        """Append one record, stamped with its own time."""
        now, line, style = record
        stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
        entry = Text(stamp + " ", style="dim")
        entry.append(line, style=style)
        self.write(entry)


class PaneHandler(logging.Handler):
    """Sends log records to a callable (the app posts them to the debug pane)."""

    def __init__(self, sink: Callable[[str, str], None]) -> None:
        super().__init__(logging.DEBUG)
        self._sink = sink
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            style = "red" if record.levelno >= logging.WARNING else "italic"
            self._sink(self.format(record), style)
        except Exception:
            self.handleError(record)
