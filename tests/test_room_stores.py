"""The rooms' histories (``store/room_stores.py``): one SQLite file per room, each with its
own seq and epoch, listed from the directory, forgotten with all its files."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tuichat.server.config import ServerConfig
from tuichat.server.store.history import History
from tuichat.server.store.room_stores import RoomStores

LOBBY, DEV, RANDOM = "#lobby", "#dev", "#random"


def stores_of(data_dir: Path) -> RoomStores:
    """The stores of a server whose data directory is ``data_dir``."""
    return RoomStores.from_config(ServerConfig(data_dir=data_dir))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def stores(data_dir: Path) -> Iterator[RoomStores]:
    opened = stores_of(data_dir)
    yield opened
    opened.close()


def say(history: History, *texts: str, commit: bool = True) -> list[int]:
    """Append ``texts`` as alice's; their seqs."""
    return [history.append("alice", text, None, commit=commit).seq for text in texts]


def stored_texts(path: Path) -> list[str]:
    """The texts in the database at ``path``, read on a connection of its own (so only
    what is committed)."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [row[0] for row in db.execute("SELECT text FROM messages ORDER BY seq")]
    finally:
        db.close()


# -- where each room is kept ----------------------------------------------------------------


def test_the_default_room_keeps_history_sqlite3_and_others_live_under_rooms(
    stores: RoomStores, data_dir: Path
) -> None:
    assert stores.open(LOBBY).path == data_dir / "history.sqlite3"
    assert stores.open(DEV).path == data_dir / "rooms" / "dev.sqlite3"
    assert (data_dir / "rooms" / "dev.sqlite3").is_file()


def test_a_named_default_room_keeps_history_sqlite3(data_dir: Path) -> None:
    config = ServerConfig(data_dir=data_dir, default_room="#general")
    stores = RoomStores.from_config(config)
    assert stores.open("#general").path == data_dir / "history.sqlite3"
    assert stores.open(LOBBY).path == data_dir / "rooms" / "lobby.sqlite3"
    assert stores.names() == ["#general", LOBBY]
    stores.close()


def test_the_default_rooms_existing_history_stays_its_own(data_dir: Path) -> None:
    """Data from before rooms is the default room's: same messages, seq and epoch."""
    before = History(ServerConfig(data_dir=data_dir).history_path)
    say(before, "old one", "old two")
    epoch = before.epoch
    before.close()
    stores = stores_of(data_dir)
    lobby = stores.open(LOBBY)
    assert [m.text for m in lobby.all()] == ["old one", "old two"]
    assert lobby.epoch == epoch
    assert say(lobby, "new") == [3]
    stores.close()


def test_open_is_cached_and_is_open_tells(stores: RoomStores) -> None:
    assert not stores.is_open(DEV)
    dev = stores.open(DEV)
    assert stores.open(DEV) is dev and stores.is_open(DEV)
    assert dict(stores.opened()) == {DEV: dev}


@pytest.mark.parametrize("name", ["#../x", "dev", "#Dev", "#a/b", "#a b"])
def test_open_refuses_a_name_that_breaks_the_rule(stores: RoomStores, name: str,
                                                  data_dir: Path) -> None:
    with pytest.raises(ValueError, match="not a room name"):
        stores.open(name)
    assert not data_dir.exists() or not any(data_dir.rglob("*.sqlite3"))


def test_a_default_room_that_breaks_the_rule_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a room name"):
        RoomStores(tmp_path / "rooms", tmp_path / "history.sqlite3", "lobby")


# -- seqs and epochs per room ----------------------------------------------------------------


def test_each_room_has_its_own_gapless_seq(stores: RoomStores) -> None:
    lobby, dev = stores.open(LOBBY), stores.open(DEV)
    assert say(lobby, "l1") == [1]
    assert say(dev, "d1", "d2") == [1, 2]
    assert say(lobby, "l2", "l3") == [2, 3]
    assert say(dev, "d3") == [3]
    assert [m.text for m in lobby.all()] == ["l1", "l2", "l3"]
    assert [m.text for m in dev.all()] == ["d1", "d2", "d3"]
    assert lobby.epoch != dev.epoch


