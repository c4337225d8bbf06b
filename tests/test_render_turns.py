"""Turns at drawing shared by the sessions of one server (``render_turns``): one holder
per turn, a dead holder's turn comes back, and nobody waits for one without end."""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tuichat.tui import render_turns
from tuichat.tui.render_turns import RenderTurns

WAIT = 10.0


async def test_a_turn_is_held_by_one_session_at_a_time(tmp_path: Path) -> None:
    first, second = RenderTurns(tmp_path, 1), RenderTurns(tmp_path, 1)
    give_back = await first.take()
    waiting = asyncio.ensure_future(second.take())
    await asyncio.sleep(0.1)
    assert not waiting.done()
    give_back()
    (await asyncio.wait_for(waiting, WAIT))()
    first.close()
    second.close()


async def test_as_many_turns_as_asked_for(tmp_path: Path) -> None:
    sessions = [RenderTurns(tmp_path, 2) for _ in range(3)]
    held = [await sessions[0].take(), await sessions[1].take()]  # both turns, at once
    third = asyncio.ensure_future(sessions[2].take())
    await asyncio.sleep(0.1)
    assert not third.done()
    held[1]()
    (await asyncio.wait_for(third, WAIT))()
    held[0]()
    for session in sessions:
        session.close()


async def test_a_dead_holders_turn_comes_back(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys; "
         f"fd = os.open({str(tmp_path / 'turn-0')!r}, os.O_RDWR | os.O_CREAT); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    turns = RenderTurns(tmp_path, 1)
    waiting = asyncio.ensure_future(turns.take())
    await asyncio.sleep(0.1)
    assert not waiting.done()
    holder.kill()
    holder.wait(WAIT)
    (await asyncio.wait_for(waiting, WAIT))()
    turns.close()


async def test_nobody_waits_without_end(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_turns, "LONGEST_WAIT", 0.05)
    stuck, late = RenderTurns(tmp_path, 1), RenderTurns(tmp_path, 1)
    give_back = await stuck.take()
    (await asyncio.wait_for(late.take(), WAIT))()  # drew without a turn
    give_back()
    # The turn that came to the late waiter after all goes back at once: it is free.
    fd = os.open(tmp_path / "turn-0", os.O_RDWR)
    deadline = time.monotonic() + WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            assert time.monotonic() < deadline, "the late waiter kept the turn"
            await asyncio.sleep(0.01)
    os.close(fd)
    stuck.close()
    late.close()
