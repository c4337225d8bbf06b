"""The chat screen's status line: who, where, how connected, and what needs attention."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text

SEPARATOR = " · "
MIN_TOPIC_CELLS = 8
"""A topic cut shorter than this is left out: the room's name alone says more."""


@dataclass(frozen=True, slots=True)
class Status:
    """What the status line tells, gathered from the chat screen at one moment."""

    me: str
    host: str
    state: str
    """``connecting``, ``connected``, ``reconnecting`` or ``refused``."""
    cause: str
    """Why the session ended, shown in place of the state once it is ``refused``."""
    tls: bool
    unread: int
    mentions: int
    search: str
    search_at: tuple[int, int] | None
    """Which match of ``search`` is in view, of how many; None: no match."""
    away: bool
    focus: bool
    users: int
    admin: bool
    elsewhere: tuple[int, int] = (0, 0)
    """Messages (and mentions of us) waiting in other rooms, told while the room list is
    hidden (a narrow terminal, the debug pane)."""
    place: str = ""
    """The conversation shown (``#dev``), told where no topic line shows it (the compact
    layout); empty: not told."""
    topic: str = ""
    """The topic of ``place``, told quoted and cut to what the line has room for."""

    def line(self, width: int = 0) -> str:
        """One line, most urgent first, since a narrow terminal cuts its end off; the
        topic takes only the cells the rest leaves of ``width`` (0: no limit)."""
        parts = self._parts()
        if not self.place:
            return SEPARATOR.join(parts)
        at = 3 if self.state == "connected" and self.tls else 2
        parts.insert(at, self.place)
        if self.topic:
            # Quoted, so a topic's own " · " does not read as the line's next part.
            room = width - cell_len(SEPARATOR.join(parts)) - 3 if width else cell_len(self.topic)
            if room >= MIN_TOPIC_CELLS:
                topic = Text(self.topic)
                topic.truncate(room, overflow="ellipsis")
                parts[at] = f"{self.place} “{topic.plain}”"
        return SEPARATOR.join(parts)

    def _parts(self) -> list[str]:
        """The line's parts but the place: who and where, the state, then what waits."""
        connected = self.state == "connected"
        parts = [f"{self.me} @ {self.host}", self.cause if self.state == "refused" else self.state]
        if connected and self.tls:
            parts.append("tls")
        if self.unread:
            mentions = f", {self.mentions} for you" if self.mentions else ""
            parts.append(f"↓ {self.unread} new{mentions}")
        waiting, for_you = self.elsewhere
        if waiting:
            parts.append(f"{waiting} elsewhere" + (f", {for_you} for you" if for_you else ""))
        if self.search:
            where = f"{self.search_at[0]}/{self.search_at[1]}" if self.search_at else "0/0"
            parts.append(f"search {self.search!r} {where}")
        if self.away:
            parts.append("away")
        if self.focus:
            parts.append("focus")
        if connected:
            parts.append(f"{self.users} user{'s' if self.users != 1 else ''}")
        if self.admin:
            parts.append("admin")
        if self.search:
            parts.append("f3 / shift+f3: next, esc: stop")
        return parts
