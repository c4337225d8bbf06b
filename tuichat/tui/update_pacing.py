"""When the screen shows what the link reports: at once, or, in a session the server
runs (the SSH and browser doors), the others' lines and comings and goings in batches.

A server running a hundred sessions on two cores gets each room line drawn by all of
them: if all drew it in the same millisecond, a keystroke typed then would wait behind a
hundred redraws (over half a second), and a storm of joins would redraw every screen per
join. So a served session draws others' lines at its own moment in each ``LINE_PERIOD``
(the moments are spread over the sessions by a random phase) and comings, goings and
pictures at its moment in each ``PRESENCE_PERIOD``, one redraw for all that came
meanwhile; a keystroke then redraws only the entry box. Everything else (the user's own
lines and answers, the session's own start and end) is shown at once, after whatever
waited, so the order is the server's.
"""

from __future__ import annotations

import asyncio
import random
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
PRESENCE_PERIOD = 3.0
"""Seconds: the longest a served session leaves a join, a leave or a picture undrawn."""

Schedule = Callable[[float, Callable[[], None]], Callable[[], None]]
"""``schedule(delay, callback)`` runs ``callback`` after ``delay`` seconds on the UI
thread; what it returns cancels it."""
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
    """Hands the link's events to ``show`` in order: at once when ``paced`` is False,
    else each at the next of this session's moments that its patience allows."""

    def __init__(self, show: Callable[[LinkEvent], None], schedule: Schedule, *,
                 paced: bool, clock: Callable[[], float] = time.monotonic,
                 phase: float | None = None, take_turn: TakeTurn | None = None,
                 after_drawn: Callable[[Callable[[], None]], object] | None = None) -> None:
        """``phase``: where in each period this session's moments fall, as a share of
        the period (random by default). With ``take_turn``, a batch is shown in a turn
        at drawing, given back once ``after_drawn`` says the screen is drawn."""
        self._show = show
        self._schedule = schedule
        self._take_turn = take_turn
        self._after_drawn = after_drawn
        self._paced = paced
        self._clock = clock
        self._phase = random.random() if phase is None else phase
        self._waiting: list[LinkEvent] = []
        self._due: float | None = None
        """When the next batch is shown, on ``clock``; None when nothing waits."""
        self._cancel: Callable[[], None] | None = None
        self._turn: asyncio.Task[None] | None = None
        """The wait for a turn at drawing, while there is one."""

    @property
    def waiting(self) -> int:
        """How many events wait to be shown."""
        return len(self._waiting)

    def offer(self, event: LinkEvent) -> None:
        """Show ``event`` now (after those waiting) or when its moment comes."""
        wait = patience(event) if self._paced else 0.0
        if not wait:
            self.flush()
            self._show(event)
            return
        self._waiting.append(event)
        due = self._next_moment(wait)
        if self._due is None or due < self._due:
            if self._cancel is not None:
                self._cancel()
            self._due = due
            self._cancel = self._schedule(max(0.0, due - self._clock()), self._moment)

    def flush(self) -> None:
        """Show every event that waits, in the order they came."""
        if self._cancel is not None:
            self._cancel()
        self._cancel, self._due = None, None
        waiting, self._waiting = self._waiting, []
        for event in waiting:
            self._show(event)

    def _moment(self) -> None:
        """This session's moment: show what waits, in a turn at drawing when there are
        turns (waited for apart, so keys are not held up meanwhile)."""
        self._cancel = None
        if self._take_turn is None or self._after_drawn is None:
            self.flush()
        elif self._turn is None or self._turn.done():
            self._turn = asyncio.get_running_loop().create_task(self._in_turn())

    async def _in_turn(self) -> None:
        """Wait for a turn, show what waits (what came meanwhile too), and give the
        turn back once the screen is drawn."""
        assert self._take_turn is not None and self._after_drawn is not None
        give_back = await self._take_turn()
        if not self._waiting:  # shown meanwhile, with something that could not wait
            give_back()
            return
        self.flush()
        self._after_drawn(give_back)

    def _next_moment(self, period: float) -> float:
        """The first of this session's moments in ``period`` that is still to come."""
        now = self._clock()
        offset = self._phase * period
        return now + period - ((now - offset) % period)
