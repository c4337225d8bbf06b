"""``/search`` on the chat screen: the term, which match is in view, and stepping.

The log shown does the matching and highlighting (``MessageLog.search``); this keeps
what the status line tells of it, and starts over on the log of another conversation.
"""

from __future__ import annotations

from collections.abc import Callable

from tuichat.tui.message_log import MessageLog


class ChatSearch:
    """The search of one chat screen, on whichever log is shown."""

    def __init__(self, log: Callable[[], MessageLog], tell: Callable[[str], None]) -> None:
        self._log = log
        self._tell = tell
        self.term = ""
        self.at: tuple[int, int] | None = None
        """Which match is in view, of how many (the newest is 1); None: no match."""

    def start(self, term: str) -> None:
        """Highlight ``term`` and go to its newest match; an empty term stops."""
        if not term:
            self.stop()
            return
        self.term = term
        count = self._log().search(term)
        self.at = self._log().search_step() if count else None
        if not count:
            self._tell(f"No message holds {term!r}.")

    def step(self, backward: bool) -> bool:
        """Go to the next older (or newer) match; False when there is no search."""
        if not self.term:
            return False
        self.at = self._log().search_step(backward)
        return True

    def stop(self, log: MessageLog | None = None) -> bool:
        """Stop searching (in ``log``, the one shown by default); False if not searching."""
        if not self.term:
            return False
        self.term, self.at = "", None
        (log or self._log()).clear_search()
        return True
