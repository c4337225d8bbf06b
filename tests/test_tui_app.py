"""The real app, driven by Pilot, against a real server on loopback ports."""

from __future__ import annotations

import io
from functools import partial
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input, Static

from tests.conftest import ADMIN_PASSWORD, ClientFactory, ServerFactory, matching
from tests.tui_helpers import (
    chat,
    debug_text,
    log_text,
    log_texts,
    make_app,
    on_chat,
    pane_text,
    settings_for,
    showing_error,
    type_line,
    until,
)
from tuichat.net.frames import CONSOLE, MAX_TEXT_CHARS, Channel
from tuichat.net.update_parser import parse_update
from tuichat.server.app import Server
from tuichat.server.config import ServerConfig
from tuichat.server.store.history import History
from tuichat.tui.app import TuichatApp
from tuichat.tui.avatars import identicon
from tuichat.tui.chat_screen import ChatScreen
from tuichat.tui.composer import Composer
from tuichat.tui.connect_screen import ConnectScreen
from tuichat.tui.debug_pane import MASK, DebugPane, masked
from tuichat.tui.link import FrameIn, Joined, Target
from tuichat.tui.log_entries import EntryKind

SIZE = (100, 30)


async def test_joins_and_tells_the_user_what_next(server: Server, tmp_path: Path) -> None:
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        screen = chat(app)
        assert "Joined 127.0.0.1 as alice" in log_text(app)
        assert "/help" in log_text(app)
        status = str(screen.query_one("#status").render())
        assert status.startswith("alice @ 127.0.0.1 · connected · 1 user")
        assert app.connected_once
        assert screen.focused is screen.query_one(Composer)


async def test_two_apps_chat_and_see_each_others_avatars(server: Server, tmp_path: Path) -> None:
    alice, bob = make_app(server, "alice", tmp_path), make_app(server, "bob", tmp_path)
    async with alice.run_test(size=SIZE) as pa, bob.run_test(size=SIZE) as pb:
        await until(pa, lambda: on_chat(alice), "alice joined")
        await until(pb, lambda: on_chat(bob), "bob joined")
        await until(pa, lambda: "bob joined" in log_texts(alice), "alice sees bob join")
        await type_line(pa, "hello bob, see https://example.org")
        await until(pb, lambda: "hello bob, see https://example.org" in log_texts(bob),
                    "bob gets the message")
        await type_line(pb, "hi alice\nsecond line")
        await until(pa, lambda: "hi alice\nsecond line" in log_texts(alice), "alice gets it")
        entry = next(e for e in chat(bob).log_view.entries if e.text.startswith("hello bob"))
        assert entry.sender == "alice" and entry.kind is EntryKind.MESSAGE
        # Both uploaded identicons; each fetched the other's by hash and can draw it.
        for app, other in ((alice, "bob"), (bob, "alice")):
            def avatar_of(app: TuichatApp = app, other: str = other) -> str | None:
                member = chat(app).roster.get(other)
                return member.avatar if member is not None else None

            await until(pa, avatar_of, f"{other}'s avatar hash")
            sha = avatar_of()
            assert sha is not None
            await until(pa, partial(app.book.knows, sha), f"{other}'s avatar")
        assert chat(alice).query_one("#composer", Composer).text == ""
        await pa.press("ctrl+q")
        await until(pb, lambda: "alice left" in log_texts(bob), "bob sees alice quit")


