"""The replay a join gets: chosen as before, encoded once (issue 12: a join with
``since=0`` on a full history cost 41 ms of the loop)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import RawChannel, ServerFactory
from tuichat.net.codec import json_length
from tuichat.net.frames import SINCE_HISTORY, Frame, Message
from tuichat.server.app import Server
from tuichat.server.config import ServerConfig
from tuichat.server.core.requests import Resume
from tuichat.server.doors.native.packing import newest_within
from tuichat.server.doors.native.parse import resume
from tuichat.server.doors.native.replay import ReplayCache
from tuichat.server.store.history import History


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    stored = History(tmp_path / "history.db")
    yield stored
    stored.close()


def _fill(history: History, count: int, chars: int = 100) -> None:
    for number in range(count):
        history.append(f"user{number % 3}", f"{number} " + "x" * chars, None, commit=False)
    history.commit()


@settings(max_examples=30, deadline=None)
@given(since=st.one_of(st.none(), st.integers(-2, 60), st.booleans(), st.text(max_size=2)),
       limit=st.integers(0, 3_000))
def test_a_selection_is_what_the_history_and_the_limit_say(
    tmp_path_factory: pytest.TempPathFactory, since: object, limit: int
) -> None:
    history = History(tmp_path_factory.mktemp("h") / "history.db")
    _fill(history, 50)
    replay = ReplayCache(history, limit)
    valid = isinstance(since, int) and not isinstance(since, bool) and 0 <= since <= 50
    if valid:
        assert isinstance(since, int)
        stored, truncated = history.since(since, SINCE_HISTORY)
    else:
        stored, truncated = history.recent(), since is not None
    expected, capped = newest_within([message.to_frame() for message in stored], limit)
    for _ in range(2):  # chosen, then from the cache
        selection = replay.select(resume(since, None))
        assert selection.frames == expected
        assert selection.lengths == [json_length(frame) for frame in expected]
        assert selection.truncated == (truncated or capped)
    history.close()


def test_a_new_message_or_a_deletion_changes_the_selection(history: History) -> None:
    _fill(history, 10)
    replay = ReplayCache(history, 1 << 20)
    assert [frame["seq"] for frame in replay.select(Resume(0)).frames] == list(range(1, 11))
    history.append("alice", "news", None)
    assert replay.select(Resume(0)).frames[-1]["text"] == "news"
    history.keep_last(2)
    assert [frame["seq"] for frame in replay.select(Resume(0)).frames] == [10, 11]


def test_the_cache_keeps_at_most_its_bytes(history: History) -> None:
    _fill(history, 100, chars=1_000)
    replay = ReplayCache(history, 1 << 20, cache_bytes=10_000)
    assert len(replay.select(Resume(0)).messages) == 100
    assert replay.select(Resume()).frames[-1]["seq"] == 100, "still right after eviction"


def test_a_burst_of_joins_builds_each_replayed_message_once(
    make_server: ServerFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten joins with ``since=0`` on 300 messages: each message is made into a frame (and
    encoded) once, not once per join."""
    data_dir = tmp_path / "full"
    stored = History(ServerConfig(data_dir=data_dir).history_path)
    _fill(stored, 300, chars=2_000)
    stored.close()
    server = make_server(data_dir=data_dir)
    built: list[int] = []
    to_frame = Message.to_frame

    def counting(message: Message) -> Frame:
        built.append(message.seq)
        return to_frame(message)

    monkeypatch.setattr(Message, "to_frame", counting)
    for number in range(10):
        raw = RawChannel(server.ports.recv)
        raw.send({"type": "hello", "version": 1, "name": f"joiner{number}", "since": 0})
        welcome = raw.read_frame()
        assert welcome["type"] == "welcome" and welcome["history"][0]["seq"] == 1
        raw.sock.close()
    assert sorted(built) == list(range(1, 301))


def _welcome(server: Server, name: str, **fields: object) -> Frame:
    raw = RawChannel(server.ports.recv)
    try:
        raw.send({"type": "hello", "version": 1, "name": name, **fields})
        return raw.read_frame()
    finally:
        raw.sock.close()


def test_since_counts_only_within_the_epoch_the_welcome_names(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    """Issue 12: seqs mean something only within one history; a ``since`` from another
    (a client that knew another epoch) gets the newest, marked truncated."""
    data_dir = tmp_path / "epoch"
    stored = History(ServerConfig(data_dir=data_dir).history_path)
    _fill(stored, 20)
    epoch = stored.epoch
    stored.close()
    server = make_server(data_dir=data_dir)
    welcome = _welcome(server, "first")
    assert welcome["epoch"] == epoch
    same = _welcome(server, "same", since=15, epoch=epoch)
    assert [m["seq"] for m in same["history"]] == [16, 17, 18, 19, 20]
    assert same["history_truncated"] is False
    unknown = _welcome(server, "old", since=15)  # a client from before epochs
    assert [m["seq"] for m in unknown["history"]] == [16, 17, 18, 19, 20]
    other = _welcome(server, "other", since=15, epoch="0123456789abcdef")
    assert [m["seq"] for m in other["history"]] == list(range(1, 21))
    assert other["history_truncated"] is True


def test_replay_lines_outside_the_default_room_name_their_room(history: History) -> None:
    _fill(history, 3)
    [line] = [message.line for message in ReplayCache(history, 1 << 20, room="#dev")
              .select(Resume(2)).messages]
    assert line.startswith(b'{"type":"message","room":"#dev","seq":3,')
    assert line.endswith(b',"replay":true}\n')
