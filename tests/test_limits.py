"""Flood control, set-up deadlines, connection limits, password throttling, avatar store size.

The limiters are unit-tested on a stepped clock; the real server is tested with small
limits and waits that end on a condition (a frame, a close), never on a sleep.
"""

from __future__ import annotations

import hashlib
import io
import logging
import random
import socket
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from tests.conftest import (
    ADMIN_PASSWORD,
    ELSEWHERE,
    WAIT,
    Client,
    ClientFactory,
    RawChannel,
    ServerFactory,
    matching,
)
from tuichat.net.client import NotFound
from tuichat.net.codec import encode
from tuichat.net.frames import Frame
from tuichat.server import limits
from tuichat.server.app import Server
from tuichat.server.avatars import TRIM_TARGET, AvatarStore, console_avatar
from tuichat.server.limits import (
    ABUSE_WINDOW,
    ADDRESS_FACTOR,
    AuthThrottle,
    LineLimit,
    Scope,
    TokenBucket,
    Verdict,
    Wait,
)


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- TokenBucket -------------------------------------------------------------------------------


def test_bucket_allows_a_burst_then_refuses() -> None:
    bucket = TokenBucket(3, 1.0, Clock())
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_bucket_refills_at_its_rate_but_never_beyond_the_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(2, 4.0, clock)
    assert bucket.take() and bucket.take()
    clock.advance(0.2)  # 0.8 of a token
    assert not bucket.take()
    clock.advance(0.05)  # 0.8 + 0.2 = 1
    assert bucket.take()
    clock.advance(3600)
    assert [bucket.take() for _ in range(3)] == [True, True, False]


# -- LineLimit ---------------------------------------------------------------------------------


def test_line_limit_cuts_off_at_the_abuse_limit_within_a_minute() -> None:
    clock = Clock()
    limit = LineLimit(1, 0.001, 3, clock)
    assert limit.check() is Verdict.PASS
    verdicts = []
    for _ in range(3):
        clock.advance(1)
        verdicts.append(limit.check())
    assert verdicts == [Verdict.SLOW_DOWN, Verdict.SLOW_DOWN, Verdict.CUT_OFF]


def test_refusals_spread_over_more_than_a_minute_never_cut_off() -> None:
    clock = Clock()
    limit = LineLimit(1, 0.0001, 3, clock)
    limit.check()
    verdicts = []
    for _ in range(10):
        verdicts.append(limit.check())
        clock.advance(ABUSE_WINDOW / 2)
    assert set(verdicts) == {Verdict.SLOW_DOWN}


@pytest.mark.parametrize(("burst", "per_second"), [(0, 5.0), (10, 0.0)])
def test_a_zero_rate_setting_turns_the_line_limit_off(burst: int, per_second: float) -> None:
    limit = LineLimit(burst, per_second, 1, Clock())
    assert {limit.check() for _ in range(1_000)} == {Verdict.PASS}


def test_an_abuse_limit_of_zero_never_cuts_off() -> None:
    limit = LineLimit(1, 0.001, 0, Clock())
    assert {limit.check() for _ in range(1_000)} == {Verdict.PASS, Verdict.SLOW_DOWN}


# -- AuthThrottle ------------------------------------------------------------------------------


A, B = "10.0.0.1", "10.0.0.2"


def _seconds(throttle: AuthThrottle, address: str = A, name: str = "bob") -> float:
    wait = throttle.wait(address, name)
    return 0.0 if wait is None else wait.seconds


def test_each_wrong_password_doubles_the_wait() -> None:
    clock = Clock()
    throttle = AuthThrottle(10, 600.0, clock)
    assert throttle.wait(A, "bob") is None
    waits = []
    for _ in range(4):
        assert throttle.fail(A, "bob") is None
        waits.append(throttle.wait(A, "bob"))
        clock.advance(_seconds(throttle))
        assert throttle.wait(A, "bob") is None
    assert waits == [Wait(seconds, Scope.NAME) for seconds in (1.0, 2.0, 4.0, 8.0)]