def test_reopening_keeps_each_rooms_seq_and_epoch(data_dir: Path) -> None:
    first = stores_of(data_dir)
    say(first.open(LOBBY), "l1")
    say(first.open(DEV), "d1", "d2", "d3")
    epochs = {room: history.epoch for room, history in first.opened()}
    first.close()
    again = stores_of(data_dir)
    assert {room: again.open(room).epoch for room in (LOBBY, DEV)} == epochs
    assert say(again.open(LOBBY), "l2") == [2]
    assert say(again.open(DEV), "d4") == [4]
    again.close()


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_lost_wal_gives_only_its_room_a_new_epoch(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = stores_of(data_dir)
    say(first.open(LOBBY), "l1")
    say(first.open(DEV), "d1")
    epochs = {room: history.epoch for room, history in first.opened()}
    first.close()  # checkpointed: l1 and d1 are in the main files
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from tuichat.server.config import ServerConfig\n"
        "from tuichat.server.store.room_stores import RoomStores\n"
        "stores = RoomStores.from_config(ServerConfig(data_dir=Path(sys.argv[1])))\n"
        "for room in ('#lobby', '#dev'):\n"
        "    for text in ('two', 'three'):\n"
        "        stores.open(room).append('alice', text, None)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, os.fspath(data_dir)], check=False)
    assert result.returncode == -9
    (data_dir / "rooms" / "dev.sqlite3-wal").unlink()  # d2 and d3 lived only there
    with caplog.at_level(logging.WARNING, logger="tuichat.server"):
        again = stores_of(data_dir)
        lobby, dev = again.open(LOBBY), again.open(DEV)
    assert [m.text for m in lobby.all()] == ["l1", "two", "three"]
    assert lobby.epoch == epochs[LOBBY], "the other room's seqs stay good"
    assert [m.text for m in dev.all()] == ["d1"]
    assert dev.epoch != epochs[DEV]
    assert say(dev, "after") == [4], "no seq of the lost tail is handed out again"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "dev.sqlite3 ends at seq 1" in warnings[0], warnings
    again.close()


# -- commit: one call for every room, only the written ones ---------------------------------


def test_commit_makes_every_written_room_durable(stores: RoomStores) -> None:
    lobby, dev, random = (stores.open(room) for room in (LOBBY, DEV, RANDOM))
    say(lobby, "l1", commit=False)
    say(dev, "d1", "d2", commit=False)
    assert stored_texts(lobby.path) == [] and stored_texts(dev.path) == []
    stores.commit()
    assert stored_texts(lobby.path) == ["l1"]
    assert stored_texts(dev.path) == ["d1", "d2"]
    assert stored_texts(random.path) == []
    say(dev, "d3", commit=False)
    stores.commit()
    assert stored_texts(dev.path) == ["d1", "d2", "d3"]


def test_commit_after_a_committed_write_has_nothing_to_do(stores: RoomStores) -> None:
    dev = stores.open(DEV)
    say(dev, "d1", commit=False)
    dev.set_topic("release friday")  # commits the pending append too
    assert stored_texts(dev.path) == ["d1"]
    stores.commit()
    assert stored_texts(dev.path) == ["d1"]


def test_commit_of_a_failing_room_retries_it_next_time(stores: RoomStores) -> None:
    """A commit that fails (the disk is full) keeps the history pending, so the next pass
    commits it: it is not dropped from the set of rooms to commit."""
    dev = stores.open(DEV)
    say(dev, "d1", commit=False)
    failing = True
    commit = dev.commit

    def flaky_commit() -> None:
        if failing:
            raise sqlite3.OperationalError("database or disk is full")
        commit()

    dev.commit = flaky_commit  # type: ignore[method-assign]
    with pytest.raises(sqlite3.OperationalError):
        stores.commit()
    failing = False
    stores.commit()
    assert stored_texts(dev.path) == ["d1"]


# -- names: what exists on disk ----------------------------------------------------------------


def test_names_lists_the_default_room_always_and_every_room_on_disk(data_dir: Path) -> None:
    first = stores_of(data_dir)
    assert first.names() == [LOBBY]
    first.open(RANDOM)
    first.open(DEV)
    assert first.names() == [DEV, LOBBY, RANDOM]
    first.close()
    assert stores_of(data_dir).names() == [DEV, LOBBY, RANDOM], "from the files alone"


def test_names_ignores_and_logs_stray_entries_once(
    stores: RoomStores, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stores.open(DEV)
    rooms = data_dir / "rooms"
    (rooms / "Bad Name.sqlite3").write_bytes(b"")
    (rooms / "Dev.sqlite3").write_bytes(b"")
    (rooms / "-x.sqlite3").write_bytes(b"")
    (rooms / ("y" * 32 + ".sqlite3")).write_bytes(b"")
    (rooms / "x.txt").write_bytes(b"")
    (rooms / "lobby.sqlite3").write_bytes(b"")  # the default room's is history.sqlite3
    (rooms / "a.sqlite3").mkdir()
    (rooms / "link.sqlite3").symlink_to(rooms / "dev.sqlite3")
    with caplog.at_level(logging.WARNING, logger="tuichat.server"):
        assert stores.names() == [DEV, LOBBY]
        assert stores.names() == [DEV, LOBBY]
    logged = sorted(r.getMessage().split()[1] for r in caplog.records)
    assert logged == sorted(["Bad", "Dev.sqlite3", "-x.sqlite3", "y" * 32 + ".sqlite3",
                             "x.txt", "lobby.sqlite3", "a.sqlite3", "link.sqlite3"])


def test_names_skips_the_files_kept_beside_a_database_silently(
    stores: RoomStores, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    say(stores.open(DEV), "d1", commit=False)  # a -wal and a -shm exist while it is open
    assert {path.name for path in (data_dir / "rooms").iterdir()} >= {
        "dev.sqlite3", "dev.sqlite3-wal", "dev.sqlite3-shm", "dev.sqlite3.seq"}
    with caplog.at_level(logging.WARNING, logger="tuichat.server"):
        assert stores.names() == [DEV, LOBBY]
    assert not caplog.records


def test_exists_tells_a_room_on_disk_from_one_never_made(data_dir: Path) -> None:
    first = stores_of(data_dir)
    assert first.exists(LOBBY) and not first.exists(DEV)
    first.open(DEV)
    assert first.exists(DEV)
    first.close()
    again = stores_of(data_dir)
    assert again.exists(DEV) and not again.is_open(DEV) and not again.exists(RANDOM)
    (data_dir / "rooms" / "random.sqlite3").mkdir()
    (data_dir / "rooms" / "x.sqlite3").symlink_to(data_dir / "rooms" / "dev.sqlite3")
    assert not again.exists(RANDOM) and not again.exists("#x"), "as names() sees them"
    again.forget(DEV)
    assert not again.exists(DEV)


def test_names_without_a_rooms_directory_is_the_default_room(tmp_path: Path) -> None:
    stores = RoomStores(tmp_path / "nowhere", tmp_path / "history.sqlite3", "#main")
    assert stores.names() == ["#main"]


# -- forget ----------------------------------------------------------------------------------


def test_forget_closes_and_removes_every_file_of_the_room(stores: RoomStores,
                                                          data_dir: Path) -> None:
    say(stores.open(DEV), "d1", commit=False)
    say(stores.open(RANDOM), "r1")
    stores.forget(DEV)
    rooms = data_dir / "rooms"
    assert sorted(path.name for path in rooms.iterdir()) == [
        "random.sqlite3", "random.sqlite3-shm", "random.sqlite3-wal", "random.sqlite3.seq"]
    assert not stores.is_open(DEV) and stores.names() == [LOBBY, RANDOM]
    stores.commit()  # the forgotten room is closed: it is no longer among those to commit
    fresh = stores.open(DEV)
    assert fresh.all() == [] and say(fresh, "again") == [1], "made anew, from seq 1"


def test_forget_of_a_room_not_open_removes_its_files(data_dir: Path) -> None:
    first = stores_of(data_dir)
    first.open(DEV)
    first.close()
    again = stores_of(data_dir)
    again.forget(DEV)
    assert list((data_dir / "rooms").iterdir()) == []
    again.close()


def test_forget_refuses_the_default_room(stores: RoomStores, data_dir: Path) -> None:
    say(stores.open(LOBBY), "l1")
    with pytest.raises(ValueError, match="never forgotten"):
        stores.forget(LOBBY)
    assert stores.is_open(LOBBY) and (data_dir / "history.sqlite3").is_file()
    assert [m.text for m in stores.open(LOBBY).all()] == ["l1"]


def test_forget_refuses_a_name_that_breaks_the_rule(stores: RoomStores,
                                                    data_dir: Path) -> None:
    (data_dir / "victim.sqlite3").parent.mkdir(parents=True)
    (data_dir / "victim.sqlite3").write_bytes(b"keep")
    with pytest.raises(ValueError, match="not a room name"):
        stores.forget("#../victim")
    assert (data_dir / "victim.sqlite3").read_bytes() == b"keep"


# -- what each room keeps besides messages -----------------------------------------------------


def test_each_room_keeps_its_own_topic_and_motd_across_reopen(data_dir: Path) -> None:
    first = stores_of(data_dir)
    dev, lobby = first.open(DEV), first.open(LOBBY)
    assert (dev.topic, dev.motd) == (None, None)
    dev.set_topic("release friday")
    dev.set_motd("be kind\nship often")
    lobby.set_topic("general chat")
    first.close()
    again = stores_of(data_dir)
    dev, lobby = again.open(DEV), again.open(LOBBY)
    assert (dev.topic, dev.motd) == ("release friday", "be kind\nship often")
    assert (lobby.topic, lobby.motd) == ("general chat", None)
    again.close()
