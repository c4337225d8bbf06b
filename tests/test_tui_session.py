"""The client's session as the user sees it: rights kept across rejoins, its own voice."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests import faultkit
from tests.conftest import ADMIN_PASSWORD, WAIT, ServerFactory
from tests.faultkit import ServerProcess
from tests.tui_helpers import (
    chat,
    debug_text,
    log_text,
    log_texts,
    make_app,
    on_chat,
    type_line,
    until,
)
from tuichat.net.client import ConnectionClosed
from tuichat.net.frames import CONSOLE
from tuichat.server.app import Server
from tuichat.tui.app import TuichatApp
from tuichat.tui.connect_screen import ConnectScreen
from tuichat.tui.key_bar import KeyBar
from tuichat.tui.log_entries import LOCAL_MARK, EntryKind
from tuichat.tui.user_list import UserList

SIZE = (100, 30)


@pytest.fixture
def process(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real ``tuichat-server`` process that a test may kill and start again."""
    server = ServerProcess(tmp_path / "data", *faultkit.GENEROUS_FLAGS)
    server.start()
    yield server
    server.stop()


async def joined(pilot: Pilot[Any], app: TuichatApp) -> None:
    await until(pilot, lambda: on_chat(app), f"{app.settings.name} joined")


async def test_admin_rights_come_back_after_a_kill_and_restart(process: ServerProcess,
                                                               tmp_path: Path) -> None:
    app = make_app(process, "root", tmp_path, reconnect_delay=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        await type_line(pilot, f"admin -a {faultkit.ADMIN_PASSWORD}")
        await until(pilot, lambda: chat(app).admin, "admin rights")
        await type_line(pilot, "/nick boss")  # a rename keeps the rights and the password
        await until(pilot, lambda: chat(app).me == "boss", "renamed")
        process.kill()
        await until(pilot, lambda: chat(app).state == "reconnecting", "lost")
        process.start()
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "Admin rights restored." in log_texts(app), "restored")
        assert chat(app).admin and chat(app).me == "boss"
        await type_line(pilot, "admin -m be kind")  # the server agrees: an admin command runs
        await until(pilot, lambda: "be kind" in log_text(app), "an admin's reply")
        assert "needs admin rights" not in log_text(app)
        assert faultkit.ADMIN_PASSWORD not in debug_text(app) + log_text(app)
    assert app.settings.admin_password is None  # kept by the link alone, never in settings


async def test_rights_that_cannot_come_back_are_said_to_be_dropped(
        make_server: ServerFactory, tmp_path: Path) -> None:
    first = make_server()
    ports, data_dir = first.ports, first.config.data_dir
    app = make_app(first, "root", tmp_path, reconnect_delay=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        await type_line(pilot, f"admin -a {ADMIN_PASSWORD}")
        await until(pilot, lambda: chat(app).admin, "admin rights")
        first.stop()
        assert first.wait(WAIT)
        await until(pilot, lambda: chat(app).state == "reconnecting", "lost")
        second = make_server(port_send=ports.send, port_recv=ports.recv,
                             port_image=ports.image, data_dir=data_dir,
                             admin_password="a new password")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "Admin rights dropped" in log_text(app), "said dropped")
        await until(pilot, lambda: "Wrong admin password" in log_text(app), "and why")
        assert not chat(app).admin
        assert "admin" not in str(chat(app).query_one("#status").render()).split(" · ")
        # The refused password is not tried again on every rejoin (each try is a failure).
        link = app.link
        assert link is not None and link.session.admin_password is None
        assert second.chat is not None


async def test_the_clients_own_notices_are_its_own_lines_not_consoles(
        server: Server, tmp_path: Path) -> None:
    app = make_app(server, "alice", tmp_path, reconnect_delay=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        await type_line(pilot, "/whois")
        server.stop()
        assert server.wait(WAIT)
        await until(pilot, lambda: chat(app).state == "reconnecting", "lost")
        await type_line(pilot, "hello")
        await until(pilot, lambda: "Not connected" in log_text(app), "refused to send")
        own = [entry for entry in chat(app).log_view.entries
               if entry.text.startswith(("Not connected", "Usage: /whois"))]
        assert [(entry.kind, entry.sender) for entry in own] == [(EntryKind.LOCAL_ERROR, "")] * 2
        lines = [line.strip() for line in chat(app).log_view.plain_lines()]
        assert any(line.startswith(f"{LOCAL_MARK} Usage: /whois NAME") for line in lines)
        at = next(n for n, line in enumerate(lines) if line.startswith(f"{LOCAL_MARK} Not conn"))
        assert lines[at - 1] != f"{CONSOLE} 16:00"  # no Console header over it


async def test_a_kick_ends_in_a_clear_state_with_a_way_back(make_server: ServerFactory,
                                                              tmp_path: Path) -> None:
    server = make_server()
    root = make_app(server, "root", tmp_path, admin_password=ADMIN_PASSWORD)
    bob = make_app(server, "bob", tmp_path)
    async with root.run_test(size=SIZE) as pr, bob.run_test(size=SIZE) as pb:
        await joined(pr, root)
        await joined(pb, bob)
        await until(pb, lambda: len(chat(bob).roster) == 2, "bob sees root")
        await type_line(pr, "admin -k bob enough for today")
        await until(pb, lambda: chat(bob).state == "refused", "bob is out")
        await pb.pause()
        status = str(chat(bob).query_one("#status").render())
        assert status == "bob @ 127.0.0.1 · kicked by root: enough for today"
        assert not chat(bob).roster.names and not chat(bob).query_one(UserList).shown_names
        assert "^r Join again" in str(chat(bob).query_one(KeyBar).render())
        await pb.press("ctrl+r")
        await until(pb, lambda: isinstance(bob.screen, ConnectScreen), "the connect screen")
        await pb.press("enter")  # filled in as before: join again at once
        await joined(pb, bob)
        await until(pr, lambda: chat(root).roster.get("bob") is not None, "bob is back")


async def test_admin_rights_come_back_after_a_plain_reconnect(make_server: ServerFactory,
                                                              tmp_path: Path) -> None:
    server = make_server(rate_burst=2, rate_per_second=0.5, rate_abuse_limit=3)
    app = make_app(server, "root", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        await type_line(pilot, f"admin -a {ADMIN_PASSWORD}")
        await until(pilot, lambda: chat(app).admin, "admin rights")
        link = app.link
        assert link is not None
        for number in range(8):  # flooding: the server ends the session, and runs on
            with contextlib.suppress(ConnectionClosed):
                link.say(f"flood {number}")
        await until(pilot, lambda: "Admin rights restored." in log_texts(app), "restored")
        assert "Disconnected for flooding" in log_text(app)
        assert chat(app).admin and server.chat is not None
        [session] = server.chat.hub.members.values()
        assert session.admin