def test_the_wait_is_never_longer_than_the_lockout() -> None:
    clock = Clock()
    throttle = AuthThrottle(10, 3.5, clock)
    for _ in range(2):
        throttle.fail(A, "bob")
        clock.advance(_seconds(throttle))
    throttle.fail(A, "bob")  # the third within 3.5 s: 4 s would be longer than the lockout
    assert _seconds(throttle) == 3.5


def test_max_failures_within_the_window_lock_the_name_out() -> None:
    clock = Clock()
    throttle = AuthThrottle(3, 600.0, clock)
    assert throttle.fail(A, "bob") is None
    clock.advance(1)
    assert throttle.fail(A, "bob") is None
    clock.advance(2)
    assert throttle.fail(A, "bob") is Scope.NAME
    assert throttle.wait(A, "bob") == Wait(600.0, Scope.NAME)
    clock.advance(600)
    assert throttle.wait(A, "bob") is None
    assert throttle.fail(A, "bob") is None, "the count starts again after a lockout"
    assert _seconds(throttle) == 1.0


def test_failures_older_than_the_window_do_not_count() -> None:
    clock = Clock()
    throttle = AuthThrottle(3, 10.0, clock)
    for _ in range(5):
        assert throttle.fail(A, "bob") is None
        clock.advance(10.5)


def test_one_name_locked_out_leaves_the_other_names_of_its_address_alone() -> None:
    """Everyone on a shared machine comes from one address: bob's typos are bob's."""
    clock = Clock()
    throttle = AuthThrottle(2, 600.0, clock)
    throttle.fail(A, "bob")
    clock.advance(1)
    assert throttle.fail(A, "bob") is Scope.NAME
    assert throttle.wait(A, "alice") is None
    assert throttle.wait(B, "bob") is None, "bob from elsewhere has his own count"
    assert throttle.fail(A, "alice") is None
    assert throttle.wait(A, "alice") == Wait(1.0, Scope.NAME)
    assert _seconds(throttle) == 600.0


def test_guessing_across_names_locks_the_whole_address_at_its_ceiling() -> None:
    clock = Clock()
    throttle = AuthThrottle(2, 600.0, clock)
    assert throttle.address_ceiling == 2 * ADDRESS_FACTOR
    for number in range(throttle.address_ceiling - 1):
        assert throttle.fail(A, f"guess{number}") is None
        clock.advance(1)
    assert throttle.wait(A, "alice") is None, "below the ceiling a new name may try at once"
    assert throttle.fail(A, "last") is Scope.ADDRESS
    assert throttle.wait(A, "alice") == Wait(600.0, Scope.ADDRESS)
    assert throttle.wait(A, "guess0") == Wait(600.0, Scope.ADDRESS), "the longer wait is named"
    assert throttle.wait(B, "alice") is None
    clock.advance(600)
    assert throttle.wait(A, "alice") is None


def test_the_ceiling_counts_a_name_that_is_locked_out_too() -> None:
    clock = Clock()
    throttle = AuthThrottle(2, 600.0, clock, address_factor=2)
    assert [throttle.fail(A, "bob"), throttle.fail(A, "bob")] == [None, Scope.NAME]
    assert throttle.fail(A, "carol") is None
    assert throttle.fail(A, "dave") is Scope.ADDRESS, "4 failures: 2 x 2"


def test_the_throttle_forgets_spent_counts_to_stay_within_its_capacity() -> None:
    clock = Clock()
    throttle = AuthThrottle(3, 600.0, clock, capacity=4)  # an address and a name count each
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        throttle.fail(address, "bob")
        clock.advance(1)  # the 1 s back-off is over: the count may go
    assert throttle.fail("10.0.0.1", "bob") is None, "its first failure was forgotten"
    assert throttle.fail("10.0.0.1", "bob") is None
    assert throttle.fail("10.0.0.1", "bob") is Scope.NAME


