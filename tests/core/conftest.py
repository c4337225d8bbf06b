"""The chat core driven with no sockets at all: a door that records what it is handed, a
scheduler that runs timers and worker jobs when told, and real stores in a temp dir."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tuichat.server.bans import BanList
from tuichat.server.config import ServerConfig
from tuichat.server.core.chat import Chat
from tuichat.server.core.events import Event
from tuichat.server.core.model import Member
from tuichat.server.core.requests import Arrival, Request
from tuichat.server.store.room_stores import RoomStores
from tuichat.server.store.saves import SaveDir

ADMIN_PASSWORD = "secret"
CONSOLE_AVATAR = "c" * 64
T = TypeVar("T")
E = TypeVar("E")


class Discard:
    """An outlet that drops what it is given: the core never calls it."""

    def write(self, data: bytes, /) -> None:
        """Nothing to do."""


@dataclass
class RecordingDoor:
    """A door that keeps every event with the members it was for."""

    deliveries: list[tuple[Event, tuple[Member, ...]]] = field(default_factory=list)

    def deliver(self, event: Event, members: Collection[Member]) -> None:
        self.deliveries.append((event, tuple(members)))

    def to(self, member: Member) -> list[Event]:
        """Every event handed to ``member``, in order."""
        return [event for event, members in self.deliveries if member in members]

    def of(self, member: Member, kind: type[E]) -> list[E]:
        """The events of type ``kind`` handed to ``member``."""
        return [event for event in self.to(member) if isinstance(event, kind)]

    def texts(self, member: Member) -> list[str]:
        """The texts of the notices ``member`` got."""
        from tuichat.server.core.events import Noticed

        return [event.text for event in self.of(member, Noticed)]

    def clear(self) -> None:
        self.deliveries.clear()


@dataclass
class StepScheduler:
    """Timers wait until ``run_timers``; worker jobs run at once, on this thread."""

    timers: list[tuple[float, Callable[[], object]]] = field(default_factory=list)

    def call_later(self, delay: float, callback: Callable[[], object]) -> None:
        self.timers.append((delay, callback))

    def in_worker(self, work: Callable[[], T], then: Callable[[Future[T]], None]) -> None:
        future: Future[T] = Future()
        try:
            future.set_result(work())
        except Exception as exc:  # the job's failure travels in its future
            future.set_exception(exc)
        then(future)

    def run_timers(self) -> None:
        """Run the timers due, in order of their delay (new ones included)."""
        while self.timers:
            self.timers.sort(key=lambda timer: timer[0])
            _, callback = self.timers.pop(0)
            callback()


@dataclass
class World:
    """A chat, its door, its scheduler, and how to bring users in."""

    chat: Chat
    door: RecordingDoor
    scheduler: StepScheduler
    stores: RoomStores
    config: ServerConfig
    stopped: list[str]

    def arrive(self, name: str, host: str = "127.0.0.1", **arrival: Any) -> Member:
        """Let ``name`` in (failing the test if refused); the member."""
        member = self.member(name, host)
        refusal = self.chat.arrive(member, Arrival(name, **arrival), self.door)
        assert refusal is None, refusal
        return member

    def member(self, name: str, host: str = "127.0.0.1") -> Member:
        """A member as a door makes one, before it arrives."""
        return Member(name, host, f"{host}:1", Discard())

    def handle(self, member: Member, *requests: Request) -> None:
        for request in requests:
            self.chat.handle(member, request)


WorldFactory = Callable[..., World]


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[WorldFactory]:
    """Chats over stores in a temp dir; ``overrides`` set ServerConfig fields."""
    stores: list[RoomStores] = []

    def factory(**overrides: Any) -> World:
        options: dict[str, Any] = {"data_dir": tmp_path / f"data-{len(stores)}",
                                   "rate_burst": 0, "auth_max_failures": 0, "auth_budget": 0}
        options.update(overrides)
        config = ServerConfig(**options)
        room_stores = RoomStores.from_config(config)
        stores.append(room_stores)
        door, scheduler = RecordingDoor(), StepScheduler()
        stopped: list[str] = []
        chat = Chat(config, room_stores, scheduler, bans=BanList(config.bans_path),
                    saves=SaveDir(config.saves_dir, config.default_room),
                    console_avatar=CONSOLE_AVATAR, admin_password=ADMIN_PASSWORD, motd=None,
                    stop=stopped.append)
        chat.add_door(door)
        return World(chat, door, scheduler, room_stores, config, stopped)

    yield factory
    for room_stores in stores:
        room_stores.close()


@pytest.fixture
def world(make_world: WorldFactory) -> World:
    return make_world()
