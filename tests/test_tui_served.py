"""The app as the SSH door runs it, against the real server: others' lines come in
batches at the session's moment, in a turn at drawing, and nothing is lost or reordered;
and, in any app, what the server says while a dialog is open is there when it closes."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ClientFactory
from tests.tui_helpers import chat, log_texts, make_app, on_chat, type_line, until
from tuichat.server.app import Server
from tuichat.tui.chat_screen import ChatScreen
from tuichat.tui.help_screen import HelpScreen
from tuichat.tui.render_turns import RenderTurns

SIZE = (100, 30)


async def test_a_served_session_shows_every_line_in_the_servers_order(
        server: Server, join: ClientFactory, tmp_path: Path) -> None:
    bot = join("bot")
    turns = RenderTurns(tmp_path / "turns")
    app = make_app(server, "alice", tmp_path, served=True, render_turns=turns)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "alice joined")
        for number in range(5):
            bot.say_and_wait(f"from bot {number}")
        await type_line(pilot, "from alice")
        expected = [f"from bot {number}" for number in range(5)] + ["from alice"]
        await until(pilot, lambda: "from alice" in log_texts(app), "alice's own line")
        shown = [text for text in log_texts(app) if text.startswith("from ")]
        assert shown == expected  # ours came after theirs, which were shown with it
        bot.say_and_wait("from bot again")
        await until(pilot, lambda: "from bot again" in log_texts(app), "a later line")
    turns.close()


async def test_what_comes_while_the_help_is_open_is_kept(
        server: Server, join: ClientFactory, tmp_path: Path) -> None:
    bot = join("bot")
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "alice joined")
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        bot.say_and_wait("said while alice reads the help")
        under = next(screen for screen in app.screen_stack if isinstance(screen, ChatScreen))
        await until(pilot, lambda: "said while alice reads the help" in
                    [entry.text for entry in under.log_view.entries], "the line, under it")
        await pilot.press("escape")
        await until(pilot, lambda: on_chat(app), "back on the chat screen")
        assert chat(app) is under
        assert "said while alice reads the help" in log_texts(app)