def test_an_address_count_outlives_its_names_at_capacity() -> None:
    """Names tried from one address are forgotten before the address's own count, so
    guessing across many names cannot make the throttle forget the address."""
    clock = Clock()
    throttle = AuthThrottle(5, 600.0, clock, capacity=3, address_factor=1)
    for number in range(4):
        throttle.fail(A, f"guess{number}")
        clock.advance(1)
    assert throttle.fail(A, "guess4") is Scope.ADDRESS


def test_spent_counts_are_forgotten_before_live_ones() -> None:
    clock = Clock()
    throttle = AuthThrottle(5, 60.0, clock, capacity=4)
    throttle.fail("10.0.0.1", "bob")
    clock.advance(61)
    throttle.fail("10.0.0.2", "bob")
    throttle.fail("10.0.0.3", "bob")
    assert _seconds(throttle, "10.0.0.2") == 1.0, "the spent 10.0.0.1 made room, not this"


_NAMES = ["ann", "bob", "cy"]


@given(st.lists(st.tuples(st.sampled_from([A, B]), st.sampled_from(_NAMES),
                          st.floats(0.0, 40.0)), max_size=40))
def test_only_a_names_own_failures_or_its_address_ceiling_make_it_wait(
    failures: list[tuple[str, str, float]],
) -> None:
    """Whatever the order and pace of wrong passwords: a name that never failed from an
    address waits only once that address as a whole reached its ceiling, and no wait is
    longer than the lockout."""
    clock = Clock()
    throttle = AuthThrottle(2, 60.0, clock, address_factor=3)
    failed: set[tuple[str, str]] = set()
    from_address: Counter[str] = Counter()
    for address, name, step in failures:
        clock.advance(step)
        throttle.fail(address, name)
        failed.add((address, name))
        from_address[address] += 1
        for other_address in (A, B):
            for other in [*_NAMES, "fresh"]:
                wait = throttle.wait(other_address, other)
                if wait is None:
                    continue
                assert wait.seconds <= 60.0 + 1e-6  # float sums of the clock steps
                if (other_address, other) not in failed:
                    assert wait.scope is Scope.ADDRESS
                    assert from_address[other_address] >= throttle.address_ceiling


def test_zero_max_failures_turns_the_throttle_off() -> None:
    throttle = AuthThrottle(0, 600.0, Clock())
    assert not any(throttle.fail(A, "bob") for _ in range(100))
    assert throttle.wait(A, "bob") is None


# -- AvatarStore size --------------------------------------------------------------------------


