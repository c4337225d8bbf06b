"""The chat log: runs of messages under one avatar, rendered a visible row at a time.

Entries stay plain data. For the current width the log keeps one cumulative row count per
entry (an ``array``), finds the entry of a screen row by bisection, and renders a row only
when it comes into view, keeping rows and recently wrapped entries in bounded LRU caches.
"""

from __future__ import annotations

import re
import time
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import ClassVar

from rich._wrap import divide_line
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tuichat.net.frames import CONSOLE

AVATAR_COLUMNS = 8
AVATAR_ROWS = AVATAR_COLUMNS // 2
"""A run of messages is at least this tall, so its avatar fits."""
GUTTER = AVATAR_COLUMNS + 1
RUN_SECONDS = 300.0
"""A message joins its sender's run if it follows the previous one within this time."""
EVENT_MARK = "→"
"""Starts an event's line, which has no avatar or header."""
NAME_COLOURS = (
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "bright_red",
    "bright_green",
    "bright_blue",
    "bright_magenta",
)
"""ANSI colours that stay legible in 16 colours, on dark and light themes alike."""

_CONTROLS = {code: chr(0x2400 + code) for code in range(0x20) if code != 0x0A}
_CONTROLS |= {0x7F: "\u2421"} | {code: "\ufffd" for code in range(0x80, 0xA0)}
"""Control characters shown as their Unicode pictures, so none reaches the terminal."""
_URL = re.compile(r"(?:https?|ftp)://[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]}]", re.IGNORECASE)


class EntryKind(StrEnum):
    """What a log entry is, which decides how it is drawn."""

    MESSAGE = "message"
    NOTICE = "notice"
    ERROR = "error"
    EVENT = "event"


_KIND_STYLES = {EntryKind.NOTICE: "notice", EntryKind.ERROR: "error"}
"""Component styles of the whole text of server notices."""


@dataclass(slots=True)
class LogEntry:
    """One line of the chat's history as the log shows it."""

    kind: EntryKind
    text: str
    ts: float
    sender: str = ""
    avatar: str | None = None
    seq: int | None = None


AvatarProvider = Callable[[LogEntry, int], list[Strip]]
"""``(entry, columns)`` to strips ``columns`` wide and ``columns // 2`` rows."""


def local_time(ts: float) -> str:
    """``ts`` as local hours and minutes."""
    return time.strftime("%H:%M", time.localtime(ts))


@lru_cache(maxsize=1024)
def name_style(name: str) -> Style:
    """The stable colour of a sender, the same in every session."""
    digest = zlib.crc32(name.casefold().encode())
    return Style(color=NAME_COLOURS[digest % len(NAME_COLOURS)])


def continues_run(previous: LogEntry | None, entry: LogEntry) -> bool:
    """True if ``entry`` goes under ``previous``'s header and avatar."""
    return (
        previous is not None
        and entry.kind is not EntryKind.EVENT
        and previous.kind is not EntryKind.EVENT
        and entry.sender == previous.sender
        and entry.ts - previous.ts <= RUN_SECONDS
    )


def has_header(previous: LogEntry | None, entry: LogEntry) -> bool:
    """True if ``entry`` starts a run, under a header with the sender's name."""
    return entry.kind is not EntryKind.EVENT and not continues_run(previous, entry)


