"""When a served session shows what the link reports (``update_pacing``): others' lines
and presence at the session's own moments, everything else at once and in order, and a
batch in a turn at drawing that is waited for apart from the keys."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuichat.net.frames import Channel
from tuichat.net.updates import ChatMessage, Notice, Update, UserJoined, UserRecord
from tuichat.tui.link import AvatarFetched, FrameIn, LinkEvent, Lost
from tuichat.tui.update_pacing import LINE_PERIOD, PRESENCE_PERIOD, UpdatePacer, patience


def frame(update: Update | None) -> FrameIn:
    return FrameIn(Channel.RECV, {"type": "any"}, None, update)


def line(text: str, ref: str | None = None) -> FrameIn:
    return frame(ChatMessage("#lobby", "bob" if ref is None else "me", text, ref=ref))


JOIN = frame(UserJoined("#lobby", UserRecord("carol")))


class Clock:
    """A clock the test moves, and the timers it would fire."""

    def __init__(self) -> None:
        self.now = 100.0
        self.timers: list[tuple[float, Callable[[], None]]] = []

    def schedule(self, delay: float, callback: Callable[[], None]) -> Callable[[], None]:
        timer = (self.now + delay, callback)
        self.timers.append(timer)
        return lambda: self.timers.remove(timer)

    def advance(self, seconds: float) -> None:
        """Move on, firing the timers that fall due, in time order."""
        end = self.now + seconds
        while due := sorted((t for t in self.timers if t[0] <= end), key=lambda t: t[0]):
            self.timers.remove(due[0])
            self.now = due[0][0]
            due[0][1]()
        self.now = end


def pacer(clock: Clock, shown: list[LinkEvent], *, paced: bool = True,
          phase: float = 0.5) -> UpdatePacer:
    return UpdatePacer(shown.append, clock.schedule, paced=paced, clock=lambda: clock.now,
                       phase=phase)


def test_an_unpaced_app_shows_everything_at_once() -> None:
    clock, shown = Clock(), list[LinkEvent]()
    pace = pacer(clock, shown, paced=False)
    for event in (line("hi"), JOIN, AvatarFetched("a" * 64, b"png")):
        pace.offer(event)
    assert len(shown) == 3 and not clock.timers


def test_what_may_wait_and_what_may_not() -> None:
    assert patience(line("from someone else")) == LINE_PERIOD
    assert patience(line("our own", ref="r1")) == 0.0
    assert patience(JOIN) == PRESENCE_PERIOD
    assert patience(AvatarFetched("a" * 64, None)) == PRESENCE_PERIOD
    assert patience(frame(Notice("an answer"))) == 0.0
    assert patience(Lost("gone", 1.0)) == 0.0


def test_others_lines_wait_for_the_sessions_moment_and_come_together() -> None:
    clock, shown = Clock(), list[LinkEvent]()
    pace = pacer(clock, shown, phase=0.5)  # moments at x.25, x.75 (period 0.5 s)
    clock.now = 100.30
    first, second = line("one"), line("two")
    pace.offer(first)
    clock.advance(0.2)
    pace.offer(second)
    assert shown == [] and pace.waiting == 2
    clock.advance(0.26)  # 100.76: past the moment at 100.75
    assert shown == [first, second] and pace.waiting == 0


def test_presence_waits_longer_but_goes_with_a_line() -> None:
    clock, shown = Clock(), list[LinkEvent]()
    pace = pacer(clock, shown, phase=0.0)
    clock.now = 100.1
    pace.offer(JOIN)
    clock.advance(0.5)
    assert shown == []  # a join may wait up to PRESENCE_PERIOD
    said = line("hello")
    pace.offer(said)  # a line's moment comes sooner, and takes the join along
    clock.advance(LINE_PERIOD)
    assert shown == [JOIN, said]
    assert not clock.timers


def test_what_cannot_wait_goes_after_what_waited_in_the_servers_order() -> None:
    clock, shown = Clock(), list[LinkEvent]()
    pace = pacer(clock, shown)
    theirs, ours = line("theirs"), line("ours", ref="r7")
    pace.offer(JOIN)
    pace.offer(theirs)
    pace.offer(ours)
    assert shown == [JOIN, theirs, ours] and not clock.timers


@given(st.lists(st.sampled_from(["line", "own", "join", "notice", "wait"]), max_size=40),
       st.floats(0.0, 0.999))
def test_every_event_is_shown_once_in_order(steps: list[str], phase: float) -> None:
    clock, shown = Clock(), list[LinkEvent]()
    pace = pacer(clock, shown, phase=phase)
    offered: list[LinkEvent] = []
    for number, step in enumerate(steps):
        if step == "wait":
            clock.advance(0.37)
            continue
        event = {"line": line(f"l{number}"), "own": line(f"o{number}", ref=f"r{number}"),
                 "join": frame(UserJoined("#lobby", UserRecord(f"u{number}"))),
                 "notice": frame(Notice(f"n{number}"))}[step]
        offered.append(event)
        pace.offer(event)
    clock.advance(PRESENCE_PERIOD + 0.01)
    assert shown == offered


async def test_a_batch_waits_for_its_turn_without_holding_the_callback() -> None:
    clock, shown = Clock(), list[LinkEvent]()
    turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    given_back: list[bool] = []
    drawn: list[Callable[[], None]] = []

    async def take_turn() -> Callable[[], None]:
        await turn
        return lambda: given_back.append(True)

    pace = UpdatePacer(shown.append, clock.schedule, paced=True, clock=lambda: clock.now,
                       phase=0.0, take_turn=take_turn, after_drawn=drawn.append)
    said = line("hello")
    pace.offer(said)
    clock.advance(LINE_PERIOD)  # the moment: the callback returns at once (keys go on)
    await asyncio.sleep(0)
    assert shown == [] and pace.waiting == 1
    turn.set_result(None)
    for _ in range(3):
        await asyncio.sleep(0)
    assert shown == [said]
    assert not given_back  # kept until the screen is drawn
    drawn[0]()
    assert given_back == [True]


def never_drawn(give_back: Callable[[], None]) -> None:
    pytest.fail("a turn kept for a screen with nothing new to draw")


async def test_a_turn_that_comes_after_an_urgent_flush_goes_straight_back() -> None:
    clock, shown = Clock(), list[LinkEvent]()
    turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    given_back: list[bool] = []

    async def take_turn() -> Callable[[], None]:
        await turn
        return lambda: given_back.append(True)

    pace = UpdatePacer(shown.append, clock.schedule, paced=True, clock=lambda: clock.now,
                       phase=0.0, take_turn=take_turn, after_drawn=never_drawn)
    pace.offer(line("theirs"))
    clock.advance(LINE_PERIOD)
    pace.offer(line("ours", ref="r1"))  # shows what waited, and ours
    turn.set_result(None)
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(shown) == 2 and given_back == [True]
