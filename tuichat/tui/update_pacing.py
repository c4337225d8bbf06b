"""When the screen shows what the link reports: at once, or, in a session the server
runs (the SSH and browser doors), the others' lines and comings and goings in batches.

A server running a hundred sessions on two cores gets each room line drawn by all of
them: if all drew it in the same millisecond, a keystroke typed then would wait behind a
hundred redraws (over half a second), and a storm of joins would redraw every screen per
join. So a served session holds others' lines (up to ``LINE_PERIOD``) and comings, goings
and pictures (up to ``PRESENCE_PERIOD``) on the link's thread, without waking the screen,
and shows all it holds at its own moments (every ``LINE_PERIOD``, at a random phase), in
a turn at drawing shared with the other sessions (``render_turns``): one redraw for all
that came meanwhile, and a keystroke meanwhile redraws only the entry box. Everything else
(the user's own lines and answers, the session's own start and end) is shown at once,
after what was held, so the order is the server's.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

from tuichat.net.updates import (
    AvatarChanged,
    ChatMessage,
    PrivateMessage,
    UserChanged,
    UserJoined,
    UserLeft,
)
from tuichat.tui.link import AvatarFetched, FrameIn, LinkEvent

LINE_PERIOD = 0.5
"""Seconds: the longest a served session leaves another user's line undrawn."""
PRESENCE_PERIOD = 2.0
"""Seconds: the longest a served session leaves a join, a leave or a picture undrawn."""

TakeTurn = Callable[[], Awaitable[Callable[[], None]]]
"""Waits for a turn at drawing (``render_turns``); what it returns gives the turn back."""


def patience(event: LinkEvent) -> float:
    """How long ``event`` may wait to be shown, in seconds (0: show it now)."""
    if isinstance(event, AvatarFetched):
        return PRESENCE_PERIOD
    if not isinstance(event, FrameIn):
        return 0.0
    update = event.update
    if update is None:
        return PRESENCE_PERIOD  # a ping, or a frame already seen: nothing to draw
    if isinstance(update, ChatMessage | PrivateMessage):
        return 0.0 if update.ref is not None else LINE_PERIOD  # our own line: now
    if isinstance(update, UserJoined | UserLeft | UserChanged | AvatarChanged):
        return PRESENCE_PERIOD
    return 0.0


class UpdatePacer:
    """Holds the events that may wait and hands them to ``show`` in order: before any
    event that may not (``release``), or at a moment when one is due (``moment``)."""

    def __init__(self, show: Callable[[LinkEvent], None],
                 in_order: Callable[[Callable[[], None]], object], *, paced: bool,
                 clock: Callable[[], float] = time.monotonic,
                 take_turn: TakeTurn | None = None,
                 after_drawn: Callable[[Callable[[], None]], object] | None = None) -> None:
        """``in_order(callback)`` runs ``callback`` on the UI thread after the messages
        already queued there (the link's events among them); with ``take_turn``, a batch
        is shown in a turn at drawing, given back once ``after_drawn`` says the screen is
        drawn."""
        self._show = show
        self._in_order = in_order
        self._paced = paced
        self._clock = clock
        self._take_turn = take_turn
        self._after_drawn = after_drawn
        self._lock = threading.Lock()
        self._held: list[LinkEvent] = []
        self._due = float("inf")
        """When the first held event must be shown, on ``clock``."""
        self._turn: asyncio.Task[None] | None = None
        """The wait for a turn at drawing, while there is one."""

    @property
    def held(self) -> int:
        """How many events are held."""
        with self._lock:
            return len(self._held)

    def hold(self, event: LinkEvent) -> bool:
        """Keep ``event`` for later if it may wait (True), from any thread."""
        wait = patience(event) if self._paced else 0.0
        if not wait:
            return False
        with self._lock:
            self._held.append(event)
            self._due = min(self._due, self._clock() + wait)
        return True

    def release(self) -> None:
        """Show every held event, in the order they came (on the UI thread)."""
        with self._lock:
            held, self._held, self._due = self._held, [], float("inf")
        for event in held:
            self._show(event)

    def moment(self) -> None:
        """One of this session's moments (on the UI thread): show what is held if any of
        it is due, in a turn at drawing when there are turns (waited for apart, so keys
        are not held up meanwhile)."""
        with self._lock:
            if self._due > self._clock():
                return
        if self._take_turn is None or self._after_drawn is None:
            self._in_order(self.release)
        elif self._turn is None or self._turn.done():
            self._turn = asyncio.get_running_loop().create_task(self._in_turn())

    async def _in_turn(self) -> None:
        """Wait for a turn, show what is held (what came meanwhile too), and give the
        turn back once the screen is drawn."""
        assert self._take_turn is not None and self._after_drawn is not None
        give_back = await self._take_turn()
        after_drawn = self._after_drawn

        def show_then_give_back() -> None:
            if self.held:
                self.release()
                after_drawn(give_back)
            else:  # shown meanwhile, before something that could not wait
                give_back()

        self._in_order(show_then_give_back)
