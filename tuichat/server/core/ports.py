"""What the core is given besides its doors: a scheduler for timers and work off the
loop, and the rooms' stores."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from tuichat.server.store.history import History

T = TypeVar("T")


class Scheduler(Protocol):
    """Timers and work off the loop, for the core that must never block."""

    def call_later(self, delay: float, callback: Callable[[], object]) -> None:
        """Run ``callback`` on the loop after ``delay`` seconds."""

    def in_worker(self, work: Callable[[], T], then: Callable[[Future[T]], None]) -> None:
        """Run ``work`` on a worker thread, then ``then`` with its future on the loop."""


class Stores(Protocol):
    """The rooms' histories (``store.room_stores.RoomStores``)."""

    def names(self) -> list[str]:
        """Every room that exists, sorted."""

    def exists(self, room: str) -> bool:
        """Whether ``room`` exists."""

    def open(self, room: str) -> History:
        """``room``'s history, opened or created."""

    def forget(self, room: str) -> None:
        """Delete a room other than the default room, with its history."""
