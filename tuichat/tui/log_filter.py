"""Which users' lines the chat log keeps out of view: the ignored (``/ignore``), and
everyone but a few (``/focus``). Plain data, as ``log_entries`` is."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tuichat.net.frames import CONSOLE
from tuichat.tui.log_entries import PEOPLE_KINDS, LogEntry


def folded(names: Iterable[str]) -> frozenset[str]:
    return frozenset(name.casefold() for name in names)


@dataclass(slots=True)
class SenderFilter:
    """The senders a log hides; names are kept casefolded."""

    hidden: frozenset[str] = frozenset()
    """Whose messages, actions and private messages are not shown."""
    only_from: frozenset[str] | None = None
    """Whose messages alone are shown, besides mine and Console's; None: everyone's."""

    @property
    def active(self) -> bool:
        return bool(self.hidden) or self.only_from is not None

    def hides(self, entry: LogEntry, is_me: Callable[[str], bool]) -> bool:
        """True if ``entry`` is a user's line kept out of view (``is_me``: is a name mine)."""
        if entry.kind not in PEOPLE_KINDS:
            return False
        sender = entry.sender.casefold()
        if sender in self.hidden:
            return True
        return (self.only_from is not None and sender not in self.only_from
                and entry.sender != CONSOLE and not is_me(entry.sender))
