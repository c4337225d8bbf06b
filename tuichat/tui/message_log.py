"""The chat log widget: runs of messages under one avatar, rendered a visible row at a time.

``MessageLog`` is a ``ScrollView`` on the Line API, as toolong's ``LogLines`` is: it holds
the entries (plain data, ``log_entries``), keeps their rows at the current width in a
``LogLayout`` (``log_layout``), and draws a row only when it comes into view, from the
styled lines ``EntryFormat`` (``log_format``) makes, through ``RowPainter``
(``log_rows``), which keeps what it drew in bounded LRU caches. It owns what a user
does with it: following the end, scrolling, the unread marker, hiding senders, and
stepping through search matches. The compact layout (``compact_layout``) draws the
same entries a row per line of text.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar

from textual.events import Resize
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tuichat.tui import compact_layout
from tuichat.tui.log_entries import TIME_MODES, AvatarProvider, LogEntry, local_time
from tuichat.tui.log_filter import SenderFilter, folded
from tuichat.tui.log_format import COMPONENTS, EntryFormat
from tuichat.tui.log_layout import LogLayout
from tuichat.tui.log_rows import RowPainter
from tuichat.tui.log_search import LogSearch


class MessageLog(ScrollView, can_focus=True):
    """The chat history, smooth at any length: it renders only the rows in view."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"message-log--{part}" for part in COMPONENTS}
    ALLOW_SELECT = False
    """Rows carry no selection offsets; ``plain_lines`` is the way to copy text."""

    class ReachedEnd(Message):
        """The user has scrolled back to the newest entry."""

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
        self._search = LogSearch()
        self._format = EntryFormat(self, time_format, me, self._search)
        self._compact: bool | None = False
        self._filter = SenderFilter()
        self._entries: list[LogEntry] = []
        self._layout = LogLayout(self._entries, self._format)
        self._rows = RowPainter(self._format, avatars)
        self._marker: int | None = None
        """The index of the entry the unread marker goes above (or the first shown after)."""
        self._marker_pending = False
        self._at_end = True
        self._released = False
        """The user scrolled (Textual released the anchor) since the log last followed."""

    @property
    def me(self) -> str:
        """The user's name; others' messages mentioning it are highlighted."""
        return self._format.me

    @me.setter
    def me(self, name: str) -> None:
        self._format.me = name
        self._repaint()

    @property
    def markdown(self) -> bool:
        """Render message bodies that look like Markdown as Markdown."""
        return self._format.markdown

    @markdown.setter
    def markdown(self, on: bool) -> None:
        self._format.markdown = on
        self._relayout()

    @property
    def emoji(self) -> bool:
        """Show ``:smile:`` shortcodes as emoji."""
        return self._format.emoji

    @emoji.setter
    def emoji(self, on: bool) -> None:
        self._format.emoji = on
        self._relayout()

    @property
    def time_mode(self) -> str:
        """How times show: "time" (``time_format``), "datetime" or "off"."""
        return self._format.time_mode

    @time_mode.setter
    def time_mode(self, mode: str) -> None:
        if mode not in TIME_MODES:
            raise ValueError(f"time_mode must be one of {TIME_MODES}, not {mode!r}")
        self._format.time_mode = mode
        self._relayout()

    @property
    def compact(self) -> bool | None:
        """Draw one row per line of text (``compact_layout``) instead of runs beside their
        avatars; None picks by the terminal's size (``compact_layout.auto_compact``)."""
        return self._compact

    @compact.setter
    def compact(self, choice: bool | None) -> None:
        self._compact = choice
        self._check_layout()

    @property
    def compacted(self) -> bool:
        """True while the compact layout is drawn."""
        return self._format.compacted

    @property
    def hidden(self) -> frozenset[str]:
        """Casefolded names whose messages, actions and private messages are not shown."""
        return self._filter.hidden

    @hidden.setter
    def hidden(self, names: frozenset[str]) -> None:
        self._filter.hidden = folded(names)
        self._refilter()

    @property
    def only_from(self) -> frozenset[str] | None:
        """Casefolded names whose messages alone are shown, besides mine and Console's
        (``/focus``); None shows everyone's."""
        return self._filter.only_from

    @only_from.setter
    def only_from(self, names: frozenset[str] | None) -> None:
        self._filter.only_from = None if names is None else folded(names)
        self._refilter()

    def is_hidden(self, entry: LogEntry) -> bool:
        """True if ``entry`` is a user's line that ``hidden`` or ``only_from`` keeps out of
        view."""
        return self._filter.hides(entry, self._format.is_me)

    def _refilter(self) -> None:
        """Show and hide entries again after ``hidden`` or ``only_from`` changed."""
        self._search.rescan(self._entries, self.is_hidden, self._format.display)
        self._relayout()

    @property
    def entries(self) -> Sequence[LogEntry]:
        """Every entry, oldest first, hidden ones included."""
        return self._entries

    @property
    def at_end(self) -> bool:
        """True while the view shows (and follows) the newest entry."""
        return self._at_end

    @property
    def has_marker(self) -> bool:
        """True if the unread marker is waiting for the next entry or is shown."""
        return self._marker_pending or self._marker is not None

    def add(self, entry: LogEntry) -> None:
        """Append one entry; a view at the bottom follows it."""
        self.extend((entry,))

    def extend(self, entries: Iterable[LogEntry]) -> None:
        """Append many entries with a single layout update."""
        start = len(self._entries)
        self._entries.extend(entries)
        if self._marker_pending and len(self._entries) > start:
            self._marker_pending = False
            self._marker = start
        self._scan(start)
        if self._width:
            self._lay_out(start)

    def reset(self, entries: Iterable[LogEntry]) -> None:
        """Replace every entry and show the newest; the marker and current match go."""
        self._entries = list(entries)
        self._layout = LogLayout(self._entries, self._format)
        self._marker, self._marker_pending = None, False
        self._search.forget_matches()
        self._scan(0)
        self._clear_caches()
        if self._width:
            self._lay_out(0)
        if self.is_mounted:
            self.scroll_end(animate=False)

    def refresh_avatars(self) -> None:
        """Repaint with the provider's current avatars (one has arrived)."""
        self._repaint()

    def mentions_me(self, entry: LogEntry) -> bool:
        """True if ``entry`` is a message, action or private message of another naming me."""
        return self._format.mentions_me(entry)

    def mark_unread(self) -> None:
        """Draw a "new messages" rule above the next entry, unless a marker is already due."""
        if not self.has_marker:
            self._marker_pending = True

    def clear_marker(self) -> None:
        """Remove the unread marker, pending or shown."""
        self._marker_pending = False
        self._marker = None
        pos, self._layout.marker_pos = self._layout.marker_pos, None
        if pos is not None:
            self._lay_out_again(pos)

    def search(self, term: str) -> int:
        """Highlight every case-insensitive match of ``term`` in the shown bodies.

        Returns the number of shown entries that match; an empty ``term`` clears the search.
        """
        if not term:
            self.clear_search()
            return 0
        self._search.start(term)
        self._scan(0)
        self._repaint()
        return len(self._search.matches)

    def search_step(self, backward: bool = True) -> tuple[int, int] | None:
        """Move the current match to an older (or newer) matching entry and show it.

        The first step goes to the newest match; steps wrap around. Returns the current
        match's position counted from the newest (1 is the newest) and the number of
        matches, or None when nothing matches.
        """
        step = self._search.step(backward)
        if step is not None and self._search.current is not None:
            self._repaint()
            self._scroll_to_entry(self._search.current)
        return step

    def clear_search(self) -> None:
        """Remove the search and its highlights."""
        self._search.clear()
        self._repaint()

    def plain_lines(self) -> list[str]:
        """Every shown row at the current width as plain text, avatars as spaces,
        right-stripped."""
        rows: list[str] = []
        for pos in range(len(self._layout.ends)):
            lines = [(" " * self._gutter_width + line.plain).rstrip() for line in
                     self._rows.text_lines(self._layout, pos, self._search.current,
                                           pictures=False)]
            rows += lines + [""] * (self._layout.height(pos) - len(lines))
        return rows

    def on_mount(self) -> None:
        """Follow new entries until the user scrolls away (``end`` resumes)."""
        self.anchor()

    def on_resize(self, _: Resize) -> None:
        """Lay out again when the width or the layout changes, keeping the top row's entry
        in view."""
        self._check_layout()

    def _check_layout(self) -> None:
        """Lay out again for a new width or a change between the layouts."""
        width = self.scrollable_content_region.width if self.is_mounted else 0
        compacted = self._compact
        if compacted is None:
            compacted = self.is_mounted and compact_layout.auto_compact(self.app.size)
        if width <= 0 or (width, compacted) == (self._width, self._format.compacted):
            self._format.compacted = compacted
            return
        self._format.width, self._format.compacted = width, compacted
        self._relayout()

    def notify_style_update(self) -> None:
        """Drop rendered rows: the theme or stylesheet changed."""
        super().notify_style_update()
        self._clear_caches()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Note reaching the end: follow again, and tell the screen."""
        super().watch_scroll_y(old_value, new_value)
        reached = self.scroll_offset.y >= self.max_scroll_y and not self._at_end
        self._at_end = self.scroll_offset.y >= self.max_scroll_y
        if reached:
            # Not now: this may run inside the animator's step, and following stops
            # the scroll animation, which the animator is about to delete itself.
            self.call_later(self._follow_at_end)
            self.post_message(self.ReachedEnd())

    def release_anchor(self) -> None:
        """Stop following the end while the user scrolls (a scroll down at the end too,
        which moves nothing: ``_lay_out`` follows again then)."""
        super().release_anchor()
        self._released = True

    def render_line(self, y: int) -> Strip:
        """The row ``y`` of the view, from the cache or rendered now."""
        row = self.scroll_offset.y + y
        if row >= self._layout.rows:
            return Strip.blank(self._width, self.rich_style)
        pos, offset = self._layout.locate(row)
        return self._rows.strip(self._layout, pos, offset, self._search.current,
                                self.app.console, self.rich_style)

    @property
    def _width(self) -> int:
        return self._format.width

    @property
    def _text_width(self) -> int:
        return self._format.text_width

    @property
    def _gutter_width(self) -> int:
        return self._format.gutter_width

    def _repaint(self) -> None:
        self._rows.forget()
        self.refresh()

    def _clear_caches(self) -> None:
        self._format.clear()
        self._rows.forget()

    def _relayout(self) -> None:
        """Lay every entry out again (a new width or setting), keeping the top one in view."""
        if not self._width:
            return
        layout = self._layout
        keep = None if self._at_end or not layout.ends else layout.locate(self.scroll_offset.y)
        kept = None if keep is None else (layout.shown[keep[0]], keep[1])
        layout.clear()
        self._repaint()
        self._lay_out(0)
        if kept is not None and layout.ends:
            index, row = kept
            pos = min(bisect_left(layout.shown, index), len(layout.shown) - 1)
            row = min(row, layout.height(pos) - 1) if layout.shown[pos] == index else 0
            self.scroll_to(y=layout.start(pos) + row, animate=False)

    def _lay_out_again(self, pos: int) -> None:
        """Lay out the shown entries from ``pos`` on again, the ones before staying put."""
        index = self._layout.cut(pos)
        if index is not None:
            self._repaint()
            self._lay_out(index)

    def _lay_out(self, start: int) -> None:
        """Place the shown entries from index ``start`` on, then resize and repaint once."""
        if self._released and self._at_end and self.scroll_target_y >= self.max_scroll_y:
            self._follow()
        self._layout.lay_out(start, self._marker,
                             self.is_hidden if self._filter.active else None)
        self.virtual_size = Size(self._width, self._layout.rows)
        self.refresh()

    def _follow(self) -> None:
        """Follow new entries again from the end."""
        self._released = False
        self.anchor()

    def _follow_at_end(self) -> None:
        """Follow again if the view is still at the end."""
        if self._at_end:
            self._follow()

    def _scan(self, start: int) -> None:
        """Add the shown entries from index ``start`` on that match the search."""
        self._search.scan(self._entries, start, self.is_hidden, self._format.display)

    def _scroll_to_entry(self, index: int) -> None:
        """Scroll the shown entry ``index`` into view, centred if it fits."""
        layout = self._layout
        pos = bisect_left(layout.shown, index)
        if pos >= len(layout.shown) or layout.shown[pos] != index:
            return
        region = Region(0, layout.start(pos), self._width, layout.height(pos))
        self.scroll_to_region(region, animate=False, center=True, immediate=True)
