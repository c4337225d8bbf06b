"""The room list above the user list: each room and private conversation, one a row,
with its unread and mention counts; the shown one highlighted.

Rooms read ``#name``; a private conversation reads the other user's name. The counts sit
at the right: how many messages came while it was not shown, and ``@N`` for those that
name us. Collapsed (the compact layout, or f4) the list is one row: the shown
conversation, then how many others there are and what is waiting in them. A click on a
row shows that conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget


@dataclass(frozen=True, slots=True)
class RoomRow:
    """What the list shows of one conversation."""

    key: str
    unread: int = 0
    mentions: int = 0
    current: bool = False


class RoomList(Widget, can_focus=False):
    """The conversations, one a row (or all in one row when collapsed)."""

    COMPONENT_CLASSES = {"room-list--current", "room-list--unread", "room-list--mention"}
    DEFAULT_CSS = "RoomList { height: auto; }"

    class Picked(Message):
        """The user clicked the conversation ``key``."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: tuple[RoomRow, ...] = ()
        self.collapsed = False

    @property
    def rows(self) -> tuple[RoomRow, ...]:
        return self._rows

    def show(self, rows: Sequence[RoomRow], *, collapsed: bool) -> None:
        """Show these rows (in this order), all or collapsed into one."""
        if tuple(rows) != self._rows or collapsed != self.collapsed:
            self._rows, self.collapsed = tuple(rows), collapsed
            self.refresh(layout=True)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 1 if self.collapsed else max(1, len(self._rows))

    def render(self) -> Text:
        width = self.content_region.width or self.size.width
        if self.collapsed:
            return self._collapsed(width)
        lines = [self._row(row, width) for row in self._rows]
        return Text("\n", no_wrap=True).join(lines)

    def on_click(self, event: events.Click) -> None:
        """A click on a row shows its conversation (a collapsed list opens with f4)."""
        if not self.collapsed and 0 <= event.y < len(self._rows):
            self.post_message(self.Picked(self._rows[event.y].key))

    def _style(self, part: str) -> Style:
        return self.get_component_rich_style(f"room-list--{part}", partial=True)

    def _badge(self, unread: int, mentions: int) -> Text:
        badge = Text()
        if unread:
            badge.append(str(unread), self._style("unread"))
        if mentions:
            badge.append(f" @{mentions}", self._style("mention"))
        return badge

    def _row(self, row: RoomRow, width: int) -> Text:
        """``name   3 @1``: the name cut to leave room for the counts."""
        badge = self._badge(row.unread, row.mentions)
        name = Text(row.key, self._style("unread") if row.unread else Style())
        room = max(1, width - badge.cell_len - (1 if badge.cell_len else 0))
        name.truncate(room, overflow="ellipsis", pad=True)
        line = Text.assemble(name, " " if badge.cell_len else "", badge)
        if row.current:
            line.stylize(self._style("current"))
            line.pad_right(max(0, width - line.cell_len))
            line.stylize(self._style("current"))
        return line

    def _collapsed(self, width: int) -> Text:
        """``#dev +3  5 @1``: the shown one, how many others, and what waits in them."""
        current = next((row for row in self._rows if row.current), None)
        others = [row for row in self._rows if not row.current]
        unread = sum(row.unread for row in others)
        mentions = sum(row.mentions for row in others)
        badge = self._badge(unread, mentions)
        more = f" +{len(others)}" if others else ""
        head = Text((current.key if current else "") + more, self._style("current"))
        room = max(1, width - badge.cell_len - (1 if badge.cell_len else 0))
        head.truncate(room, overflow="ellipsis", pad=True)
        return Text.assemble(head, " " if badge.cell_len else "", badge)