async def test_admin_commands_and_their_replies(make_server: ServerFactory,
                                                tmp_path: Path) -> None:
    server = make_server(sde=True, countdown_step=0.01)
    app = make_app(server, "root", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        await type_line(pilot, "admin -s")
        await until(pilot, lambda: "needs admin rights" in log_text(app), "refusal")
        await type_line(pilot, f"admin -a {ADMIN_PASSWORD}")
        await until(pilot, lambda: chat(app).admin, "admin rights")
        assert "admin" in str(chat(app).query_one("#status").render()).split(" · ")
        assert ADMIN_PASSWORD not in log_text(app)
        await type_line(pilot, "hello")
        await type_line(pilot, "admin -s")
        await until(pilot, lambda: "History saved as" in log_text(app), "save reply")
        await type_line(pilot, "admin -t : the server speaks")
        await until(pilot, lambda: "the server speaks" in log_texts(app), "console line")
        console = next(e for e in chat(app).log_view.entries if e.text == "the server speaks")
        assert console.sender == CONSOLE
        # The password never enters the input history: up gives the line before it.
        composer = chat(app).query_one(Composer)
        for _ in range(4):
            await pilot.press("up")
        assert composer.text == "admin -s"
        composer.clear()
        await type_line(pilot, "admin -sd")
        await until(pilot, lambda: "Server shut down by root." in log_texts(app), "shutdown")
        assert "Server shutting down in 10 seconds." in log_texts(app)
        await until(pilot, lambda: chat(app).query_one("#banner").display, "end state banner")
        banner = str(chat(app).query_one("#banner").render())
        assert "the server shut down (Server shut down by root)" in banner
        assert "ctrl+q" in banner


async def test_debug_pane_toggles_and_shows_frames_without_secrets(
        server: Server, tmp_path: Path) -> None:
    app = make_app(server, "alice", tmp_path, admin_password="wrong secret")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        assert not chat(app).query(DebugPane)  # built when first opened
        await type_line(pilot, "/Debug")
        pane = chat(app).query_one(DebugPane)
        assert pane.display
        assert '"type":"hello"' in pane_text(app)  # what came before it was opened
        assert chat(app).has_class("debugging")
        await type_line(pilot, "ping-pong")
        await until(pilot, lambda: '→ send  {"type":"say","text":"ping-pong"' in debug_text(app),
                    "the say frame")
        await until(pilot, lambda: '← recv  {"type":"message"' in debug_text(app), "the echo")
        text = debug_text(app)
        assert '"type":"hello"' in text and '"admin_password":"•••"' in text
        assert "wrong secret" not in text
        assert '"session":"•••"' in text
        assert "avatar: identicon for alice" in text
        assert '"text":"ping-pong"' in pane_text(app)
        assert "wrong secret" not in pane_text(app)
        await type_line(pilot, "/debug")
        assert not pane.display
        await pilot.press("f2")
        assert pane.display


async def test_reconnects_after_a_restart_and_misses_nothing(make_server: ServerFactory,
                                                             join: ClientFactory,
                                                             tmp_path: Path) -> None:
    first = make_server()
    ports = first.ports
    data_dir = first.config.data_dir
    app = make_app(first, "alice", tmp_path, reconnect_delay=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        await type_line(pilot, "before the restart")
        await until(pilot, lambda: "before the restart" in log_texts(app), "echo")
        first.stop()
        assert first.wait(10)
        await until(pilot, lambda: chat(app).state == "reconnecting", "lost")
        assert "Reconnecting in" in str(chat(app).query_one("#banner").render())
        # The text typed while disconnected stays in the box.
        await type_line(pilot, "typed while away")
        composer = chat(app).query_one(Composer)
        assert composer.text == "typed while away"
        assert "Not connected" in log_text(app)
        second = make_server(port_send=ports.send, port_recv=ports.recv,
                             port_image=ports.image, data_dir=data_dir)
        bob = join("bob", second)
        bob.say_and_wait("said while alice was away")
        await pilot.press("ctrl+r")  # instead of waiting out the 60 s back-off
        await until(pilot, lambda: on_chat(app), "reconnected")
        await until(pilot, lambda: "said while alice was away" in log_texts(app), "caught up")
        assert "Reconnected to 127.0.0.1; 1 new message since." in log_texts(app)
        assert log_texts(app).count("before the restart") == 1
        await pilot.press("enter")
        await until(pilot, lambda: "typed while away" in log_texts(app), "sent after all")
        bob.inbox.wait_for(matching("message", text="typed while away"))


async def test_a_server_back_with_another_history_is_shown_anew(
        make_server: ServerFactory, tmp_path: Path) -> None:
    """Issue 12: the server came back with another database (its epoch changed); the log
    shows that history, not the old lines with the new ones after them."""
    first = make_server()
    ports = first.ports
    app = make_app(first, "alice", tmp_path, reconnect_delay=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        await type_line(pilot, "before the restart")
        await until(pilot, lambda: "before the restart" in log_texts(app), "echo")
        first.stop()
        assert first.wait(10)
        await until(pilot, lambda: chat(app).state == "reconnecting", "lost")
        restored = History(ServerConfig(data_dir=tmp_path / "restored").history_path)
        for number in range(3):
            restored.append("bob", f"restored {number}", None)
        restored.close()
        make_server(port_send=ports.send, port_recv=ports.recv, port_image=ports.image,
                    data_dir=tmp_path / "restored")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: on_chat(app), "reconnected")
        await until(pilot, lambda: "restored 0" in log_texts(app), "reloaded")
        texts = log_texts(app)
        assert "before the restart" not in texts
        assert "restored 1" in texts and "restored 2" in texts
        assert ("Reconnected to 127.0.0.1; its history is not the one shown before (it was "
                "lost or replaced), so it is shown anew.") in texts


async def test_connect_screen_validates_before_joining(server: Server, tmp_path: Path) -> None:
    app = make_app(server, "", tmp_path, connect_now=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ConnectScreen)
        panel = screen.query_one("#connect-problems")
        assert screen.problems == {"name": "your name is needed"}
        assert "Name: your name is needed" in str(panel.render())
        await pilot.press("enter")
        assert isinstance(app.screen, ConnectScreen)
        name = screen.query_one("#name", Input)
        name.value = "bad name!"
        await pilot.pause()
        assert screen.problems["name"] != "your name is needed"
        assert name.has_class("invalid")
        screen.query_one("#port_recv", Input).value = "70000"
        await pilot.pause()
        assert "1 to 65535" in screen.problems["port_recv"]
        screen.query_one("#avatar", Input).value = str(tmp_path / "missing.png")
        await pilot.pause()
        assert "missing.png" in screen.problems["avatar"]
        assert "Recv port: a port is a number from 1 to 65535" in str(panel.render())
        await pilot.press("enter")
        assert isinstance(app.screen, ConnectScreen)
        name.value = "carol"
        screen.query_one("#port_recv", Input).value = str(server.ports.recv)
        screen.query_one("#avatar", Input).value = ""
        await pilot.pause()
        assert screen.problems == {}
        assert not panel.display
        assert not name.has_class("invalid")
        name.focus()
        await pilot.press("enter")
        await until(pilot, lambda: on_chat(app), "joined from the form")
        assert app.settings.name == "carol"


async def test_a_refusal_returns_to_the_form_with_the_reason(server: Server, join: ClientFactory,
                                                              tmp_path: Path) -> None:
    join("dave")
    app = make_app(server, "Dave", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: showing_error(app), "back on the form, with the reason")
        error = app.screen.query_one("#connect-error")
        assert error.display and "already here" in str(error.render())
        assert app.screen.query_one("#name", Input).value == "Dave"
        assert not app.connected_once


async def test_nobody_listening_is_explained(server: Server, tmp_path: Path) -> None:
    settings = settings_for(server, "erin")
    app = make_app(server, "erin", tmp_path)
    app.settings.port_recv = 1  # nothing listens on port 1 here
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: showing_error(app), "back on the form, with the reason")
        error = str(app.screen.query_one("#connect-error").render())
        assert "nobody is listening on 127.0.0.1:1" in error
        assert settings.port_recv != 1


async def test_entry_box_history_completion_and_counter(server: Server, join: ClientFactory,
                                                        tmp_path: Path) -> None:
    join("bob")
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        composer = chat(app).query_one(Composer)
        await type_line(pilot, "first")
        await type_line(pilot, "second")
        await pilot.press("up")
        assert composer.text == "second"
        await pilot.press("up")
        assert composer.text == "first"
        await pilot.press("down", "down")
        assert composer.text == ""
        await pilot.press("b", "o", "tab")
        assert composer.text == "bob: "
        composer.clear()
        await pilot.press("/", "D", "e", "tab")
        assert composer.text == "/Debug"
        composer.clear()
        await pilot.press("h", "i", "ctrl+j", "t", "h", "e", "r", "e")
        assert composer.text == "hi\nthere"
        composer.clear()
        counter = chat(app).query_one("#counter")
        composer.insert("x" * (MAX_TEXT_CHARS + 1))
        await pilot.pause()
        assert f"{MAX_TEXT_CHARS + 1:,}/{MAX_TEXT_CHARS:,}" in str(counter.render())
        assert counter.has_class("over")
        await pilot.press("enter")
        assert "Not sent" in log_text(app)
        assert len(composer.text) == MAX_TEXT_CHARS + 1


async def test_palette_lists_commands_with_descriptions(server: Server, tmp_path: Path) -> None:
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        for title in ("/Debug", "/help", "/quit", "admin -s", "admin -l FILE.txt",
                      "admin -c", "admin -t : TEXT", "admin -sd", "admin -a PASSWORD"):
            assert commands[title].help, title
        commands["admin -l FILE.txt"].callback()
        await pilot.pause()
        assert chat(app).query_one(Composer).text == "admin -l "
        commands["admin -h"].callback()
        await until(pilot, lambda: "Admin commands:" in log_text(app), "admin -h reply")
        commands["/help"].callback()
        await until(pilot, lambda: bool(app.screen.query("#help-text")), "the help drawn")
        assert type(app.screen).__name__ == "HelpScreen"
        help_text = app.screen.query_one("#help-text", Static)
        assert help_text.size.width >= 60 and help_text.size.height >= 20
        console = Console(width=help_text.size.width, record=True, file=io.StringIO())
        console.print(help_text.content)
        drawn = console.export_text().splitlines()
        assert any(line.startswith("  admin -l FILE.txt") for line in drawn)
        # A long description wraps under itself, never back to the first column.
        assert all(line.startswith(("  ", "Commands:", "Admin commands", "Keys:")) or not line
                   for line in drawn)
        await pilot.press("escape")
        assert on_chat(app)


async def test_no_color_terminals_get_the_chat_without_colour(
        server: Server, join: ClientFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    bob = join("bob")
    bob.conn.upload_avatar(identicon("bob")).result(10)
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        bob.say_and_wait("hello in black and white")
        await until(pilot, lambda: "hello in black and white" in log_texts(app), "message")
        await until(pilot, lambda: all(member.avatar is None or app.book.knows(member.avatar)
                                       for member in chat(app).roster), "avatars")
        await pilot.pause()  # a frame with the avatars drawn through the NO_COLOR filter
        assert "hello in black and white" in log_text(app)


async def test_a_narrow_terminal_hides_the_user_list(server: Server, tmp_path: Path) -> None:
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=(50, 20)) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        users = chat(app).query_one("#side")  # the room list and the user list
        assert chat(app).has_class("narrow") and not users.display
        await pilot.resize_terminal(100, 30)
        await until(pilot, lambda: users.display, "the user list back")
        assert not chat(app).has_class("narrow")


async def test_admin_clear_replaces_everyones_log(server: Server, join: ClientFactory,
                                                  tmp_path: Path) -> None:
    talker = join("talker")
    for index in range(12):
        talker.say_and_wait(f"line {index}")
    app = make_app(server, "root", tmp_path, admin_password=ADMIN_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app) and chat(app).admin, "joined as admin")
        assert "line 0" in log_texts(app)
        await type_line(pilot, "admin -c")
        await until(pilot, lambda: any(text.startswith("The server replaced the history")
                                       for text in log_texts(app)), "the reset")
        texts = log_texts(app)
        assert "line 0" not in texts and "line 1" not in texts
        assert [text for text in texts if text.startswith("line ")] == [
            f"line {index}" for index in range(2, 12)]
        talker.say_and_wait("after the clear")
        await until(pilot, lambda: "after the clear" in log_texts(app), "live again")


