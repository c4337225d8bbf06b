"""The search through the chat log: a term's pattern, the entries it matches, the current one.

``LogSearch`` holds no widget: ``MessageLog`` feeds it entries as they arrive and scrolls
to the current match; ``EntryFormat`` highlights the pattern's matches as it draws.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence

from tuichat.tui.log_entries import LogEntry


class LogSearch:
    """A case-insensitive search of the shown entries' bodies, stepped match by match."""

    def __init__(self) -> None:
        self.pattern: re.Pattern[str] | None = None
        """The term to highlight, or None when nothing is searched for."""
        self.matches: list[int] = []
        """Indices of the shown entries whose body matches the search, oldest first."""
        self.current: int | None = None
        """The entry index of the current match."""

    def start(self, term: str) -> None:
        """Search for ``term`` from now on; no entry matches until scanned."""
        self.pattern = re.compile(re.escape(term), re.IGNORECASE)
        self.forget_matches()

    def clear(self) -> None:
        """Search for nothing."""
        self.pattern = None
        self.forget_matches()

    def forget_matches(self) -> None:
        """Drop the matches and the current one (the entries were replaced)."""
        self.matches, self.current = [], None

    def scan(self, entries: Sequence[LogEntry], start: int, hidden: Callable[[LogEntry], bool],
             text: Callable[[LogEntry], str]) -> None:
        """Add the entries from index ``start`` on that are not ``hidden`` and whose
        ``text`` matches."""
        pattern = self.pattern
        if pattern is None:
            return
        for index in range(start, len(entries)):
            entry = entries[index]
            if not hidden(entry) and pattern.search(text(entry)):
                self.matches.append(index)

    def rescan(self, entries: Sequence[LogEntry], hidden: Callable[[LogEntry], bool],
               text: Callable[[LogEntry], str]) -> None:
        """Match every entry again (others are hidden now), keeping the current match if
        it is still shown."""
        if self.pattern is None:
            return
        self.matches = []
        self.scan(entries, 0, hidden, text)
        if self.current not in self.matches:
            self.current = None

    def step(self, backward: bool = True) -> tuple[int, int] | None:
        """Move the current match to an older (or newer) match.

        The first step goes to the newest match; steps wrap around. Returns the current
        match's position counted from the newest (1 is the newest) and the number of
        matches, or None when nothing matches.
        """
        matches = self.matches
        if not matches:
            return None
        if self.current is None:
            at = len(matches) - 1
        else:
            at = bisect_left(matches, self.current)
            at = (at - 1 if backward else at + 1) % len(matches)
        self.current = matches[at]
        return len(matches) - at, len(matches)
