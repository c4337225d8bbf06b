"""The chat screen's conversations: each room we are in, and each private conversation,
with its own message log, members, topic and unread counts.

A room's key is its name (``#dev``); a private conversation's is the other user's name,
compared case-insensitively. The order is the room list's: rooms in the order they were
joined (the default room first), then private conversations in the order they opened.
One conversation is shown at a time; the others' logs stay mounted but hidden, keeping
their scroll positions. Without the rooms extension there is exactly one, the default
room, and nothing of this shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from textual.widget import Widget

from tuichat.net.rooms import ROOM_PREFIX
from tuichat.tui.message_log import MessageLog
from tuichat.tui.roster import Roster


@dataclass(eq=False)
class Conversation:
    """One room or private conversation as the screen keeps it."""

    key: str
    log: MessageLog
    roster: Roster
    topic: str | None = None
    topic_by: str | None = None
    unread: int = 0
    """Messages from others that came while another conversation was shown."""
    mentions: int = 0
    """Of those, the ones that name us."""

    @property
    def is_room(self) -> bool:
        return self.key.startswith(ROOM_PREFIX)

    def matches(self, key: str) -> bool:
        return self.key.casefold() == key.casefold()


class Conversations:
    """The conversations in the room list's order, one of them current."""

    def __init__(self, host: Widget, make_log: Callable[[], MessageLog]) -> None:
        """``host`` is the container the logs are mounted in; ``make_log`` makes a log
        with the screen's settings."""
        self._host = host
        self._make_log = make_log
        self._items: list[Conversation] = []
        self._current: Conversation | None = None
        self._ids = 0

    def __iter__(self) -> Iterator[Conversation]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    @property
    def current(self) -> Conversation:
        assert self._current is not None, "there is always a conversation"
        return self._current

    @property
    def rooms(self) -> list[Conversation]:
        return [item for item in self._items if item.is_room]

    def get(self, key: str) -> Conversation | None:
        return next((item for item in self._items if item.matches(key)), None)

    def adopt(self, key: str, log: MessageLog) -> Conversation:
        """The first conversation, around the log the screen composed (it is mounted)."""
        first = Conversation(key, log, Roster())
        self._items.append(first)
        self._current = first
        return first

    def open(self, key: str) -> Conversation:
        """The conversation ``key``, opened (at the end, hidden) if it was not."""
        found = self.get(key)
        if found is not None:
            return found
        self._ids += 1
        log = self._make_log()
        log.id = f"log-{self._ids}"
        log.display = False
        item = Conversation(key, log, Roster())
        rooms = len(self.rooms)
        self._items.insert(rooms if item.is_room else len(self._items), item)
        self._host.mount(log)
        return item

    def show(self, item: Conversation) -> bool:
        """Make ``item`` the shown one and clear its counts; False if it already was."""
        item.unread = item.mentions = 0
        if item is self._current:
            return False
        self.current.log.display = False
        item.log.display = True
        self._current = item
        return True

    def close(self, item: Conversation) -> None:
        """Forget ``item`` and remove its log; a shown one gives way to its neighbour."""
        if len(self._items) == 1:
            return
        index = self._items.index(item)
        if item is self._current:
            self.show(self._items[index - 1] if index else self._items[1])
        self._items.remove(item)
        item.log.remove()

    def step(self, offset: int) -> Conversation:
        """The conversation ``offset`` places after the current one, wrapping round."""
        index = self._items.index(self.current)
        return self._items[(index + offset) % len(self._items)]

    def nth(self, number: int) -> Conversation | None:
        """The conversation at 1-based ``number`` in the list, or None."""
        return self._items[number - 1] if 1 <= number <= len(self._items) else None

    def room_for(self, key: str | None) -> Conversation:
        """Where a line about room ``key`` goes: its room, or the shown conversation when
        the room is not one of ours (or there is no room)."""
        found = self.get(key) if key is not None else None
        return found if found is not None else self.current
