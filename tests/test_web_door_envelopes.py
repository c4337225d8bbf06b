"""The page's websocket messages: parsed into typed values, sizes bounded to a screen's,
anything else refused with ``EnvelopeError``; over the real door a malformed message is
dropped and the session goes on, and a huge first size starts the client at the largest."""

from __future__ import annotations

import json
import os
from pathlib import Path

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import ClientFactory, ServerFactory, matching
from tests.test_web_door_sessions import Session, door_url
from tuichat.server.doors.screen_size import MAX_COLUMNS, MAX_ROWS
from tuichat.server.doors.web.envelopes import (
    EnvelopeError,
    Focus,
    Keys,
    Ping,
    Resize,
    parse,
    size_from_query,
)

MALFORMED = ["not json", "[]", "{}", "[1]", '["stdin"]', '["stdin", 5]', '["resize"]',
             '["resize", {"width": "wide", "height": 30}]', '["resize", {"width": true, '
             '"height": 30}]', '["sudo", "x"]', "[" * 10_000]


@pytest.mark.parametrize(("text", "wanted"), [
    ('["stdin", "hi\\r"]', Keys("hi\r")),
    ('["resize", {"width": 120, "height": 40}]', Resize(120, 40)),
    ('["resize", {"width": 99999999, "height": -5}]', Resize(MAX_COLUMNS, 1)),
    ('["ping", "1234"]', Ping("1234")),
    ('["focus"]', Focus(True)),
    ('["blur"]', Focus(False)),
])
def test_the_pages_messages_are_parsed_and_sizes_bounded(text: str, wanted: object) -> None:
    assert parse(text) == wanted


@pytest.mark.parametrize("text", MALFORMED, ids=lambda text: text[:24])
def test_a_message_the_page_never_sends_is_refused(text: str) -> None:
    with pytest.raises(EnvelopeError):
        parse(text)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
                    max_leaves=20)


@given(st.one_of(st.text(), JSON.map(json.dumps)))
def test_parse_gives_a_message_or_an_envelope_error_for_anything(text: str) -> None:
    try:
        envelope = parse(text)
    except EnvelopeError:
        return
    if isinstance(envelope, Resize):
        assert 1 <= envelope.columns <= MAX_COLUMNS and 1 <= envelope.rows <= MAX_ROWS


@pytest.mark.parametrize(("query", "wanted"), [
    (("100", "30"), (100, 30)), (("", ""), (80, 24)), (("x", "9" * 50), (80, 24)),
    (("100000", "100000"), (MAX_COLUMNS, MAX_ROWS))])
def test_the_first_size_comes_from_the_query_bounded(query: tuple[str, str],
                                                     wanted: tuple[int, int]) -> None:
    assert size_from_query(*query) == wanted


async def test_malformed_messages_are_dropped_and_the_session_goes_on(
        make_server: ServerFactory, join: ClientFactory) -> None:
    server = make_server(web_port=0)
    bob = join("bob", target=server)
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(door_url(server, "/ws?width=100&height=30")) as socket:
        session = Session(socket)
        await session.wait_for_text("join a chat")
        for text in MALFORMED:
            await socket.send_str(text)
        await session.type("carol\r")
        bob.inbox.wait_for(matching("join", name="carol"))


def guest_environment() -> dict[str, str]:
    """The environment of the one browser session's client running."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if b"--guest" not in Path(f"/proc/{entry}/cmdline").read_bytes():
                continue
            raw = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)
    raise AssertionError("no browser session's client is running")


async def test_a_huge_first_size_starts_the_client_at_the_largest_screen(
        make_server: ServerFactory) -> None:
    server = make_server(web_port=0)
    url = door_url(server, "/ws?width=100000&height=100000")
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as socket:
        await Session(socket).wait_for_text("join a chat")
        env = guest_environment()
    assert (env["COLUMNS"], env["ROWS"]) == (str(MAX_COLUMNS), str(MAX_ROWS))


async def test_the_client_gets_its_ticket_but_not_the_servers_secrets(
        make_server: ServerFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUICHAT_ADMIN_PASSWORD", "the operator's")
    server = make_server(web_port=0)
    async with aiohttp.ClientSession() as http, \
            http.ws_connect(door_url(server, "/ws?width=80&height=24")) as socket:
        await Session(socket).wait_for_text("join a chat")
        env = guest_environment()
    assert "TUICHAT_ADMIN_PASSWORD" not in env
    assert env["TUICHAT_GUEST_TICKET"] and env["TEXTUAL_DRIVER"].endswith("WebDriver")
