"""When a served session shows what the link reports (``update_pacing``): others' lines
and presence held until the session's moments, everything else at once and after what
was held, and a batch in a turn at drawing that is waited for apart from the keys."""

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
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0


def pacer(clock: Clock, shown: list[LinkEvent], *, paced: bool = True) -> UpdatePacer:
    """A pacer whose ``in_order`` runs its callback at once (no other message waits)."""
    return UpdatePacer(shown.append, lambda callback: callback(), paced=paced,
                       clock=lambda: clock.now)


def test_an_unpaced_app_holds_nothing() -> None:
    clock, shown = Clock(), list[LinkEvent]()
    pace = pacer(clock, shown, paced=False)
    assert not any(pace.hold(event) for event in (line("hi"), JOIN,
                                                  AvatarFetched("a" * 64, b"png")))


def test_what_may_wait_and_what_may_not() -> None:
    assert patience(line("from someone else")) == LINE_PERIOD
    assert patience(line("our own", ref="r1")) == 0.0
    assert patience(JOIN) == PRESENCE_PERIOD
    assert patience(AvatarFetched("a" * 64, None)) == PRESENCE_PERIOD
    assert patience(frame(Notice("an answer"))) == 0.0
    assert patience(Lost("gone", 1.0)) == 0.0


def test_others_lines_are_held_until_a_moment_finds_them_due() -> None:
    clock, shown = Clock(), list[LinkEvent]()
    pace = pacer(clock, shown)
    first, second = line("one"), line("two")
    assert pace.hold(first)
    clock.now += 0.2
    assert pace.hold(second)
    pace.moment()  # 0.2 s after the first: not due yet
    assert shown == [] and pace.held == 2
    clock.now += LINE_PERIOD
    pace.moment()
    assert shown == [first, second] and pace.held == 0


def test_presence_waits_longer_but_goes_with_a_line() -> None:
    clock, shown = Clock(), list[LinkEvent]()
    pace = pacer(clock, shown)
    assert pace.hold(JOIN)
    clock.now += LINE_PERIOD
    pace.moment()
    assert shown == []  # a join may wait up to PRESENCE_PERIOD
    said = line("hello")
    assert pace.hold(said)  # a line is due sooner, and takes the join along
    clock.now += LINE_PERIOD
    pace.moment()
    assert shown == [JOIN, said]


def test_what_cannot_wait_is_not_held_and_what_was_held_goes_first() -> None:
    clock, shown = Clock(), list[LinkEvent]()
    pace = pacer(clock, shown)
    theirs, ours = line("theirs"), line("ours", ref="r7")
    assert pace.hold(JOIN) and pace.hold(theirs)
    assert not pace.hold(ours)
    pace.release()  # what the app does before it shows what was not held
    assert shown == [JOIN, theirs]


@given(st.lists(st.sampled_from(["line", "own", "join", "notice", "moment", "wait"]),
                max_size=40))
def test_every_event_is_shown_once_in_order(steps: list[str]) -> None:
    clock, shown = Clock(), list[LinkEvent]()
    pace = pacer(clock, shown)
    offered: list[LinkEvent] = []
    for number, step in enumerate(steps):
        if step == "wait":
            clock.now += 0.37
        elif step == "moment":
            pace.moment()
        else:
            event = {"line": line(f"l{number}"), "own": line(f"o{number}", ref=f"r{number}"),
                     "join": frame(UserJoined("#lobby", UserRecord(f"u{number}"))),
                     "notice": frame(Notice(f"n{number}"))}[step]
            offered.append(event)
            if not pace.hold(event):  # as the app: what was held, then this
                pace.release()
                shown.append(event)
    clock.now += PRESENCE_PERIOD
    pace.moment()
    assert shown == offered


async def test_a_batch_waits_for_its_turn_without_holding_the_moment() -> None:
    clock, shown = Clock(), list[LinkEvent]()
    turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    given_back: list[bool] = []
    drawn: list[Callable[[], None]] = []

    async def take_turn() -> Callable[[], None]:
        await turn
        return lambda: given_back.append(True)

    pace = UpdatePacer(shown.append, lambda callback: callback(), paced=True,
                       clock=lambda: clock.now, take_turn=take_turn, after_drawn=drawn.append)
    said = line("hello")
    pace.hold(said)
    clock.now += LINE_PERIOD
    pace.moment()  # returns at once: the UI goes on (keys) while the turn is waited for
    await asyncio.sleep(0)
    assert shown == [] and pace.held == 1
    turn.set_result(None)
    for _ in range(3):
        await asyncio.sleep(0)
    assert shown == [said]
    assert not given_back  # kept until the screen is drawn
    drawn[0]()
    assert given_back == [True]


def never_drawn(give_back: Callable[[], None]) -> None:
    pytest.fail("a turn kept for a screen with nothing new to draw")


async def test_a_turn_that_comes_after_a_release_goes_straight_back() -> None:
    clock, shown = Clock(), list[LinkEvent]()
    turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    given_back: list[bool] = []

    async def take_turn() -> Callable[[], None]:
        await turn
        return lambda: given_back.append(True)

    pace = UpdatePacer(shown.append, lambda callback: callback(), paced=True,
                       clock=lambda: clock.now, take_turn=take_turn, after_drawn=never_drawn)
    pace.hold(line("theirs"))
    clock.now += LINE_PERIOD
    pace.moment()
    pace.release()  # our own line came: what was held is shown before it
    turn.set_result(None)
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(shown) == 1 and given_back == [True]
