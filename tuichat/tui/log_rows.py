"""How a laid-out row of the chat log is drawn: the text column's lines and the gutter,
and the recently drawn rows kept.

``RowPainter`` puts together what ``EntryFormat`` makes of an entry (marker, header, body,
the compact lead) with the avatars, at the places ``LogLayout`` gives, and turns them
into strips. It keeps drawn rows and recently drawn entries in bounded LRU caches, so a
scroll redraws only what comes into view; the widget (``message_log``) says when what
was drawn is stale (``forget``).
"""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.strip import Strip

from tuichat.tui import compact_layout
from tuichat.tui.log_entries import AVATAR_COLUMNS, AVATAR_ROWS, LINE_KINDS, AvatarProvider
from tuichat.tui.log_format import EntryFormat
from tuichat.tui.log_layout import LogLayout
from tuichat.tui.log_markdown import segments_text


class RowPainter:
    """The rows of shown entries, drawn with ``entry_format`` and ``avatars``."""

    def __init__(self, entry_format: EntryFormat, avatars: AvatarProvider) -> None:
        self._format = entry_format
        self._avatars = avatars
        self._strips: LRUCache[tuple[int, int, int], Strip] = LRUCache(1024)
        """Drawn rows keyed by (shown position, row in the entry, width)."""
        self._lines: LRUCache[tuple[int, int], list[Text]] = LRUCache(256)
        """Styled, wrapped text of recently drawn entries keyed by (shown position, width),
        so the rows of a tall entry do not wrap it again each."""

    def forget(self) -> None:
        """Drop every drawn row: an avatar, a setting, the theme or the layout changed."""
        self._strips.clear()
        self._lines.clear()

    def strip(self, layout: LogLayout, pos: int, row: int, current: int | None,
              console: Console, base: Style) -> Strip:
        """Row ``row`` of shown entry ``pos`` (gutter and text, as wide as the log, in
        ``base`` style), from the cache or drawn now; ``current`` is the entry index of
        the current search match."""
        width = self._format.width
        key = (pos, row, width)
        strip = self._strips.get(key)
        if strip is None:
            lines = self._lines.get((pos, width))
            if lines is None:
                lines = self.text_lines(layout, pos, current)
                self._lines.set((pos, width), lines)
            text = Strip(lines[row].render(console)) if row < len(lines) else Strip([])
            strip = Strip.join([self.gutter(layout, pos, row), text])
            strip = strip.crop_extend(0, width, base).apply_style(base)
            self._strips.set(key, strip)
        return strip

    def text_lines(self, layout: LogLayout, pos: int, current: int | None, *,
                   pictures: bool = True) -> list[Text]:
        """The text column of shown entry ``pos``: the marker and header if any, then its
        body's lines (a compact card's beside its picture, or blanks without ``pictures``);
        ``current`` is the entry index of the current search match.

        The rows past these, up to the entry's height, are padding.
        """
        entry_format = self._format
        entry = layout.entry(pos)
        lines = [entry_format.marker_line()] if pos == layout.marker_pos else []
        if layout.has_header(pos):
            lines.append(entry_format.header(entry))
        body = entry_format.body_lines(entry, current=layout.shown[pos] == current)
        if entry_format.is_card(entry):
            rows = self._avatars(entry, AVATAR_COLUMNS) if pictures else []
            body = compact_layout.beside([segments_text(list(row)) for row in rows], body,
                                         AVATAR_COLUMNS)
        if entry_format.compacted:
            body = compact_layout.hang(
                entry_format.lead(entry, continued=layout.continues(pos)), body)
        return lines + body

    def gutter(self, layout: LogLayout, pos: int, row: int) -> Strip:
        """The gutter beside row ``row`` of shown entry ``pos``: its run's avatar, or blank."""
        blank = Strip.blank(self._format.gutter_width)
        entry = layout.entry(pos)
        if self._format.compacted:
            first = pos == layout.marker_pos
            if row != first or entry.kind in LINE_KINDS or layout.continues(pos):
                return blank
            return compact_layout.cue(self._avatars(entry, compact_layout.CUE_COLUMNS))
        if entry.kind in LINE_KINDS:
            return blank
        head = layout.run_head(pos)
        avatar_row = layout.start(pos) + row - layout.top(head)
        if not 0 <= avatar_row < AVATAR_ROWS:
            return blank
        avatar = self._avatars(layout.entry(head), AVATAR_COLUMNS)
        if avatar_row >= len(avatar):
            return blank
        picture = avatar[avatar_row].crop_extend(0, AVATAR_COLUMNS, None)
        return Strip.join([picture, Strip([Segment(" ", Style.null())])])
