"""The browser door without a browser: its page, its sessions' caps, HTTPS with the
server's certificate, and the guest client it runs (aiohttp speaks the page's websocket)."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from pathlib import Path

import aiohttp
import pytest

from tests.browser import WAIT, visible_text
from tests.conftest import ClientFactory, ServerFactory, matching
from tuichat.net.tls import KnownHosts, TlsClientConfig
from tuichat.server.app import Server, StartupError
from tuichat.tui.app import TuichatApp
from tuichat.tui.connect_screen import SERVER_FIELDS
from tuichat.tui.guest import guest_settings
from tuichat.tui.main import build_parser, main

UNVERIFIED = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
UNVERIFIED.check_hostname = False
UNVERIFIED.verify_mode = ssl.CERT_NONE


class Session:
    """A browser session as the page's script runs it: the websocket, and what it drew."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.drawn = ""

    async def wait_for_text(self, text: str, since: int = 0) -> int:
        """Wait until ``text`` is drawn (after the first ``since`` characters of the text
        drawn); how much text is drawn by then."""
        async with asyncio.timeout(WAIT):
            while text not in (shown := visible_text(self.drawn))[since:]:
                message = await self.socket.receive()
                assert message.type == aiohttp.WSMsgType.BINARY, message
                self.drawn += message.data.decode("utf-8", "replace")
        return len(shown)

    async def type(self, text: str) -> None:
        await self.socket.send_str(json.dumps(["stdin", text]))


def door_url(server: Server, path: str = "/", scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{server.ports.web}{path}"


async def test_page_sends_the_browser_back_to_the_address_it_used(
        make_server: ServerFactory) -> None:
    server = make_server(web_port=0)
    async with aiohttp.ClientSession() as http, \
            http.get(door_url(server), headers={"Host": "chat.example:8443"}) as answer:
        page = await answer.text()
    assert 'data-session-websocket-url="ws://chat.example:8443/ws"' in page
    assert "http://chat.example:8443/static/js/textual.js" in page


async def test_the_page_may_not_be_framed_nor_load_from_another_site(
        make_server: ServerFactory) -> None:
    server = make_server(web_port=0)
    async with aiohttp.ClientSession() as http, http.get(door_url(server)) as answer:
        policy = answer.headers["Content-Security-Policy"]
        assert answer.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert "http" not in policy  # no other origin allowed (chromium: test_web_door)


async def test_tls_door_serves_https_and_its_client_trusts_the_server_without_asking(
        make_server: ServerFactory, join: ClientFactory, tmp_path: Path) -> None:
    server = make_server(web_port=0, tls=True)
    trust = TlsClientConfig(known_hosts=KnownHosts(tmp_path / "known_hosts"),
                            ask=lambda host, port, shown: shown == server.tls_fingerprint)
    bob = join("bob", target=server, tls=trust)
    async with aiohttp.ClientSession() as http:
        async with http.get(door_url(server, scheme="https"), ssl=UNVERIFIED) as answer:
            assert "wss://127.0.0.1:" in await answer.text()
        url = door_url(server, "/ws?width=100&height=30", scheme="wss")
        async with http.ws_connect(url, ssl=UNVERIFIED) as socket:
            session = Session(socket)
            await session.wait_for_text("join a chat")
            await session.type("dave\r")
            bob.inbox.wait_for(matching("join", name="dave"))
            await session.wait_for_text("TLS")


async def test_closed_browser_tab_ends_its_client_and_the_others_see_it_leave(
        make_server: ServerFactory, join: ClientFactory) -> None:
    server = make_server(web_port=0)
    bob = join("bob", target=server)
    url = door_url(server, "/ws?width=100&height=30", scheme="ws")
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url) as socket:
            session = Session(socket)
            await session.wait_for_text("join a chat")
            await session.type("erin\r")
            bob.inbox.wait_for(matching("join", name="erin"))
            await socket.close(code=aiohttp.WSCloseCode.GOING_AWAY)  # as a closing tab does
        assert bob.inbox.wait_for(matching("leave", name="erin"))["reason"] == "quit"


async def test_browser_sessions_from_one_address_are_capped_like_its_connections(
        make_server: ServerFactory) -> None:
    server = make_server(web_port=0, max_per_address=3)  # one user's three connections
    url = door_url(server, "/ws?width=80&height=24", scheme="ws")
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as first:
        await Session(first).wait_for_text("join a chat")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url)
        assert refused.value.status == 503


def test_guest_takes_only_the_server_from_its_command_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUICHAT_PASSWORD", "the operator's")
    monkeypatch.setenv("TUICHAT_ADMIN_PASSWORD", "the operator's too")
    args = build_parser().parse_args(["--guest", "--host", "127.0.0.1", "--port-send", "4001",
                                      "--port-recv", "4002", "--port-image", "4003", "--tls"])
    settings = guest_settings(args)
    assert (settings.host, settings.port_send, settings.port_recv, settings.image_port) == (
        "127.0.0.1", 4001, 4002, 4003)
    assert settings.tls
    assert settings.name == "" and settings.avatar is None
    assert settings.password is None and settings.admin_password is None


