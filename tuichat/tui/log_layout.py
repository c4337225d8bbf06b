"""Where the chat log's entries lie: the row each shown entry starts at, for one width.

``LogLayout`` keeps, for the entries it shows (hidden senders' are skipped), their index
in the entry list and one cumulative row count each (``array``s, a prefix sum of heights),
so the entry of a screen row is found by bisection. A run's padding (blank rows that make
it as tall as its avatar) moves below each entry that continues the run. Row counts come
from ``EntryFormat``, which draws the same rows; the widget (``message_log``) scrolls and
repaints.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Sequence

from tuichat.tui.log_entries import AVATAR_ROWS, LINE_KINDS, LogEntry, continues_run
from tuichat.tui.log_format import EntryFormat


class LogLayout:
    """The rows of the shown entries of ``entries``, laid out as ``entry_format`` draws
    them."""

    def __init__(self, entries: Sequence[LogEntry], entry_format: EntryFormat) -> None:
        self._entries = entries
        self._format = entry_format
        self.shown = array("q")
        """The index in ``entries`` of each laid-out entry: the ones not hidden."""
        self.ends = array("q")
        """The row just past each shown entry, padding included: a prefix sum of heights."""
        self._run_rows = 0
        """Rows of the last run so far, without its padding."""
        self._padding = 0
        """Blank rows that end the last entry, so its run is as tall as an avatar."""
        self.marker_pos: int | None = None
        """The shown entry the unread marker is drawn above, once laid out."""

    @property
    def rows(self) -> int:
        """Rows of every shown entry."""
        return self.ends[-1] if self.ends else 0

    @property
    def _run_height(self) -> int:
        """The fewest rows of a run: its avatar's height (compact: one row)."""
        return 1 if self._format.compacted else AVATAR_ROWS

    def entry(self, pos: int) -> LogEntry:
        """Shown entry ``pos``."""
        return self._entries[self.shown[pos]]

    def _previous(self, pos: int) -> LogEntry | None:
        return self._entries[self.shown[pos - 1]] if pos else None

    def start(self, pos: int) -> int:
        """The first row of shown entry ``pos`` (or the total row count past the last)."""
        return self.ends[pos - 1] if pos else 0

    def top(self, pos: int) -> int:
        """The first row of shown entry ``pos`` below the unread marker, if it has one."""
        return self.start(pos) + (pos == self.marker_pos)

    def height(self, pos: int) -> int:
        """Rows of shown entry ``pos``, marker and padding included."""
        return self.start(pos + 1) - self.start(pos)

    def locate(self, row: int) -> tuple[int, int]:
        """The shown entry holding ``row``, and the row's offset within it."""
        pos = bisect_right(self.ends, row)
        return pos, row - self.start(pos)

    def continues(self, pos: int) -> bool:
        """True if shown entry ``pos`` goes under the previous one's header and avatar."""
        return pos != self.marker_pos and continues_run(self._previous(pos), self.entry(pos))

    def has_header(self, pos: int) -> bool:
        """True if shown entry ``pos`` starts a run with a header row."""
        return (not self._format.compacted and self.entry(pos).kind not in LINE_KINDS
                and not self.continues(pos))

    def run_head(self, pos: int) -> int:
        """The first shown entry of ``pos``'s run, or one far enough up for the avatar.

        The walk back stops once the rows from the head reach the avatar's height, since
        no avatar row is needed past it; so it is short even in a run of thousands.
        """
        start = self.start(pos)
        head = pos
        while head and start - self.top(head) < AVATAR_ROWS and self.continues(head):
            head -= 1
        return head

    def clear(self) -> None:
        """Forget every entry's rows (and where the marker was)."""
        self.shown = array("q")
        self.ends = array("q")
        self._run_rows = self._padding = 0
        self.marker_pos = None

    def cut(self, pos: int) -> int | None:
        """Forget the rows of the shown entries from ``pos`` on, the ones before staying
        put; the index in ``entries`` to lay out again from, or None if none was shown."""
        if pos >= len(self.shown):
            return None
        index = self.shown[pos]
        del self.shown[pos:]
        del self.ends[pos:]
        self._padding = 0
        if pos:
            last = pos - 1
            own = self._format.count_rows(self.entry(last)) + self.has_header(last)
            self._padding = self.height(last) - own - (last == self.marker_pos)
        self._run_rows = self._run_height - self._padding
        return index

    def lay_out(self, start: int, marker: int | None,
                hidden: Callable[[LogEntry], bool] | None) -> None:
        """Place the entries from index ``start`` on, but those ``hidden``; the unread
        marker goes above the first shown at or after index ``marker`` unless already
        placed."""
        entries, shown = self._entries, self.shown
        if self.marker_pos is not None:
            marker = None
        previous = entries[shown[-1]] if shown else None
        for index in range(start, len(entries)):
            entry = entries[index]
            if hidden is not None and hidden(entry):
                continue
            if marker is not None and index >= marker:
                self.marker_pos, marker = len(shown), None
            self._place(len(shown), previous, entry)
            shown.append(index)
            previous = entry

    def _place(self, pos: int, previous: LogEntry | None, entry: LogEntry) -> None:
        """Append the rows of ``entry``, shown at ``pos`` after ``previous``, moving its
        run's padding below it."""
        continues = pos != self.marker_pos and continues_run(previous, entry)
        line = entry.kind in LINE_KINDS
        header = not continues and not line and not self._format.compacted
        rows = self._format.count_rows(entry) + header
        end = self.ends[-1] if self.ends else 0
        if continues:
            end -= self._padding
            self.ends[-1] = end
            self._run_rows += rows
        else:
            self._run_rows = rows
        self._padding = 0 if line else max(0, self._run_height - self._run_rows)
        self.ends.append(end + (pos == self.marker_pos) + rows + self._padding)
