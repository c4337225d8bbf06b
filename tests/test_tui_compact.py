"""The compact layout in the real app against a real server: how much of a busy room fits
at 80x24, ``/compact``, the choice remembered, and the terminal's size choosing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.conftest import ServerFactory
from tests.scenes import seed_history
from tests.tui_helpers import chat, log_text, log_texts, make_app, on_chat, type_line, until
from tuichat.tui.app import TuichatApp
from tuichat.tui.message_log import MessageLog

SENDERS = [f"user{n:02}" for n in range(24)]
ROOM = tuple((n * 10.0, sender, f"short line from {sender}") for n, sender in enumerate(SENDERS))
"""One one-line message from each of 24 senders."""


def visible_senders(app: TuichatApp) -> set[str]:
    """The senders whose line is on the real screen now, as the terminal would show it."""
    rows = [strip.text for strip in app.screen._compositor.render_strips()]
    return {sender for sender in SENDERS if any(f"short line from {sender}" in row
                                                for row in rows)}


async def joined(pilot: Pilot[Any], app: TuichatApp) -> MessageLog:
    await until(pilot, lambda: on_chat(app), "joined")
    log = chat(app).log_view
    await until(pilot, lambda: any(entry.sender == SENDERS[-1] for entry in log.entries),
                "the history")
    await pilot.pause()
    return log


@pytest.mark.parametrize("compact", [True, None], ids=["chosen", "by-size"])
async def test_eighteen_one_line_messages_from_different_senders_fit_at_80x24(
        make_server: ServerFactory, tmp_path: Path, compact: bool | None) -> None:
    seed_history(tmp_path / "data-0", ROOM)
    server = make_server()
    app = make_app(server, "alice", tmp_path, compact=compact)
    async with app.run_test(size=(80, 24)) as pilot:
        log = await joined(pilot, app)
        assert log.compacted
        assert len(visible_senders(app)) >= 18
        await type_line(pilot, "/compact off")
        await until(pilot, lambda: not log.compacted, "the full layout")
        await pilot.pause()
        assert len(visible_senders(app)) <= 5  # what the full layout fits, for comparison


async def test_compact_toggles_is_remembered_and_a_choice_beats_the_terminal_size(
        make_server: ServerFactory, tmp_path: Path) -> None:
    server = make_server()
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        log = chat(app).log_view
        assert (app.settings.compact, log.compacted) == (None, False)  # 100x30: full
        await type_line(pilot, "/compact")
        await until(pilot, lambda: log.compacted, "toggled on")
        assert app.settings.compact is True
        assert any(text.startswith("Compact layout: one row") for text in log_texts(app))
        await pilot.resize_terminal(120, 50)
        await pilot.pause()
        assert log.compacted  # the user's choice, whatever the size
        await type_line(pilot, "/compact OFF")
        await until(pilot, lambda: not log.compacted, "off")
        assert app.settings.compact is False
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not log.compacted
        await type_line(pilot, "/compact auto")
        await until(pilot, lambda: log.compacted, "the size chooses: compact at 80x24")
        assert app.settings.compact is None
        assert any("compact below 60 columns or 30 rows" in text for text in log_texts(app))
        await type_line(pilot, "/compact sometimes")
        await until(pilot, lambda: "Usage: /compact [on|off|auto]" in log_text(app), "usage")
        await type_line(pilot, "/compact on")
        await until(pilot, lambda: app.settings.compact is True, "on")
    again = make_app(server, "alice", tmp_path, compact=True)  # as remembered in last.toml
    async with again.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: on_chat(again), "joined again")
        assert chat(again).log_view.compacted


async def test_the_palette_runs_compact_at_once(make_server: ServerFactory,
                                                tmp_path: Path) -> None:
    server = make_server()
    app = make_app(server, "alice", tmp_path, compact=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        commands["/compact [on|off|auto]"].callback()
        await until(pilot, lambda: chat(app).log_view.compacted, "compact from the palette")
