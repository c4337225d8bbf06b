"""``admin -l`` stores a save a slice per loop pass (issue 12: a 16 MiB save froze the
room for 2.7 s while it was stored)."""

from __future__ import annotations

import time

from tests.conftest import ADMIN_PASSWORD, WAIT, ClientFactory, ServerFactory, matching
from tuichat.net.frames import Frame
from tuichat.server.loading import SLICE_CHARS, SLICE_ROWS, _slice_end
from tuichat.server.saves import SavedMessage


def _entries(count: int, chars: int) -> list[SavedMessage]:
    return [SavedMessage(float(number), "bob", "x" * chars) for number in range(count)]


def test_a_slice_is_bounded_by_rows_and_by_characters() -> None:
    short = _entries(SLICE_ROWS * 2 + 5, 10)
    assert _slice_end(short, 0) == SLICE_ROWS
    assert _slice_end(short, 2 * SLICE_ROWS) == len(short)
    long = _entries(10, SLICE_CHARS // 3 + 1)
    assert _slice_end(long, 0) == 3
    assert _slice_end(_entries(2, SLICE_CHARS * 2), 0) == 1, "at least one row"


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

    def loaded(frame: Frame) -> bool:
        return frame.get("type") == "notice" and str(frame.get("text")).startswith("Loaded")

    root.conn.command("admin -l big.txt")
    read, while_storing, number = False, 0, 0
    deadline = time.monotonic() + 6 * WAIT
    while not root.inbox.all(loaded):
        assert time.monotonic() < deadline, root.inbox.all(matching("notice"))
        read = read or any(backup.stat().st_size  # written: the worker's last step is done
                           for backup in saves.glob("*-before-load.txt"))
        number += 1
        root.inbox.wait_for(matching("message", ref=root.conn.say(f"line {number}")))
        if read and not root.inbox.all(loaded):
            while_storing += 1
    assert while_storing >= 10, f"{while_storing} lines echoed while the save was stored"
    notice = root.inbox.wait_for(loaded)
    assert str(notice["text"]).startswith("Loaded big.txt (200,000 messages)")
    late = join("late", server)
    assert late.conn.welcome["history"][-1]["text"] == f"line {number}"