def _blob(tag: str, size: int = 1_000) -> tuple[bytes, str]:
    data = tag.encode() * (size // len(tag))
    return data, hashlib.sha256(data).hexdigest()


def test_a_full_store_drops_the_least_recently_used(tmp_path: Path) -> None:
    clock = Clock()
    store = AvatarStore(tmp_path, limit=3_500, clock=clock)
    (a, sha_a), (b, sha_b), (c, sha_c), (d, sha_d) = (_blob(t) for t in "abcd")
    for data in (a, b, c):
        store.put(data)
        clock.advance(1)
    assert store.get(sha_a) == a  # a is used again: b is now the oldest
    clock.advance(1)
    store.put(d)
    assert sha_b not in store
    assert all(sha in store for sha in (sha_a, sha_c, sha_d))


def test_a_full_store_keeps_what_is_in_use(tmp_path: Path) -> None:
    clock = Clock()
    store = AvatarStore(tmp_path, limit=3_500, clock=clock)
    blobs = [_blob(t) for t in "abcd"]
    for data, _ in blobs[:3]:
        store.put(data)
        clock.advance(1)
    (_, sha_a), (_, sha_b), (_, sha_c), (d, sha_d) = blobs
    store.put(d, keep={sha_a, sha_b})
    assert [sha in store for sha in (sha_a, sha_b, sha_c, sha_d)] == [True, True, False, True]


def test_a_trim_goes_below_the_limit_to_spare_rescans(tmp_path: Path) -> None:
    clock = Clock()
    store = AvatarStore(tmp_path, limit=10_000, clock=clock)
    for tag in "abcdefghijk":
        store.put(_blob(tag)[0])
        clock.advance(1)
    stored = sum(path.stat().st_size for path in tmp_path.glob("*.png"))
    assert stored <= 10_000 * TRIM_TARGET
    assert len(list(tmp_path.glob("*.png"))) == 9


def test_the_store_counts_what_is_already_on_disk(tmp_path: Path) -> None:
    clock = Clock()
    first = AvatarStore(tmp_path, clock=clock)
    (a, sha_a), (b, sha_b), (c, sha_c) = (_blob(t, 2_000) for t in "abc")
    first.put(a)
    clock.advance(1)
    first.put(b)
    clock.advance(1)
    AvatarStore(tmp_path, limit=5_000, clock=clock).put(c)
    assert [sha in first for sha in (sha_a, sha_b, sha_c)] == [False, True, True]


def test_a_store_without_a_limit_keeps_everything(tmp_path: Path) -> None:
    store = AvatarStore(tmp_path)
    hashes = [store.put(_blob(tag, 100_000)[0]) for tag in "abcdefgh"]
    assert all(sha in store for sha in hashes)


# -- end to end: flood control -----------------------------------------------------------------


def _notices(client: Client) -> list[Frame]:
    return client.inbox.all(matching("notice"))


def test_lines_over_the_burst_are_refused_with_their_ref_and_go_nowhere(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    server = make_server(rate_burst=3, rate_per_second=0.001, rate_abuse_limit=0)
    alice, bob = join("alice", server), join("bob", server)
    for number in range(3):
        alice.conn.say(f"ok {number}", ref=f"r{number}")
    alice.conn.say("one too many", ref="r3")
    alice.conn.say("admin -h", ref="r4")
    alice.conn.command("admin -h")
    refused = alice.inbox.wait_for(matching("notice", ref="r3"))
    assert refused["level"] == "error"
    assert refused["text"] == "Slow down: at most 3 lines at once and 0.001 per second."
    assert alice.inbox.wait_for(matching("notice", ref="r4"))["text"] == refused["text"]
    unreffed = alice.inbox.wait_for(lambda f: f.get("type") == "notice" and "ref" not in f)
    assert unreffed["text"] == refused["text"], "commands share the allowance"

    bob.say_and_wait("marker")  # alice's refused lines were handled before this
    assert [m["text"] for m in bob.inbox.all(matching("message"))] == [
        "ok 0", "ok 1", "ok 2", "marker"]
    assert all(notice["level"] == "error" for notice in _notices(alice)), "admin -h never ran"


def _raw_session(server: Server, name: str) -> tuple[RawChannel, RawChannel, RawChannel]:
    """Join on bare sockets: recv, send and image, attached."""
    recv = RawChannel(server.ports.recv)
    recv.send({"type": "hello", "version": 1, "name": name})
    token = recv.read_frame()["session"]
    channels = []
    for port in (server.ports.send, server.ports.image):
        channel = RawChannel(port)
        channel.send({"type": "attach", "session": token})
        assert channel.read_frame()["type"] == "attached"
        channels.append(channel)
    return recv, channels[0], channels[1]


def _answer(recv: RawChannel, ref: str) -> Frame:
    """The message or notice that answers the say with ``ref``."""
    return recv.read_until(lambda f: f.get("type") in ("message", "notice") and f.get("ref") == ref)


def test_the_allowance_refills_over_time(make_server: ServerFactory) -> None:
    server = make_server(rate_burst=1, rate_per_second=20.0, rate_abuse_limit=0)
    recv, send, _image = _raw_session(server, "alice")
    both = [{"type": "say", "text": "first", "ref": "a"}, {"type": "say", "text": "x", "ref": "b"}]
    send.send_raw(b"".join(encode(frame) for frame in both))  # one read: no time between
    assert _answer(recv, "a")["type"] == "message"
    assert _answer(recv, "b")["type"] == "notice"
    deadline = time.monotonic() + WAIT
    attempt = 0
    while True:  # refused until 1/20 s has passed, then let through
        attempt += 1
        send.send({"type": "say", "text": "again", "ref": f"c{attempt}"})
        if _answer(recv, f"c{attempt}")["type"] == "message":
            break
        assert time.monotonic() < deadline, "the bucket never refilled"


def test_persistent_flooding_ends_the_session_as_kicked(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    server = make_server(rate_burst=1, rate_per_second=0.001, rate_abuse_limit=3)
    alice, bob = join("alice", server), join("bob", server)
    for number in range(4):
        alice.conn.say(f"flood {number}")
    assert bob.inbox.wait_for(matching("leave", name="alice"))["reason"] == "kicked"
    alice.inbox.wait_closed()
    texts = [notice["text"] for notice in _notices(alice)]
    assert texts[-1] == "Disconnected for flooding: 3 lines refused within a minute."
    assert len(texts) == 4, texts
    assert [m["text"] for m in bob.inbox.all(matching("message"))] == ["flood 0"]


# -- end to end: set-up deadlines --------------------------------------------------------------


@pytest.mark.parametrize("channel", ["recv", "send", "image"])
def test_a_connection_that_never_sets_up_is_closed(
    make_server: ServerFactory, channel: str
) -> None:
    server = make_server(setup_timeout=0.2)
    silent = RawChannel(getattr(server.ports, channel))
    assert silent.closed_by_server()


def test_a_session_that_never_attaches_send_and_image_expires(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    server = make_server(setup_timeout=0.2)
    alice = join("alice", server)
    half = RawChannel(server.ports.recv)
    half.send({"type": "hello", "version": 1, "name": "half"})
    assert half.read_frame()["type"] == "welcome"
    assert alice.inbox.wait_for(matching("leave", name="half"))["reason"] == "timeout"
    notice = half.read_until(matching("notice"))
    assert notice["text"] == "Disconnected: no send and image channels attached within 0.2 s."
    assert half.closed_by_server()
    assert alice.say_and_wait("attached in time")["text"] == "attached in time"


# -- end to end: connection limits -------------------------------------------------------------


def _hang_up(channel: RawChannel) -> None:
    """Close our side and wait until the server has closed its side too."""
    channel.sock.shutdown(socket.SHUT_WR)
    assert channel.closed_by_server()
    channel.close()


@pytest.mark.parametrize(
    ("limits", "text"),
    [
        ({"max_per_address": 2, "max_connections": 0},
         "too many connections from your address (at most 2); try later"),
        ({"max_per_address": 0, "max_connections": 2},
         "the server is full (2 connections); try again later"),
    ],
)
def test_connections_over_a_limit_get_server_full_until_one_closes(
    make_server: ServerFactory, limits: dict[str, int], text: str
) -> None:
    server = make_server(**limits)
    first, second = RawChannel(server.ports.recv), RawChannel(server.ports.recv)
    extra = RawChannel(server.ports.recv)  # one listener accepts in order: this is the third
    refusal = extra.read_frame()
    assert (refusal["type"], refusal["code"], refusal["text"]) == ("error", "server_full", text)
    _hang_up(extra)
    _hang_up(first)
    again = RawChannel(server.ports.recv)
    again.send({"type": "hello", "version": 1, "name": "alice"})
    assert again.read_frame()["type"] == "welcome"
    second.close()


# -- end to end: password throttling -----------------------------------------------------------


def _hello(server: Server, name: str, source: str | None = None, **fields: object) -> Frame:
    raw = RawChannel(server.ports.recv, source)
    raw.send({"type": "hello", "version": 1, "name": name, **fields})
    return raw.read_frame()


WRONG = "this server needs the right join password"


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """No doubling wait between wrong passwords, so a test reaches a lockout in a few
    tries instead of waiting 1 + 2 + 4 + 8 s (the lockouts themselves are unchanged)."""
    monkeypatch.setattr(limits, "BACKOFF_BASE", 0.0)


def test_a_wrong_join_password_makes_the_next_hello_wait_unchecked(
    make_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server = make_server(password="sesame", auth_max_failures=5, auth_lockout=60.0)
    wrong = _hello(server, "mallory", password="guess")
    assert (wrong["code"], wrong["text"]) == ("bad_password", WRONG)
    right = _hello(server, "Mallory", password="sesame")
    assert right["code"] == "bad_password"
    assert right["text"] == ("too many wrong passwords for 'Mallory' from your address; try "
                             "again in 1 s (the password was not checked)")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "wrong join password from mallory (127.0.0.1)" in warnings


@pytest.mark.usefixtures("no_backoff")
def test_one_user_mistyping_does_not_lock_out_another_on_the_same_address(
    make_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 11: on a shared machine everyone comes from 127.0.0.1; bob's typos lock out
    bob (in any spelling), and alice with the right password joins at once."""
    server = make_server(password="sesame", auth_max_failures=5, auth_lockout=600.0)
    for _ in range(5):
        assert _hello(server, "bob", password="sesam")["text"] == WRONG
    assert _hello(server, "alice", password="sesame")["type"] == "welcome"
    for spelling in ("bob", "BOB"):
        assert _hello(server, spelling, password="sesame")["text"] == (
            f"too many wrong passwords for {spelling!r} from your address; try again in "
            "600 s (the password was not checked)")
    assert _hello(server, "bob", ELSEWHERE, password="sesame")["type"] == "welcome"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert ("too many wrong passwords for bob from 127.0.0.1: its passwords from there are "
            "refused for 600 s") in warnings


def test_guessing_across_names_locks_the_address_at_its_ceiling(
    make_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A guesser who changes name at each try still meets the per-address ceiling, and
    then every name from that address waits; other addresses do not."""
    server = make_server(password="sesame", auth_max_failures=2, auth_lockout=600.0)
    ceiling = 2 * ADDRESS_FACTOR
    for number in range(ceiling):
        assert _hello(server, f"guess{number}", password=f"try{number}")["text"] == WRONG
    refused = _hello(server, "alice", password="sesame")
    assert (refused["code"], refused["text"]) == (
        "bad_password", "too many wrong passwords from your address, under any name; try "
        "again in 600 s (the password was not checked)")
    assert _hello(server, "alice", ELSEWHERE, password="sesame")["type"] == "welcome"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (f"too many wrong passwords from 127.0.0.1 under any names ({ceiling}, the last as "
            f"guess{ceiling - 1}): every name's passwords from there are refused for 600 s"
            ) in warnings


def test_the_right_join_password_works_once_the_wait_is_over(
    make_server: ServerFactory,
) -> None:
    server = make_server(password="sesame", auth_max_failures=5, auth_lockout=0.05)
    assert _hello(server, "mallory", password="guess")["code"] == "bad_password"
    deadline = time.monotonic() + WAIT
    while (frame := _hello(server, "mallory", password="sesame"))["type"] != "welcome":
        assert "try again" in frame["text"], frame
        assert time.monotonic() < deadline, "the name stayed throttled"


def _reply(client: Client, line: str) -> str:
    """Send a command and return the text of the notice it produced."""
    before = len(_notices(client))
    client.conn.command(line)
    return str(client.inbox.wait_for(matching("notice"), count=before + 1)["text"])


def test_admin_login_guesses_wait_between_tries(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    server = make_server(auth_max_failures=5, auth_lockout=60.0)
    alice = join("alice", server)
    assert _reply(alice, "admin -a guess") == "Wrong admin password."
    assert _reply(alice, f"admin -a {ADMIN_PASSWORD}") == (
        "Too many wrong passwords for 'alice' from your address; try again in 1 s")
    assert "needs admin rights" in _reply(alice, "admin -s")


@pytest.mark.usefixtures("no_backoff")
def test_admin_login_guesses_lock_out_that_name_only(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    """``admin -a`` counts against the session's name at its address: mallory's guesses
    leave alice, on the same machine, free to become admin."""
    server = make_server(auth_max_failures=3, auth_lockout=60.0)
    mallory, alice = join("mallory", server), join("alice", server)
    for _ in range(3):
        assert _reply(mallory, "admin -a guess") == "Wrong admin password."
    assert _reply(alice, f"admin -a {ADMIN_PASSWORD}").startswith("You are now an admin.")
    assert _reply(mallory, f"admin -a {ADMIN_PASSWORD}") == (
        "Too many wrong passwords for 'mallory' from your address; try again in 60 s")
    mallory.conn.close()
    alice.inbox.wait_for(matching("leave", name="mallory"))
    again = join("mallory", server, admin_password=ADMIN_PASSWORD)
    assert again.conn.welcome["admin"] is False
    assert again.inbox.wait_for(matching("notice"))["text"] == (
        "Too many wrong passwords for 'mallory' from your address; try again in 60 s: you "
        "joined without admin rights.")


@pytest.mark.usefixtures("no_backoff")
def test_a_lockout_covers_hello_and_admin_login_for_that_name(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    """Join and admin passwords share one count per name: a wrong join password and a
    wrong admin password in ``hello`` lock bob out of ``admin -a`` and of joining again
    (the right join password in between cleared nothing); carol is not touched."""
    server = make_server(password="sesame", auth_max_failures=2, auth_lockout=60.0)
    assert _hello(server, "bob", password="guess")["text"] == WRONG
    bob = join("bob", server, password="sesame", admin_password="guess")
    assert bob.conn.welcome["admin"] is False
    assert bob.inbox.wait_for(matching("notice"))["text"] == (
        "Wrong admin password: you joined without admin rights.")
    assert _reply(bob, f"admin -a {ADMIN_PASSWORD}") == (
        "Too many wrong passwords for 'bob' from your address; try again in 60 s")
    bob.conn.close()
    assert _hello(server, "bob", password="sesame")["text"] == (
        "too many wrong passwords for 'bob' from your address; try again in 60 s (the "
        "password was not checked)")
    carol = join("carol", server, password="sesame", admin_password=ADMIN_PASSWORD)
    assert carol.conn.welcome["admin"] is True


def test_admin_actions_are_logged_with_who_and_where(
    join: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tuichat.server")
    root = join("root", admin_password=ADMIN_PASSWORD)
    assert _reply(root, "admin -s").startswith("History saved as")
    assert any(r.getMessage().startswith("admin -s by root (127.0.0.1:") for r in caplog.records)


# -- end to end: the avatar store --------------------------------------------------------------


def _noisy_png(seed: int, side: int = 48) -> bytes:
    pixels = random.Random(seed).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_full_avatar_store_keeps_console_and_present_users(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    pictures = [_noisy_png(seed) for seed in range(4)]
    size = max(len(picture) for picture in pictures)
    console_size = len(console_avatar())
    limit = int((console_size + 3 * size) / TRIM_TARGET) + 1
    assert console_size + 4 * size > limit, "the fourth upload must overflow the store"
    server = make_server(avatar_store_limit=limit)
    bob = join("bob", server)
    gone = bob.conn.upload_avatar(pictures[0]).result(WAIT)
    bob.conn.bye()
    alice = join("alice", server)
    kept = alice.conn.upload_avatar(pictures[1]).result(WAIT)
    carol = join("carol", server)
    carol.conn.upload_avatar(pictures[2]).result(WAIT)
    carol.conn.upload_avatar(pictures[3]).result(WAIT)
    assert carol.conn.get_avatar(kept).result(WAIT) == pictures[1]
    console = carol.conn.welcome["console_avatar"]
    assert hashlib.sha256(carol.conn.get_avatar(console).result(WAIT)).hexdigest() == console
    with pytest.raises(NotFound):
        carol.conn.get_avatar(gone).result(WAIT)