async def test_unknown_commands_are_explained_and_kept(server: Server, tmp_path: Path) -> None:
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        await type_line(pilot, "/dance wildly")
        assert ("Unknown command /dance: /help lists the commands; start the line with "
                "//dance to send it as chat.") in log_texts(app)
        assert chat(app).query_one(Composer).selected_text == "/dance wildly"


async def test_slash_quit_leaves_cleanly(server: Server, join: ClientFactory,
                                         tmp_path: Path) -> None:
    watcher = join("watcher")
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        await type_line(pilot, "/quit")
        await until(pilot, lambda: app.return_code is not None, "the app to exit")
    assert app.return_code == 0
    watcher.inbox.wait_for(matching("leave", name="alice", reason="quit"))


async def test_events_before_the_screen_is_built_are_applied_in_order(
        server: Server, join: ClientFactory, tmp_path: Path) -> None:
    # The link can join before Textual has composed the chat screen.
    bob = join("bob")
    app = make_app(server, "alice", tmp_path, connect_now=False)
    async with app.run_test(size=SIZE) as pilot:
        target = Target("127.0.0.1", "bob", 1, 2, 3)
        session = bob.conn.session
        screen = ChatScreen(target, app.book, lambda: None, session=session, clock=app.clock)
        app.push_screen(screen)
        assert bob.conn.greeting is not None
        screen.handle(Joined(bob.conn.greeting, rejoined=False))  # not mounted yet
        frame = {"type": "join", "name": "carol", "avatar": None, "admin": False}
        screen.handle(FrameIn(Channel.RECV, frame, None, parse_update(frame)))
        await until(pilot, lambda: screen.state == "connected", "the early join applied")
        assert screen.roster.names == ["bob", "carol"]
        assert "carol joined" in [entry.text for entry in screen.log_view.entries]


def test_the_debug_pane_masks_every_secret_a_frame_can_carry() -> None:
    hello = {"type": "hello", "name": "alice", "password": "join", "ticket": "t0k3n",
             "admin_password": "root", "session": "s1"}
    shown = masked(hello)
    assert {key for key, value in shown.items() if value == MASK} == \
        {"password", "ticket", "admin_password", "session"}
    assert shown["name"] == "alice"
