"""The SQLite history: durable appends, seq that never repeats, and the read windows."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tuichat.net.frames import Message
from tuichat.server.store.history import History, read_up_to
from tuichat.server.store.saves import SavedMessage

AVATAR = "a" * 64


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
def history(path: Path) -> Iterator[History]:
    opened = History(path)
    yield opened
    opened.close()


def fill(history: History, count: int) -> list[Message]:
    """Append ``count`` messages m1, m2...; return them."""
    return [history.append("alice", f"m{n}", None, ts=float(n)) for n in range(1, count + 1)]


def texts(messages: list[Message]) -> list[str]:
    return [message.text for message in messages]


def test_init_creates_parent_dirs_and_uses_wal(path: Path) -> None:
    History(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_append_returns_the_stored_message(history: History) -> None:
    message = history.append("alice", "hello\nworld", AVATAR, ts=1764028741.123)
    assert message == Message(1, 1764028741.123, "alice", "hello\nworld", AVATAR)
    assert history.all() == [message]


def test_append_keeps_a_missing_avatar_as_none(history: History) -> None:
    history.append("bob", "hi", None)
    assert history.all()[0].avatar is None


def test_append_defaults_ts_to_now(history: History) -> None:
    before = time.time()
    message = history.append("alice", "hello", None)
    assert before <= message.ts <= time.time()
    assert history.all()[0].ts == message.ts


def test_seq_rises_by_one_per_message(history: History) -> None:
    assert [message.seq for message in fill(history, 3)] == [1, 2, 3]
    assert history.last_seq == 3


def test_append_is_committed_before_it_returns(history: History, path: Path) -> None:
    history.append("alice", "hello", None)
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT text FROM messages").fetchall() == [("hello",)]


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_append_survives_kill_9(path: Path) -> None:
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from tuichat.server.store.history import History\n"
        "History(Path(sys.argv[1])).append('alice', 'last words', None)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, os.fspath(path)], check=False)
    assert result.returncode == -9
    reopened = History(path)
    assert texts(reopened.all()) == ["last words"]
    reopened.close()


def test_seq_survives_reopen(path: Path) -> None:
    first = History(path)
    fill(first, 2)
    first.close()
    second = History(path)
    assert second.last_seq == 2
    assert second.append("bob", "again", None).seq == 3
    assert texts(second.all()) == ["m1", "m2", "again"]
    second.close()


def test_last_seq_is_zero_when_empty(history: History) -> None:
    assert history.last_seq == 0


def test_seq_not_reused_after_keep_last(history: History, path: Path) -> None:
    fill(history, 5)
    assert history.keep_last(0) == 5
    assert history.last_seq == 5
    history.close()
    reopened = History(path)
    assert reopened.append("alice", "next", None).seq == 6
    reopened.close()


def test_recent_returns_the_most_recent_oldest_first(history: History) -> None:
    fill(history, 10)
    assert texts(history.recent(3)) == ["m8", "m9", "m10"]


def test_recent_returns_everything_when_there_is_less(history: History) -> None:
    fill(history, 2)
    assert texts(history.recent(200)) == ["m1", "m2"]


def test_recent_zero_is_empty(history: History) -> None:
    fill(history, 2)
    assert history.recent(0) == []


@pytest.mark.parametrize("call", ["recent", "since", "keep_last"])
def test_negative_counts_are_refused(history: History, call: str) -> None:
    fill(history, 2)
    with pytest.raises(ValueError, match="negative"):
        if call == "recent":
            history.recent(-1)
        elif call == "since":
            history.since(0, -1)
        else:
            history.keep_last(-1)
    assert len(history.all()) == 2


def test_since_returns_what_came_after_seq(history: History) -> None:
    fill(history, 5)
    messages, truncated = history.since(3)
    assert [message.seq for message in messages] == [4, 5]
    assert not truncated


def test_since_last_seq_is_empty(history: History) -> None:
    fill(history, 3)
    assert history.since(3) == ([], False)


def test_since_truncates_to_most_recent(history: History) -> None:
    fill(history, 10)
    messages, truncated = history.since(2, limit=3)
    assert texts(messages) == ["m8", "m9", "m10"]
    assert truncated


def test_since_exactly_limit_is_not_truncated(history: History) -> None:
    fill(history, 5)
    messages, truncated = history.since(2, limit=3)
    assert texts(messages) == ["m3", "m4", "m5"]
    assert not truncated


def test_all_returns_everything_oldest_first(history: History) -> None:
    written = fill(history, 4)
    assert history.all() == written


def test_keep_last_deletes_all_but_the_newest(history: History) -> None:
    fill(history, 5)
    assert history.keep_last(2) == 3
    assert texts(history.all()) == ["m4", "m5"]
    assert history.last_seq == 5


def test_keep_last_up_to_a_seq_keeps_everything_after_it(history: History) -> None:
    fill(history, 8)
    assert history.keep_last(2, up_to=5) == 3
    assert texts(history.all()) == ["m4", "m5", "m6", "m7", "m8"]
    assert history.keep_last(2, up_to=1) == 0  # nothing up to seq 1 is left


def test_read_up_to_reads_on_its_own_connection_what_was_committed(
        history: History, path: Path) -> None:
    written = fill(history, 4)
    history.append("alice", "not yet committed", None, commit=False)
    assert read_up_to(path, 3) == written[:3]
    assert read_up_to(path, 99) == written  # the open transaction is not seen
    history.commit()
    assert texts(read_up_to(path, 99))[-1] == "not yet committed"


def test_keep_last_with_fewer_messages_deletes_nothing(history: History) -> None:
    fill(history, 3)
    assert history.keep_last(3) == 0
    assert history.keep_last(10) == 0
    assert len(history.all()) == 3


def test_keep_last_on_empty_history_deletes_nothing(history: History) -> None:
    assert history.keep_last(0) == 0


def load(history: History, entries: list[SavedMessage], up_to: int | None = None,
         slice_rows: int = 1) -> list[Message]:
    """A whole load as the server makes it, slice after slice: ``entries`` replace the
    history up to seq ``up_to`` (default: all of it); the messages said after it."""
    up_to = history.last_seq if up_to is None else up_to
    first = history.begin_load(len(entries))
    for start in range(0, len(entries), slice_rows):
        history.stage(first + start, entries[start:start + slice_rows])
    meanwhile = history.finish_load(up_to)
    while not history.drop_replaced(slice_rows):
        pass
    return meanwhile


def _tables(path: Path) -> tuple[list[str], list[str]]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        tables = [row[0] for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        sequences = [row[0] for row in db.execute("SELECT name FROM sqlite_sequence")]
    return tables, sequences


def test_a_load_gives_new_seqs_after_last_seq_and_leaves_no_table_behind(
    history: History, path: Path
) -> None:
    fill(history, 3)
    entries = [SavedMessage(100.0, "bob", "one"), SavedMessage(200.0, "Console", "two\nlines")]
    assert load(history, entries) == []
    assert history.all() == [
        Message(4, 100.0, "bob", "one", None),
        Message(5, 200.0, "Console", "two\nlines", None),
    ]
    assert history.last_seq == 5
    assert _tables(path) == (["messages", "meta", "sqlite_sequence"], ["messages"])


def test_a_load_keeps_the_lines_said_meanwhile_after_the_entries(history: History) -> None:
    fill(history, 2)
    said = history.append("carol", "said while loading", "ab" * 32, ts=50.0, action=True)
    assert load(history, [SavedMessage(1.0, "bob", "loaded")], up_to=2) == [said]
    assert history.all() == [Message(4, 1.0, "bob", "loaded", None),
                             Message(5, 50.0, "carol", "said while loading", "ab" * 32, True)]


def test_while_a_load_is_staged_the_history_is_the_old_one_and_goes_on(
    history: History,
) -> None:
    """Slices are stored over many loop passes: meanwhile every read sees the old history,
    and a line said between two slices follows the loaded ones, under a seq after theirs."""
    before = fill(history, 2)
    first = history.begin_load(3)
    history.stage(first, [SavedMessage(1.0, "bob", "l0")])
    said = history.append("carol", "between slices", None, ts=60.0)
    assert said.seq == 6, "after the three seqs the load reserved"
    history.stage(first + 1, [SavedMessage(2.0, "bob", "l1"), SavedMessage(3.0, "bob", "l2")])
    assert history.all() == [*before, said]
    assert history.finish_load(2) == [said]
    assert [(m.seq, m.text) for m in history.all()] == [
        (3, "l0"), (4, "l1"), (5, "l2"), (7, "between slices")]


def test_a_load_survives_reopen_and_one_cut_short_leaves_nothing(path: Path) -> None:
    history = History(path)
    fill(history, 2)
    load(history, [SavedMessage(1.0, "bob", "loaded")])
    first = history.begin_load(5)  # then the server stops
    history.stage(first, [SavedMessage(1.0, "bob", "never swapped in")])
    history.close()
    reopened = History(path)
    assert [(m.seq, m.text) for m in reopened.all()] == [(3, "loaded")]
    assert reopened.append("alice", "after", None).seq == 9, "the reserved seqs stay unused"
    reopened.close()
    assert _tables(path)[0] == ["messages", "meta", "sqlite_sequence"]


def test_a_load_of_nothing_empties_but_keeps_seq(history: History) -> None:
    fill(history, 2)
    load(history, [])
    assert history.all() == []
    assert history.append("alice", "x", None).seq == 3


def test_a_failed_slice_leaves_the_history_as_it_was(history: History) -> None:
    before = fill(history, 2)
    unstorable = SavedMessage(2.0, "bob", object())  # type: ignore[arg-type]
    first = history.begin_load(2)
    with pytest.raises(sqlite3.Error):
        history.stage(first, [SavedMessage(1.0, "bob", "fine"), unstorable])
    history.abort_load()
    assert history.all() == before


# -- the epoch, and a database that lost its tail (issue 12) -----------------------------------


def test_a_database_keeps_its_epoch_and_a_new_one_has_another(path: Path, tmp_path: Path
                                                               ) -> None:
    first = History(path)
    epoch = first.epoch
    fill(first, 2)
    first.close()
    again = History(path)
    assert again.epoch == epoch and len(epoch) == 16
    again.close()
    other = History(tmp_path / "other" / "history.sqlite3")
    assert other.epoch != epoch
    other.close()


def test_a_lost_wal_is_warned_about_and_its_seqs_are_not_handed_out_again(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 12: with its -wal file deleted the database opened silently, 3 messages
    short, and gave their seqs to the next ones."""
    first = History(path)
    fill(first, 2)
    epoch = first.epoch
    first.close()  # checkpointed: m1 and m2 are in the main file
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from tuichat.server.store.history import History\n"
        "history = History(Path(sys.argv[1]))\n"
        "for text in ('m3', 'm4', 'm5'):\n"
        "    history.append('alice', text, None)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, os.fspath(path)], check=False)
    assert result.returncode == -9
    path.with_name(path.name + "-wal").unlink()  # m3 to m5 lived only there
    with caplog.at_level(logging.WARNING, logger="tuichat.server"):
        reopened = History(path)
    assert texts(reopened.all()) == ["m1", "m2"]
    assert reopened.epoch != epoch, "clients must not trust their seqs"
    assert reopened.append("bob", "after", None).seq == 6
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("ends at seq 2, but seq 5 was stored before: it lost its tail" in warning
               for warning in warnings), warnings
    reopened.close()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tuichat.server"):
        calm = History(path)
    assert calm.epoch == reopened.epoch and not caplog.records, "warned once, not each start"
    calm.close()


