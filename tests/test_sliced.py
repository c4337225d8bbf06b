"""``admin -l`` and ``admin -c`` work on the history a slice per loop pass (issue 12: a
16 MiB save froze the room for 2.7 s while it was stored)."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD, WAIT, Client, ClientFactory, ServerFactory, matching
from tuichat.net.frames import Frame, Message
from tuichat.server.config import ServerConfig
from tuichat.server.store.history import History, read_up_to
from tuichat.server.store.room_stores import RoomStores
from tuichat.server.store.saves import SaveDir, SavedMessage
from tuichat.server.store.sliced import (
    SLICE_CHARS,
    SLICE_ROWS,
    SlicedClear,
    SlicedLoad,
    _slice_end,
)


def _entries(count: int, chars: int) -> list[SavedMessage]:
    return [SavedMessage(float(number), "bob", "x" * chars) for number in range(count)]


def test_a_slice_is_bounded_by_rows_and_by_characters() -> None:
    short = _entries(SLICE_ROWS * 2 + 5, 10)
    assert _slice_end(short, 0) == SLICE_ROWS
    assert _slice_end(short, 2 * SLICE_ROWS) == len(short)
    long = _entries(10, SLICE_CHARS // 3 + 1)
    assert _slice_end(long, 0) == 3
    assert _slice_end(_entries(2, SLICE_CHARS * 2), 0) == 1, "at least one row"


def _count_echoes_while(root: Client, command: str, done: str, saves: Path,
                        backup: str) -> tuple[int, Frame]:
    """Run ``command``, saying line after line until its ``done`` notice; how many lines
    were echoed after its ``backup`` was written (the worker's part is over) but before
    the notice, and the notice."""

    def finished(frame: Frame) -> bool:
        return frame.get("type") == "notice" and str(frame.get("text")).startswith(done)

    root.conn.command(command)
    backed_up, meanwhile, number = False, 0, 0
    deadline = time.monotonic() + 6 * WAIT
    while not root.inbox.all(finished):
        assert time.monotonic() < deadline, root.inbox.all(matching("notice"))
        backed_up = backed_up or any(file.stat().st_size  # written, not just claimed
                                     for file in saves.glob(f"*-before-{backup}.txt"))
        number += 1
        root.inbox.wait_for(matching("message", ref=root.conn.say(f"line {number}")))
        if backed_up and not root.inbox.all(finished):
            meanwhile += 1
    return meanwhile, root.inbox.wait_for(finished)


def test_the_room_talks_while_a_big_save_is_stored(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    """Once the file is read (its backup written), lines said one after another keep being
    echoed before the load is done: the messages are stored over many loop passes (about
    50 lines got through here), not in one (none did)."""
    server = make_server()
    saves = server.config.saves_dir
    saves.mkdir(parents=True, exist_ok=True)
    lines = [f"[2026-11-25 13:39:01] bob: line {number} of a big save, ordinary chat text"
             for number in range(200_000)]
    (saves / "big.txt").write_text("# tuichat history\n" + "\n".join(lines) + "\n")
    root = join("root", server, admin_password=ADMIN_PASSWORD)

    while_storing, notice = _count_echoes_while(root, "admin -l big.txt", "Loaded", saves,
                                                "load")
    assert while_storing >= 10, f"{while_storing} lines echoed while the save was stored"
    assert str(notice["text"]).startswith("Loaded big.txt (200,000 messages)")
    texts = [m["text"] for m in join("late", server).conn.welcome["history"]]
    said = [text for text in texts if not text.endswith("ordinary chat text")]
    last = int(said[-1].split()[1])
    assert texts[len(texts) - len(said):] == [  # the lines said come after the save's, in order
        f"line {number}" for number in range(last - len(said) + 1, last + 1)]
    if len(said) < len(texts):  # the replay reaches back into the save: all said lines are in
        assert said[0] == "line 1" and texts[-len(said) - 1] == lines[-1].split(": ", 1)[1]


def test_the_room_talks_while_a_long_history_is_cleared(
    make_server: ServerFactory, join: ClientFactory, tmp_path: Path
) -> None:
    """``admin -c`` deletes a slice per loop pass, the oldest first (issue 12's sibling of
    the load: deleting 200,000 messages at once held the loop too)."""
    data_dir = tmp_path / "long"
    history = History(ServerConfig(data_dir=data_dir).history_path)
    for number in range(200_000):
        history.append("bob", f"old line {number}", None, commit=False)
    history.close()
    server = make_server(data_dir=data_dir)
    root = join("root", server, admin_password=ADMIN_PASSWORD)
    meanwhile, notice = _count_echoes_while(root, "admin -c", "Cleared",
                                            server.config.saves_dir, "clear")
    assert meanwhile >= 10, f"{meanwhile} lines echoed while the history was cleared"
    assert str(notice["text"]).startswith("Cleared 199,990 messages, kept the last 10.")
    uri = f"file:{server.config.history_path}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        texts = [row[0] for row in db.execute("SELECT text FROM messages ORDER BY seq")]
    assert texts[:10] == [f"old line {number}" for number in range(199_990, 200_000)]
    assert texts[10:] == [f"line {number}" for number in range(1, len(texts) - 9)]


# -- two rooms open at once (issue 13): a load or a clear stays in its room ----------------


class Passes:
    """A stand-in for the reactor's later passes: what is scheduled runs on ``run``, and
    ``between`` runs before each pass (the room talking meanwhile)."""

    def __init__(self, between: Callable[[], object]) -> None:
        self._queue: deque[Callable[[], object]] = deque()
        self._between = between
        self.count = 0

    def schedule(self, work: Callable[[], object]) -> None:
        """Run ``work`` on a later pass."""
        self._queue.append(work)

    def run(self) -> None:
        """Run the passes until nothing more is scheduled."""
        while self._queue:
            self._between()
            self.count += 1
            self._queue.popleft()()


def _unexpected(exc: sqlite3.Error) -> None:
    """The ``failed`` of a load or clear that must not fail."""
    raise AssertionError(f"failed: {exc}")


def _rows(history: History) -> list[tuple[int, str]]:
    """Seq and text of every stored message, oldest first."""
    return [(message.seq, message.text) for message in history.all()]


@pytest.fixture
def rooms(tmp_path: Path) -> Iterator[RoomStores]:
    stores = RoomStores.from_config(ServerConfig(data_dir=tmp_path / "data"))
    yield stores
    stores.close()


def test_a_load_in_one_room_never_touches_anothers_rows_or_seqs(rooms: RoomStores) -> None:
    lobby, dev = rooms.open("#lobby"), rooms.open("#dev")
    for number in range(3):
        lobby.append("alice", f"lobby {number}", None)
        dev.append("bob", f"dev {number}", None)
    lobby_epoch, dev_epoch = lobby.epoch, dev.epoch
    said: list[str] = []

    def talk() -> None:  # both rooms go on while #dev's load is staged and swapped
        said.append(f"pass {len(said)}")
        lobby.append("alice", said[-1], None, commit=False)
        dev.append("bob", said[-1], None, commit=False)
        rooms.commit()

    entries = _entries(SLICE_ROWS * 2 + 10, 5)
    passes = Passes(talk)
    results: list[list[Message]] = []
    SlicedLoad(dev, passes.schedule, entries, dev.last_seq, results.append,
               _unexpected).start()
    passes.run()
    assert passes.count >= 3, "staged over several passes"
    assert [m.text for m in results[0]] == said[:len(results[0])], "said meanwhile, kept"
    assert _rows(lobby) == [(n + 1, f"lobby {n}") for n in range(3)] + [
        (n + 4, text) for n, text in enumerate(said)]
    assert (lobby.last_seq, lobby.epoch) == (3 + len(said), lobby_epoch)
    dev_rows = _rows(dev)
    assert [seq for seq, _ in dev_rows[:len(entries)]] == list(range(4, 4 + len(entries)))
    assert [seq for seq, _ in dev_rows] == sorted({seq for seq, _ in dev_rows})
    assert dev_rows[-1] == (dev.last_seq, said[-1]) and dev.epoch == dev_epoch
    lobby.append("alice", "after", None)
    assert lobby.last_seq == 4 + len(said), "the lobby's seq goes on gapless"


def test_a_clear_in_one_room_leaves_the_other_whole(rooms: RoomStores) -> None:
    lobby, dev = rooms.open("#lobby"), rooms.open("#dev")
    for number in range(SLICE_ROWS + 5):
        lobby.append("alice", f"lobby {number}", None, commit=False)
        dev.append("bob", f"dev {number}", None, commit=False)
    rooms.commit()
    before = _rows(lobby)
    cleared: list[int] = []
    passes = Passes(lambda: None)
    SlicedClear(dev, passes.schedule, 10, dev.last_seq, cleared.append,
                _unexpected).start()
    passes.run()
    assert cleared == [SLICE_ROWS - 5]
    assert [text for _, text in _rows(dev)] == [
        f"dev {number}" for number in range(SLICE_ROWS - 5, SLICE_ROWS + 5)]
    assert _rows(lobby) == before


def test_a_save_of_one_room_loads_into_another(rooms: RoomStores, tmp_path: Path) -> None:
    dev, lobby = rooms.open("#dev"), rooms.open("#lobby")
    dev.append("bob", "from dev", None, ts=1_000.0)
    saves = SaveDir(tmp_path / "saves")
    name = saves.save(read_up_to(dev.path, dev.last_seq), room="#dev")
    lobby.append("alice", "old lobby", None)
    results: list[list[Message]] = []
    passes = Passes(lambda: None)
    SlicedLoad(lobby, passes.schedule, saves.load(name), lobby.last_seq, results.append,
               _unexpected).start()
    passes.run()
    assert results == [[]]
    assert _rows(lobby) == [(2, "from dev")]
    assert _rows(dev) == [(1, "from dev")]
