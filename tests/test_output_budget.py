"""The server-wide output budget (issue 12, defect 4), over real sockets.

Sessions that never read ask for many large avatars, so what the kernel does not take
piles up in the server's queues. The server's own gauges (``door.output``) say how much
it holds; the tests wait on the server's state with a bounded poll (nothing to read from
a client that does not read).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import WAIT, Client, ClientFactory, RawUser, ServerFactory, matching
from tests.test_avatars import noisy_png
from tuichat.server.app import Server
from tuichat.server.avatars import validate_avatar

MIB = 1024 * 1024
CAP = 8 * MIB
"""The budget in these tests; each never-reader holds about 2-3 MB of it."""
SMALL_WINDOW = 4096
"""The never-readers' receive buffer: the kernel takes only a few MB for them."""
PICTURES = 24
"""Distinct avatars of 214-253 kB each: 5.6 MB for one who asks for all of them."""
UNKNOWN = "0" * 64


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Wait (bounded) for the server's state to satisfy ``condition``."""
    deadline = time.monotonic() + WAIT
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        pause.wait(0.01)


@pytest.fixture
def gallery(make_server: ServerFactory, join: ClientFactory
            ) -> Iterator[tuple[Server, Client, list[str]]]:
    """A server with a small budget, a reading client, and PICTURES stored avatars."""
    server = make_server(max_queued_bytes=CAP, queue_limit=64 * MIB)
    reader = join("reader", server)
    assert server.avatars is not None
    # Stored directly: uploads have a budget of their own (3 at once), not under test here.
    shas = [server.avatars.put(checked(noisy_png(side)))
            for side in range(290, 290 - PICTURES, -1)]
    yield server, reader, shas


def checked(data: bytes) -> bytes:
    """``data``, once the server's own avatar check has passed it."""
    validate_avatar(data, hashlib.sha256(data).hexdigest())
    return data


def never_reader(server: Server, name: str, wanted: list[str]) -> RawUser:
    """A session that asks for ``wanted`` on its image channel and reads nothing more;
    returns once the server has queued the last of them."""
    user = RawUser(server, name, "127.0.0.1", receive_buffer=SMALL_WINDOW)
    for sha in wanted:
        user.image.send({"type": "get_avatar", "sha256": sha})
    assert server.chat is not None and server.door is not None
    member = server.chat.find(name)
    assert member is not None
    session = server.door.sessions.of(member)
    assert session is not None and session.image is not None
    image = session.image
    wait_until(lambda: image.holds(wanted[-1]) or image.closing,
               f"{name}'s requests were queued")
    return user


def test_never_readers_stay_within_the_budget_and_the_heaviest_goes_first(
    gallery: tuple[Server, Client, list[str]],
) -> None:
    server, reader, shas = gallery
    chat, door = server.chat, server.door
    assert chat is not None and door is not None
    users = [never_reader(server, "heavy", shas)]  # asks for all, so it holds the most
    try:
        lights: list[str] = []
        while not door.output.shed_count:  # about the third takes the total past the budget
            assert len(lights) < 10, "the budget never filled"
            lights.append(f"light{len(lights)}")
            users.append(never_reader(server, lights[-1], shas[:20]))
        leave = reader.inbox.wait_for(matching("leave", reason="error"))
        assert leave["name"] == "heavy", "the heaviest non-reader is cut first"
        assert all(chat.find(name) is not None for name in lights), "one cut was enough"
        for number in range(5):  # more never-readers: more cuts, never over the budget
            users.append(never_reader(server, f"more{number}", shas[:20]))
        assert door.output.shed_count >= 2
        assert door.output.peak <= CAP, f"{door.output.peak:,} bytes queued at once"
        heavy = users[0].image
        heavy.sock.settimeout(WAIT)
        last = heavy.read_until(lambda frame: frame.get("type") == "error")
        assert "not reading" in last["text"], "a cut client that reads at last sees why"
        assert heavy.closed_by_server()
        png = reader.conn.get_avatar(shas[0]).result(WAIT)
        assert len(png) > 200_000, "a client that reads is not cut"
        reader.say_and_wait("still here")
        assert chat.find("reader") is not None
    finally:
        for user in users:
            user.close()


def test_the_same_avatar_is_not_queued_twice_for_one_client(
    gallery: tuple[Server, Client, list[str]],
) -> None:
    server, _reader, shas = gallery
    wanted = shas[:20] + [shas[19]] * 15  # the kernel is full before the repeats come
    user = never_reader(server, "deaf", wanted)
    try:
        user.image.send({"type": "get_avatar", "sha256": UNKNOWN})  # ends the reading below
        received: list[str] = []
        while (frame := user.image.read_frame())["type"] != "error":
            received.append(frame["sha256"])
        assert received == shas[:20], "one copy of each, the repeats not queued again"
        user.image.send({"type": "get_avatar", "sha256": shas[19]})  # sent: asked again
        assert user.image.read_frame()["sha256"] == shas[19]
    finally:
        user.close()