# -- the room's topic and message of the day, kept in meta (issue 13) ------------------------


def _meta(path: Path) -> dict[str, str]:
    """The meta table as committed, read on a connection of its own."""
    with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro",
                                            uri=True)) as db:
        return dict(db.execute("SELECT key, value FROM meta"))


def test_topic_and_motd_are_none_until_set_and_survive_reopen(path: Path) -> None:
    first = History(path)
    assert (first.topic, first.motd) == (None, None)
    first.set_topic("release friday")
    first.set_motd("be kind\nship often")
    first.close()
    again = History(path)
    assert (again.topic, again.motd) == ("release friday", "be kind\nship often")
    again.close()


def test_topic_and_motd_are_committed_at_once_with_pending_appends(history: History,
                                                                   path: Path) -> None:
    history.append("alice", "pending", None, commit=False)
    history.set_topic("release friday")
    assert _meta(path)["topic"] == "release friday"
    assert [m.text for m in read_up_to(path, history.last_seq)] == ["pending"]
    history.set_motd("hello")
    assert _meta(path)["motd"] == "hello"


@pytest.mark.parametrize("cleared", [None, ""])
def test_clearing_the_topic_or_motd_removes_it(path: Path, cleared: str | None) -> None:
    first = History(path)
    epoch = first.epoch
    first.set_topic("old")
    first.set_motd("old")
    first.set_topic(cleared)
    first.set_motd(cleared)
    assert (first.topic, first.motd) == (None, None)
    assert _meta(path) == {"epoch": epoch}, "the epoch stays"
    first.close()
    again = History(path)
    assert (again.topic, again.motd, again.epoch) == (None, None, epoch)
    again.close()


def test_a_load_or_a_clear_keeps_the_topic(history: History) -> None:
    history.set_topic("release friday")
    fill(history, 3)
    load(history, [SavedMessage(1.0, "bob", "loaded")])
    history.keep_last(0)
    assert history.topic == "release friday"


def test_has_messages_tells_whether_any_row_is_stored(history: History) -> None:
    assert not history.has_messages
    fill(history, 2)
    assert history.has_messages
    history.keep_last(0)
    assert not history.has_messages, "a cleared history has none, though its seq stays"
    assert history.last_seq == 2


def test_on_pending_is_told_once_per_open_transaction(path: Path) -> None:
    told: list[History] = []
    history = History(path, on_pending=told.append)
    history.append("alice", "committed", None)
    assert told == []
    history.append("alice", "a", None, commit=False)
    history.append("alice", "b", None, commit=False)
    assert told == [history]
    history.commit()
    history.append("alice", "c", None, commit=False)
    assert told == [history, history]
    history.close()
