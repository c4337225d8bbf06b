"""Who a browser session is: the browser's own address (the websocket's peer, or the last
``X-Forwarded-For`` entry when the proxy is trusted) reaches the chat through the door's
ticket, so bans, limits and password throttles see it; the join password is still asked;
and a websocket opened by another site's page is refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping

import aiohttp
import pytest

from tests.conftest import ELSEWHERE, WAIT, ServerFactory
from tests.test_tickets import on_reactor
from tests.test_web_door_sessions import Session, door_url
from tuichat.server.app import Server
from tuichat.server.core.model import Member


async def member(server: Server, name: str) -> Member:
    """The chat's member called ``name``, once it is there."""
    assert server.chat is not None
    chat = server.chat
    async with asyncio.timeout(WAIT):
        while not isinstance(found := await asyncio.to_thread(on_reactor, server,
                                                              lambda: chat.find(name)),
                             Member):
            await asyncio.sleep(0.05)  # the client is still connecting: nothing to wait on
    return found


@pytest.fixture
async def elsewhere() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client whose connections come from another loopback address."""
    async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(local_addr=(ELSEWHERE, 0))) as http:
        yield http


def websocket_url(server: Server) -> str:
    return door_url(server, "/ws?width=100&height=30", scheme="ws")


async def join(http: aiohttp.ClientSession, server: Server, name: str,
               headers: Mapping[str, str] | None = None) -> Member:
    """Open a browser session, join as ``name`` on the connect screen; its member."""
    async with http.ws_connect(websocket_url(server), headers=headers) as socket:
        session = Session(socket)
        await session.wait_for_text("join a chat")
        await session.type(f"{name}\r")
        return await member(server, name)


async def test_a_browser_user_comes_from_the_browsers_own_address(
        make_server: ServerFactory, elsewhere: aiohttp.ClientSession) -> None:
    server = make_server(web_port=0)
    carol = await join(elsewhere, server, "carol")
    assert (carol.host, carol.address) == (ELSEWHERE, f"{ELSEWHERE} (web)")


async def test_a_banned_browser_address_gets_no_session(
        make_server: ServerFactory, elsewhere: aiohttp.ClientSession) -> None:
    server = make_server(web_port=0)
    assert server.chat is not None
    bans = server.chat.bans
    on_reactor(server, lambda: bans.ban_address(ELSEWHERE, None, "root", None))
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await elsewhere.ws_connect(websocket_url(server))
    assert refused.value.status == 403
    async with aiohttp.ClientSession() as here, here.ws_connect(websocket_url(server)) as ok:
        await Session(ok).wait_for_text("join a chat")  # 127.0.0.1 is not banned


async def test_a_browser_user_is_still_asked_for_the_join_password(
        make_server: ServerFactory) -> None:
    """(With the password, a ticket like the door's lets the user in: test_tickets.)"""
    server = make_server(web_port=0, password="sesame")
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(websocket_url(server)) as socket:
        session = Session(socket)
        await session.wait_for_text("join a chat")
        await session.type("carol\r")
        await session.wait_for_text("this server needs the right join password")


async def test_a_trusted_proxy_names_the_browser_in_x_forwarded_for(
        make_server: ServerFactory) -> None:
    server = make_server(web_port=0, web_trust_proxy=True)
    forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.5"}  # the proxy added the last
    async with aiohttp.ClientSession() as http:
        carol = await join(http, server, "carol", forwarded)
    assert carol.host == "203.0.113.5"


async def test_x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
        make_server: ServerFactory, elsewhere: aiohttp.ClientSession) -> None:
    server = make_server(web_port=0, max_per_address=3)  # one browser session an address
    assert server.web is not None
    async with elsewhere.ws_connect(websocket_url(server),
                                    headers={"X-Forwarded-For": "203.0.113.5"}) as first:
        await Session(first).wait_for_text("join a chat")
        assert set(server.web._serve.sessions) == {ELSEWHERE}
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:  # the same address
            await elsewhere.ws_connect(websocket_url(server),
                                       headers={"X-Forwarded-For": "203.0.113.6"})
        assert refused.value.status == 503


@pytest.mark.parametrize("origin", [
    "http://evil.example", "http://127.0.0.1", "https://127.0.0.1.evil.example", "null",
    "http://127.0.0.1:{other}", "file:///home/user/page.html"])
async def test_a_websocket_from_another_sites_page_is_refused(
        make_server: ServerFactory, origin: str) -> None:
    server = make_server(web_port=0)
    assert server.ports.web is not None
    other = 1 if server.ports.web != 1 else 2
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(websocket_url(server),
                                  headers={"Origin": origin.format(other=other)})
    assert refused.value.status == 403
    assert server.web is not None and not server.web._serve.sessions


@pytest.mark.parametrize("origin", ["http://127.0.0.1:{port}", "HTTP://127.0.0.1:{port}"])
async def test_a_websocket_from_the_doors_own_page_is_let_in(
        make_server: ServerFactory, origin: str) -> None:
    server = make_server(web_port=0)
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(websocket_url(server),
                            headers={"Origin": origin.format(port=server.ports.web)}) as ok:
        await Session(ok).wait_for_text("join a chat")


async def test_a_browser_user_joins_a_server_listening_on_one_address_only(
        make_server: ServerFactory) -> None:
    server = make_server(host=ELSEWHERE, web_port=0)  # not on 127.0.0.1
    assert server.ports.web is not None
    url = f"ws://{ELSEWHERE}:{server.ports.web}/ws?width=100&height=30"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as socket:
        session = Session(socket)
        await session.wait_for_text("join a chat")
        await session.type("carol\r")
        carol = await member(server, "carol")
    assert carol.host == "127.0.0.1"  # the browser's address: this test's client


@pytest.mark.parametrize(("trusted", "wanted"), [(True, "wss://chat.example/ws"),
                                                 (False, "ws://chat.example/ws")])
async def test_a_trusted_proxy_that_ends_tls_gets_a_page_for_https(
        make_server: ServerFactory, trusted: bool, wanted: str) -> None:
    server = make_server(web_port=0, web_trust_proxy=trusted)
    headers = {"Host": "chat.example", "X-Forwarded-Proto": "https"}
    async with aiohttp.ClientSession() as http, \
            http.get(door_url(server), headers=headers) as answer:
        page = await answer.text()
    assert f'data-session-websocket-url="{wanted}"' in page


def test_the_proxy_is_trusted_only_when_the_flag_says_so() -> None:
    from tuichat.server.cli import build_parser, config_from_args

    parser = build_parser()
    assert not config_from_args(parser.parse_args(["--web-port", "8080"])).web_trust_proxy
    assert config_from_args(parser.parse_args(["--web-trust-proxy"])).web_trust_proxy


async def test_browser_users_from_two_addresses_are_not_one_address_to_the_limits(
        make_server: ServerFactory, elsewhere: aiohttp.ClientSession) -> None:
    server = make_server(web_port=0, max_per_address=3)  # one user's three connections
    url = websocket_url(server)
    async with aiohttp.ClientSession() as here, here.ws_connect(url) as first, \
            elsewhere.ws_connect(url) as second:
        for socket, name in ((first, "carol"), (second, "dave")):
            session = Session(socket)
            await session.wait_for_text("join a chat")
            await session.type(f"{name}\r")
        carol, dave = await member(server, "carol"), await member(server, "dave")
        assert not carol.ended and not dave.ended  # dave was refused: 127.0.0.1 was full
    assert (carol.host, dave.host) == ("127.0.0.1", ELSEWHERE)
