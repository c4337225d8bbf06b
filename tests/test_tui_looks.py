"""What the client shows, worded and drawn so a user can read it: help, words, colours."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.tui_helpers import (
    chat,
    log_texts,
    make_app,
    on_chat,
    pane_text,
    screen_text,
    type_line,
    until,
)
from tuichat.server.app import Server
from tuichat.tui.connect_screen import ConnectScreen
from tuichat.tui.debug_pane import DebugPane


async def test_help_says_how_to_close_it_on_every_page(server: Server, tmp_path: Path) -> None:
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        await pilot.press("f1")
        await until(pilot, lambda: bool(app.screen.query("#help-text")), "the help drawn")
        await pilot.pause()
        first_page = screen_text(app)
        assert "* alice waves" in first_page  # the user's own name, not "you waves"
        assert "escape closes this" in first_page
        await pilot.press("pagedown")
        await pilot.pause()
        assert screen_text(app) != first_page and "escape closes this" in screen_text(app)
        await pilot.press("escape")
        assert on_chat(app)


async def test_settings_are_answered_in_plain_words(server: Server, tmp_path: Path) -> None:
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        for line in ("/timestamp off", "/bell off"):
            await type_line(pilot, line)
        await until(pilot, lambda: len(log_texts(app)) >= 3, "two answers")
        assert log_texts(app)[-2:] == ["Times are hidden.", "The bell is off: it never rings."]
        assert chat(app).settings.timestamps == "off" and not chat(app).settings.bell


async def test_the_debug_pane_wraps_long_frames_at_80x24(server: Server, tmp_path: Path) -> None:
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        await pilot.press("f2")
        word = "unbroken" * 8
        await type_line(pilot, word)
        await until(pilot, lambda: f'"text":"{word}"' in pane_text(app), "the frame in the pane")
        pane = chat(app).query_one(DebugPane)
        width = pane.scrollable_content_region.width
        assert 20 < width < 60
        assert max(line.cell_length for line in pane.lines) <= width  # nothing cut off


async def test_the_connect_form_shows_its_hints_whole_at_80x24(server: Server,
                                                               tmp_path: Path) -> None:
    app = make_app(server, "alice", tmp_path, connect_now=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectScreen), "the form")
        await pilot.pause()
        shown = screen_text(app)
        for field in app.screen.query(Input):
            if field.placeholder and not field.value:
                assert field.placeholder in shown, field.id
