"""Asking the reactor from the SSH loop: run a call on the reactor thread, await its result."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from tuichat.server.reactor import Reactor

T = TypeVar("T")


async def on_reactor(reactor: Reactor, work: Callable[[], T]) -> T:
    """``work()`` run on the reactor thread (where chat state lives), its result or its
    exception handed back to the running asyncio loop."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():  # the awaiting task was cancelled meanwhile
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result = work()
        except Exception as exc:
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    reactor.call_soon_threadsafe(run)
    return await future
