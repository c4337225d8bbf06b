"""The app over TLS: trust on first use asked once, remembered, and a changed key refused."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import ServerFactory
from tests.tui_helpers import (
    chat,
    debug_text,
    log_texts,
    make_app,
    on_chat,
    screen_text,
    showing_error,
    type_line,
    until,
)
from tuichat.net.tls import KnownHosts, fingerprint_groups, spaced
from tuichat.tui.app import TuichatApp
from tuichat.tui.trust_screen import TrustScreen

SIZE = (100, 30)


def asking_trust(app: TuichatApp) -> bool:
    """The trust question is up and drawn (its fingerprint line exists)."""
    return isinstance(app.screen, TrustScreen) and bool(app.screen.query("#trust-fingerprint"))


async def test_a_self_signed_server_is_trusted_once_then_remembered(
        make_server: ServerFactory, tmp_path: Path) -> None:
    server = make_server(tls=True)
    known = KnownHosts(tmp_path / "known_hosts")
    app = make_app(server, "alice", tmp_path, tls=True, known_hosts=known)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: asking_trust(app), "the trust question")
        lines = str(app.screen.query_one("#trust-fingerprint").render()).splitlines()
        # 16 bytes a line in groups of 4, never broken inside a byte
        assert [len(line.replace(" ", ":").split(":")) for line in lines] == [17, 16]
        shown = ":".join(lines).replace(" ", ":")
        await pilot.press("y")
        await until(pilot, lambda: on_chat(app), "joined over TLS")
        await type_line(pilot, "secret plans")
        await until(pilot, lambda: "secret plans" in log_texts(app), "echo over TLS")
        assert "tls" in str(chat(app).query_one("#status").render()).split(" · ")
        await type_line(pilot, "/version")
        await until(pilot, lambda: f"certificate is {spaced(shown)}." in log_texts(app)[-1],
                    "the fingerprint on /version")
        assert spaced(shown) in debug_text(app)
        await pilot.resize_terminal(80, 24)
        await pilot.press("f2")  # the log, now 35 columns wide, wraps between groups only
        await pilot.pause()
        rows = screen_text(app).splitlines()
        assert all(any(group in row for row in rows) for group in fingerprint_groups(shown))
        assert known.get("127.0.0.1", server.ports.recv) == shown
    again = make_app(server, "bob", tmp_path, tls=True, known_hosts=known)
    async with again.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(again), "joined without asking")
        assert not any(isinstance(screen, TrustScreen) for screen in again.screen_stack)


async def test_refusing_the_certificate_returns_to_the_form(make_server: ServerFactory,
                                                            tmp_path: Path) -> None:
    server = make_server(tls=True)
    known = KnownHosts(tmp_path / "known_hosts")
    app = make_app(server, "alice", tmp_path, tls=True, known_hosts=known)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: asking_trust(app), "the trust question")
        await pilot.press("n")
        await until(pilot, lambda: showing_error(app), "back on the form, with the reason")
        assert app.screen.query_one("#connect-error").display
        assert known.get("127.0.0.1", server.ports.recv) is None
        assert not app.connected_once


async def test_a_changed_certificate_is_refused_loudly(make_server: ServerFactory,
                                                       tmp_path: Path) -> None:
    first = make_server(tls=True)
    ports, data_dir = first.ports, first.config.data_dir
    known = KnownHosts(tmp_path / "known_hosts")
    app = make_app(first, "alice", tmp_path, tls=True, known_hosts=known,
                   reconnect_delay=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: asking_trust(app), "the trust question")
        await pilot.press("y")
        await until(pilot, lambda: on_chat(app), "joined")
        first.stop()
        assert first.wait(10)
        await until(pilot, lambda: chat(app).state == "reconnecting", "lost")
        shutil.rmtree(data_dir / "tls")  # the restarted server makes a new certificate
        second = make_server(port_send=ports.send, port_recv=ports.recv,
                             port_image=ports.image, data_dir=data_dir, tls=True)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: chat(app).state == "refused", "refused")
        banner = str(chat(app).query_one("#banner").render())
        assert "has CHANGED" in banner
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        rows = screen_text(app).splitlines()
        assert second.tls_fingerprint is not None
        for part in fingerprint_groups(second.tls_fingerprint):  # wrapped between groups only
            assert any(part in row for row in rows), part
        assert not any(isinstance(screen, TrustScreen) for screen in app.screen_stack)