async def test_guest_connect_screen_keeps_the_server_and_picture_fixed(
        tmp_path: Path) -> None:
    args = build_parser().parse_args(["--guest", "--port-send", "4001", "--port-recv", "4002"])
    app = TuichatApp(guest_settings(args), connect_now=False, cwd=tmp_path, guest=True,
                     known_hosts=KnownHosts(tmp_path / "known_hosts"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for key in SERVER_FIELDS:
            assert app.screen.query_one(f"#{key}").disabled, key
        assert not app.screen.query_one("#name").disabled
        assert not app.screen.query_one("#password").disabled
        assert app.screen.query_one("#tls").disabled


def test_browser_door_port_in_use_stops_the_start_with_one_line(
        make_server: ServerFactory) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StartupError, match=f"port {port} \\(browser door\\)"):
            make_server(web_port=port)


@pytest.mark.parametrize("argv", [["--tls-pin", "SHA256:AB"], ["--guest", "--serve"],
                                  ["--guest", "--name", "eve"]])
def test_guest_options_go_only_with_guest_and_alone(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2


async def test_a_dropped_browser_connection_shows_the_others_a_dropped_one(
        make_server: ServerFactory, join: ClientFactory) -> None:
    server = make_server(web_port=0)
    bob = join("bob", target=server)
    url = door_url(server, "/ws?width=100&height=30", scheme="ws")
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as websocket:
        session = Session(websocket)
        await session.wait_for_text("join a chat")
        await session.type("erin\r")
        bob.inbox.wait_for(matching("join", name="erin"))
        connection = websocket.get_extra_info("socket")
        assert connection is not None
        connection.shutdown(socket.SHUT_RDWR)  # gone, with no close frame
        leave = bob.inbox.wait_for(matching("leave", name="erin"))
    assert leave["reason"] == "error", leave



async def test_a_browser_session_nobody_joins_from_is_ended(
        make_server: ServerFactory) -> None:
    server = make_server(web_port=0)
    assert server.web is not None
    server.web._serve.join_timeout = 0.5
    url = door_url(server, "/ws?width=100&height=30", scheme="ws")
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as websocket:
        async with asyncio.timeout(WAIT):
            while (message := await websocket.receive()).type == aiohttp.WSMsgType.BINARY:
                pass  # the connect screen, drawn and left alone
        assert message.type == aiohttp.WSMsgType.CLOSE, message
        assert message.data == aiohttp.WSCloseCode.POLICY_VIOLATION
        assert "nobody joined" in str(message.extra)
    async with asyncio.timeout(WAIT):
        while server.web._serve.sessions:
            await asyncio.sleep(0.05)  # the session's end is not an event a test can await


def test_an_address_may_start_sessions_in_a_burst_then_at_a_pace() -> None:
    from tuichat.server.doors.web.starts import StartRate

    now = [0.0]
    starts = StartRate(burst=2, per_second=0.5, clock=lambda: now[0])
    assert starts.take("198.51.100.1") is None and starts.take("198.51.100.1") is None
    assert starts.take("198.51.100.1") == pytest.approx(2.0)  # one token every 2 s
    assert starts.take("198.51.100.2") is None  # another address has its own
    now[0] += 2.0
    assert starts.take("198.51.100.1") is None


async def test_starting_browser_sessions_too_often_is_refused(
        make_server: ServerFactory) -> None:
    from tuichat.server.doors.web.starts import StartRate

    server = make_server(web_port=0)
    assert server.web is not None
    server.web._serve.starts = StartRate(burst=1, per_second=0.01)
    url = door_url(server, "/ws?width=80&height=24", scheme="ws")
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url) as first:
            await Session(first).wait_for_text("join a chat")
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url)
    assert refused.value.status == 429
    assert refused.value.headers is not None
    assert 90 <= int(refused.value.headers["Retry-After"]) <= 100


async def test_what_a_client_writes_on_stderr_is_logged_in_short_not_printed(
        make_server: ServerFactory, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str]) -> None:
    from tuichat.server.doors.web.sessions import STDERR_TAIL

    server = make_server(web_port=0)
    assert server.web is not None
    guest = server.web._serve
    guest.command = f"head -c 1000000 /dev/zero | tr '\\0' x >&2; {guest.command}"
    url = door_url(server, "/ws?width=80&height=24", scheme="ws")
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as websocket:
        await Session(websocket).wait_for_text("join a chat")
    async with asyncio.timeout(WAIT):
        while not (logged := [record.getMessage() for record in caplog.records
                              if "stderr" in record.getMessage()]):
            await asyncio.sleep(0.05)  # the session's end is not an event a test can await
    assert "x" * 100 in logged[0] and len(logged[0]) < STDERR_TAIL + 200
    assert "x" * 100 not in capfd.readouterr().out
