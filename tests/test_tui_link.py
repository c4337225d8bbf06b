"""The client's link to a server: joining, refusals, reconnecting, and event order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import WAIT, ClientFactory, ServerFactory, matching
from tuichat.net.client import ConnectionClosed
from tuichat.net.frames import FrameType
from tuichat.server.app import Server
from tuichat.server.config import ServerConfig
from tuichat.server.store.history import History
from tuichat.tui.avatars import identicon
from tuichat.tui.link import (
    MAX_DELAY,
    AvatarFetched,
    ChatLink,
    FrameIn,
    FrameOut,
    Joined,
    LinkEvent,
    Lost,
    Refused,
    Retrying,
    Target,
    backoff_delay,
)


class Events:
    """Every event a link gave, with waiting on a condition."""

    def __init__(self) -> None:
        self.seen: list[LinkEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: LinkEvent) -> None:
        with self._cond:
            self.seen.append(event)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[LinkEvent], bool], count: int = 1) -> LinkEvent:
        deadline = time.monotonic() + WAIT
        with self._cond:
            while True:
                found = [event for event in self.seen if predicate(event)]
                if len(found) >= count:
                    return found[count - 1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    kinds = [type(event).__name__ for event in self.seen[-10:]]
                    raise AssertionError(f"event not seen; last: {kinds}")
                self._cond.wait(remaining)


def target(server: Server, name: str, **options: object) -> Target:
    ports = server.ports
    return Target("127.0.0.1", name, ports.send, ports.recv, ports.image,
                  **options)  # type: ignore[arg-type]


def frame_of(kind: str, **fields: object) -> Callable[[LinkEvent], bool]:
    predicate = matching(kind, **fields)
    return lambda event: isinstance(event, FrameIn) and predicate(event.frame)


@pytest.fixture
def links() -> Iterator[list[ChatLink]]:
    started: list[ChatLink] = []
    yield started
    for link in started:
        link.stop()


def start(links: list[ChatLink], goal: Target, events: Events, **options: float) -> ChatLink:
    link = ChatLink(goal, events, **options)
    links.append(link)
    link.start()
    return link


def test_joins_uploads_its_avatar_and_reports_frames_both_ways(
        server: Server, links: list[ChatLink]) -> None:
    events = Events()
    png = identicon("alice")
    link = start(links, target(server, "alice", avatar_png=png), events)
    joined = events.wait_for(lambda event: isinstance(event, Joined))
    assert isinstance(joined, Joined) and not joined.rejoined
    assert joined.welcome.name == "alice"
    events.wait_for(frame_of("avatar_changed", name="alice", avatar=target(
        server, "alice", avatar_png=png).avatar_sha))
    ref = link.say("hello")
    events.wait_for(frame_of("message", ref=ref, text="hello"))
    sent = [event.frame["type"] for event in events.seen if isinstance(event, FrameOut)]
    assert sent[:3] == [FrameType.HELLO, FrameType.ATTACH, FrameType.ATTACH]
    assert FrameType.AVATAR in sent and FrameType.SAY in sent
    assert link.connected


def test_no_frame_is_delivered_before_the_join_it_follows(server: Server, join: ClientFactory,
                                                          links: list[ChatLink]) -> None:
    # History too big for one welcome: the rest is replayed right behind it, already in
    # the socket when the reader threads start, before the link has announced the join.
    talker = join("talker")
    for index in range(20):
        talker.say_and_wait(f"{index} " + "x" * 4_000)
    events = Events()
    start(links, target(server, "alice"), events)
    events.wait_for(frame_of("message", replay=True))
    first_frame = next(index for index, event in enumerate(events.seen)
                       if isinstance(event, FrameIn))
    joined = next(index for index, event in enumerate(events.seen)
                  if isinstance(event, Joined))
    assert joined < first_frame


@pytest.mark.parametrize(("options", "code"), [
    ({"name": "bad name!"}, "bad_name"),
    ({"name": "alice", "password": "wrong"}, "bad_password"),
])
def test_a_refusal_on_the_first_join_stops_the_link(make_server: ServerFactory,
                                                    links: list[ChatLink],
                                                    options: dict[str, str], code: str) -> None:
    server = make_server(password="door")
    events = Events()
    name = options.pop("name")
    start(links, target(server, name, **options), events)
    refused = events.wait_for(lambda event: isinstance(event, Refused))
    assert isinstance(refused, Refused) and refused.code == code
    assert not any(isinstance(event, Joined) for event in events.seen)


def test_nobody_listening_is_refused_in_plain_words(tmp_path: Path,
                                                    links: list[ChatLink]) -> None:
    events = Events()
    start(links, Target("127.0.0.1", "alice", 1, 1, 2), events)
    refused = events.wait_for(lambda event: isinstance(event, Refused))
    assert isinstance(refused, Refused)
    assert refused.reason == "nobody is listening on 127.0.0.1:1: is the server running?"


def test_sending_while_disconnected_raises(server: Server, links: list[ChatLink]) -> None:
    link = ChatLink(target(server, "alice"), Events())
    with pytest.raises(ConnectionClosed):
        link.say("hello")
    with pytest.raises(ConnectionClosed):
        link.command("admin -h")


def test_rejoins_after_a_restart_with_since_and_retries_while_the_name_is_taken(
        make_server: ServerFactory, join: ClientFactory, links: list[ChatLink]) -> None:
    first = make_server()
    ports, data_dir = first.ports, first.config.data_dir
    events = Events()
    link = start(links, target(first, "alice"), events, first_delay=0.01)
    events.wait_for(lambda event: isinstance(event, Joined))
    ref = link.say("before")
    seen = events.wait_for(frame_of("message", ref=ref))
    assert isinstance(seen, FrameIn)
    first.stop()
    assert first.wait(WAIT)
    events.wait_for(lambda event: isinstance(event, Lost))
    # Start the new server inside a long back-off wait, so the squatter surely comes first.
    events.wait_for(lambda event: isinstance(event, Retrying) and event.retry_in >= 2.0)
    second = make_server(port_send=ports.send, port_recv=ports.recv, port_image=ports.image,
                         data_dir=data_dir)
    # Someone holds the name when the server comes back: the link keeps trying.
    squatter = join("alice", second)
    squatter.say_and_wait("while alice was away")
    events.wait_for(lambda event: isinstance(event, Retrying) and "already here" in event.reason)
    squatter.conn.bye()
    link.retry_now()
    rejoined = events.wait_for(lambda event: isinstance(event, Joined) and event.rejoined)
    assert isinstance(rejoined, Joined)
    texts = [message.text for message in rejoined.welcome.history]
    assert texts == ["while alice was away"]  # only what came after the last seq seen
    assert rejoined.welcome.history[0].seq == seen.frame["seq"] + 1


def test_stop_says_bye_and_ends_reconnecting(server: Server, join: ClientFactory,
                                             links: list[ChatLink]) -> None:
    watcher = join("watcher")
    events = Events()
    link = start(links, target(server, "alice"), events)
    events.wait_for(lambda event: isinstance(event, Joined))
    link.stop()
    watcher.inbox.wait_for(matching("leave", name="alice", reason="quit"))
    assert not link.connected
    assert not any(isinstance(event, Lost) for event in events.seen)


def test_fetching_an_unknown_avatar_reports_none(server: Server, links: list[ChatLink]) -> None:
    events = Events()
    link = start(links, target(server, "alice"), events)
    events.wait_for(lambda event: isinstance(event, Joined))
    link.fetch_avatar("0" * 64)
    fetched = events.wait_for(lambda event: isinstance(event, AvatarFetched))
    assert fetched == AvatarFetched("0" * 64, None)


@pytest.mark.parametrize("attempt", [1, 2, 3, 5, 8, 30])
def test_backoff_doubles_with_jitter_and_is_capped(attempt: int) -> None:
    base = min(MAX_DELAY, 0.5 * 2 ** (attempt - 1))
    delays = [backoff_delay(attempt) for _ in range(200)]
    assert all(0.8 * base <= delay <= 1.2 * base for delay in delays)
    assert len(set(delays)) > 1


def test_a_rejoin_to_another_history_reloads_instead_of_trusting_since(
        make_server: ServerFactory, links: list[ChatLink], tmp_path: Path) -> None:
    """Issue 12: the server came back with another database (restored, or lost and made
    anew) holding more seqs than the link had seen: the link's ``since`` belongs to the old
    epoch, so it gets the newest history and says it replaces what was shown."""
    first = make_server()
    ports = first.ports
    events = Events()
    link = start(links, target(first, "alice"), events, first_delay=0.01)
    joined = events.wait_for(lambda event: isinstance(event, Joined))
    assert isinstance(joined, Joined) and not joined.welcome.history_replaced
    events.wait_for(frame_of("message", ref=link.say("before")))
    first.stop()
    assert first.wait(WAIT)
    other = tmp_path / "restored"
    restored = History(ServerConfig(data_dir=other).history_path)
    for number in range(5):
        restored.append("bob", f"restored {number}", None)
    restored.close()
    make_server(port_send=ports.send, port_recv=ports.recv, port_image=ports.image,
                data_dir=other)
    rejoined = events.wait_for(lambda event: isinstance(event, Joined) and event.rejoined)
    assert isinstance(rejoined, Joined) and rejoined.welcome.history_replaced
    assert [m.text for m in rejoined.welcome.history] == [
        f"restored {number}" for number in range(5)]