class MessageLog(ScrollView, can_focus=True):
    """The chat history, smooth at any length: it renders only the rows in view."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "message-log--name",
        "message-log--console",
        "message-log--time",
        "message-log--event",
        "message-log--notice",
        "message-log--error",
        "message-log--mention",
        "message-log--url",
    }
    ALLOW_SELECT = False
    """Rows carry no selection offsets; ``plain_lines`` is the way to copy text."""


    def __init__(
        self,
        avatars: AvatarProvider,
        *,
        me: str = "",
        time_format: Callable[[float], str] = local_time,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._avatars = avatars
        self._time_format = time_format
        self._me = me
        self._mention = _mention_pattern(me)
        self._entries: list[LogEntry] = []
        self._width = 0
        """The content width the layout is for; 0 until the widget has a size."""
        self._ends = array("q")
        """The row just past each entry, padding included: a prefix sum of heights."""
        self._run_rows = 0
        """Rows of the last run so far, without its padding."""
        self._padding = 0
        """Blank rows that end the last entry, so its run is as tall as an avatar."""
        self._strips: LRUCache[tuple[int, int, int], Strip] = LRUCache(1024)
        """Rendered rows keyed by (entry index, row in the entry, width)."""
        self._lines: LRUCache[tuple[int, int], list[Text]] = LRUCache(256)
        """Styled, wrapped text of recently drawn entries keyed by (entry index, width),
        so the rows of a tall entry do not wrap it again each."""

    @property
    def me(self) -> str:
        """The user's name; others' messages mentioning it are highlighted."""
        return self._me

    @me.setter
    def me(self, name: str) -> None:
        self._me = name
        self._mention = _mention_pattern(name)
        self._repaint()

    @property
    def entries(self) -> Sequence[LogEntry]:
        """Every entry, oldest first."""
        return self._entries

    def add(self, entry: LogEntry) -> None:
        """Append one entry; a view at the bottom follows it."""
        self.extend((entry,))

    def extend(self, entries: Iterable[LogEntry]) -> None:
        """Append many entries with a single layout update."""
        start = len(self._entries)
        self._entries.extend(entries)
        if self._width:
            self._lay_out(start)

    def reset(self, entries: Iterable[LogEntry]) -> None:
        """Replace every entry and show the newest."""
        self._entries = list(entries)
        self._clear_caches()
        if self._width:
            self._clear_layout()
            self._lay_out(0)
        if self.is_mounted:
            self.scroll_end(animate=False)

    def refresh_avatars(self) -> None:
        """Repaint with the provider's current avatars (one has arrived)."""
        self._repaint()

    def plain_lines(self) -> list[str]:
        """Every row at the current width as plain text, avatars as spaces, right-stripped."""
        rows: list[str] = []
        for index in range(len(self._ends)):
            lines = [(" " * GUTTER + line.plain).rstrip() for line in self._text_lines(index)]
            rows += lines + [""] * (self._height(index) - len(lines))
        return rows

    def on_mount(self) -> None:
        """Follow new entries until the user scrolls away (``end`` resumes)."""
        self.anchor()

    def on_resize(self, _: Resize) -> None:
        """Lay out again when the width changes, keeping the top row's entry in view."""
        width = self.scrollable_content_region.width
        if width <= 0 or width == self._width:
            return
        following = self.is_vertical_scroll_end or not self._ends
        keep = None if following else self._locate(self.scroll_offset.y)
        self._width = width
        self._clear_layout()
        self._lay_out(0)
        if keep is not None:
            index, row = keep
            self.scroll_to(y=self._start(index) + min(row, self._height(index) - 1), animate=False)

    def notify_style_update(self) -> None:
        """Drop rendered rows: the theme or stylesheet changed."""
        super().notify_style_update()
        self._clear_caches()

    def render_line(self, y: int) -> Strip:
        """The row ``y`` of the view, from the cache or rendered now."""
        row = self.scroll_offset.y + y
        if not self._ends or row >= self._ends[-1]:
            return Strip.blank(self._width, self.rich_style)
        index, offset = self._locate(row)
        key = (index, offset, self._width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(index, offset)
            self._strips.set(key, strip)
        return strip

    @property
    def _text_width(self) -> int:
        return max(1, self._width - GUTTER)

    def _repaint(self) -> None:
        self._clear_caches()
        self.refresh()

    def _clear_caches(self) -> None:
        self._strips.clear()
        self._lines.clear()

    def _start(self, index: int) -> int:
        """The first row of entry ``index`` (or the total row count past the last one)."""
        return self._ends[index - 1] if index else 0

    def _height(self, index: int) -> int:
        """Rows of entry ``index``, padding included."""
        return self._start(index + 1) - self._start(index)

    def _locate(self, row: int) -> tuple[int, int]:
        """The entry holding ``row``, and the row's offset within it."""
        index = bisect_right(self._ends, row)
        return index, row - self._start(index)

    def _clear_layout(self) -> None:
        self._ends = array("q")
        self._run_rows = self._padding = 0

    def _lay_out(self, start: int) -> None:
        """Place the entries from ``start`` on, then resize and repaint once."""
        entries = self._entries
        for index in range(start, len(entries)):
            self._place(self._previous(index), entries[index])
        self.virtual_size = Size(self._width, self._ends[-1] if self._ends else 0)
        self.refresh()

    def _place(self, previous: LogEntry | None, entry: LogEntry) -> None:
        """Append ``entry``'s rows, moving its run's padding below it."""
        continues = continues_run(previous, entry)
        rows = self._count_rows(entry) + int(has_header(previous, entry))
        end = self._ends[-1] if self._ends else 0
        if continues:
            end -= self._padding
            self._ends[-1] = end
            self._run_rows += rows
        else:
            self._run_rows = rows
        event = entry.kind is EntryKind.EVENT
        self._padding = 0 if event else max(0, AVATAR_ROWS - self._run_rows)
        self._ends.append(end + rows + self._padding)

    def _count_rows(self, entry: LogEntry) -> int:
        """Rows of the entry's wrapped text, as ``Text.wrap`` will make them.

        Most chat lines fit and take the short path. Others are counted with the line
        breaker that ``Text.wrap`` itself uses, without building Text objects: a third
        faster, which matters when every entry is laid out again on a resize.
        """
        plain = self._plain(entry)
        width = self._text_width
        if "\n" not in plain and cell_len(plain) <= width:
            return 1
        return sum(len(divide_line(line, width, fold=True)) + 1 for line in plain.split("\n"))

    def _plain(self, entry: LogEntry) -> str:
        """The entry's text as shown, before styling and wrapping."""
        text = entry.text.translate(_CONTROLS)
        if entry.kind is EntryKind.EVENT:
            return f"{EVENT_MARK} {text}  {self._time_format(entry.ts)}"
        return text

    def _text_lines(self, index: int) -> list[Text]:
        """The text column of entry ``index``: its header if any, then its wrapped text.

        The rows past these, up to the entry's height, are padding.
        """
        entry = self._entries[index]
        lines = [self._header(entry)] if has_header(self._previous(index), entry) else []
        lines += self._body(entry).wrap(self.app.console, self._text_width, overflow="fold")
        return lines

    def _previous(self, index: int) -> LogEntry | None:
        return self._entries[index - 1] if index else None

    def _header(self, entry: LogEntry) -> Text:
        name = entry.sender.translate(_CONTROLS)
        if entry.sender == CONSOLE:
            name_part = (name, self._style("console"))
        else:
            name_part = (name, self._style("name") + name_style(name))
        header = Text.assemble(name_part, " ", (self._time_format(entry.ts), self._style("time")))
        header.truncate(self._text_width, overflow="ellipsis")
        return header

    def _body(self, entry: LogEntry) -> Text:
        """The entry's text with its styles: kind, URLs, mentions of me."""
        plain = self._plain(entry)
        text = Text(plain)
        if entry.kind is EntryKind.EVENT:
            text.stylize(self._style("event"))
            text.stylize(self._style("time"), len(plain) - len(self._time_format(entry.ts)))
            return text
        if entry.kind in _KIND_STYLES:
            text.stylize(self._style(_KIND_STYLES[entry.kind]))
        url_style = self._style("url")
        for match in _URL.finditer(plain):
            text.stylize(url_style + Style(link=match.group()), match.start(), match.end())
        if self._mention and entry.kind is EntryKind.MESSAGE and not self._is_me(entry.sender):
            mention_style = self._style("mention")
            for match in self._mention.finditer(plain):
                text.stylize(mention_style, match.start(), match.end())
        return text

    def _is_me(self, sender: str) -> bool:
        return sender.casefold() == self._me.casefold()

    def _style(self, component: str) -> Style:
        return self.get_component_rich_style(f"message-log--{component}", partial=True)

    def _render_row(self, index: int, row: int) -> Strip:
        """Row ``row`` of entry ``index``: gutter and text, as wide as the content."""
        key = (index, self._width)
        lines = self._lines.get(key)
        if lines is None:
            lines = self._text_lines(index)
            self._lines.set(key, lines)
        text = Strip(lines[row].render(self.app.console)) if row < len(lines) else Strip([])
        base = self.rich_style
        strip = Strip.join([self._gutter(index, row), text])
        return strip.crop_extend(0, self._width, base).apply_style(base)

    def _gutter(self, index: int, row: int) -> Strip:
        """The gutter beside row ``row`` of entry ``index``: its run's avatar, or blank."""
        blank = Strip.blank(GUTTER)
        if self._entries[index].kind is EntryKind.EVENT:
            return blank
        head, offset = self._run_head(index)
        avatar_row = offset + row
        if avatar_row >= AVATAR_ROWS:
            return blank
        avatar = self._avatars(self._entries[head], AVATAR_COLUMNS)
        if avatar_row >= len(avatar):
            return blank
        picture = avatar[avatar_row].crop_extend(0, AVATAR_COLUMNS, None)
        return Strip.join([picture, Strip([Segment(" ", Style.null())])])

    def _run_head(self, index: int) -> tuple[int, int]:
        """The first entry of ``index``'s run and the rows from it to ``index``.

        The walk back stops once the offset reaches the avatar's height, since no avatar
        row is needed past it; so it is short even in a run of thousands of messages.
        """
        start = self._start(index)
        head = index
        while (
            head
            and start - self._start(head) < AVATAR_ROWS
            and continues_run(self._previous(head), self._entries[head])
        ):
            head -= 1
        return head, start - self._start(head)


def _mention_pattern(name: str) -> re.Pattern[str] | None:
    """A case-insensitive match of ``name`` as a whole word, or None for no name."""
    if not name:
        return None
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
