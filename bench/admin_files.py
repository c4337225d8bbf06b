"""What an admin's file command costs everyone else: a user's round trip (``say`` to its
own echo) in a quiet room, then while ``admin -s`` saves a big history.

The history is written straight into a fresh data directory, then a real server process
serves it; a probe client times round trips until the admin's "History saved" notice.

Run: ``.venv/bin/python bench/admin_files.py [--messages N] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for ``tests``

from rich.console import Console
from rich.table import Table

from tests.faultkit import ADMIN_PASSWORD, Latency, Probe, ServerProcess
from tuichat.net.client import Connection
from tuichat.net.frames import Channel, Frame
from tuichat.server.history import History

QUIET_SAMPLES = 200


def seed_history(data_dir: Path, count: int) -> None:
    """``count`` ordinary chat lines in the data directory's history."""
    history = History(data_dir / "history.sqlite3")
    for number in range(count):
        sender = ("alice", "bob", "carol")[number % 3]
        history.append(sender, f"message {number}: some ordinary chat text of a usual length",
                       None, commit=False)
    history.close()


class SaveWatch:
    """The admin's connection, noting when the save's answer arrives."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.answer = ""

    def on_frame(self, _channel: Channel, frame: Frame, _payload: bytes | None) -> None:
        text = str(frame.get("text", ""))
        if frame.get("type") == "notice" and ("save" in text or frame.get("level") == "error"):
            self.answer = text
            self.done.set()


def measure(count: int, data_dir: Path) -> dict[str, object]:
    """Quiet round trips, then round trips while ``admin -s`` runs, and the save's time."""
    seed_history(data_dir, count)
    server = ServerProcess(data_dir, "--rate-burst", "0", "--max-per-address", "0")
    server.start()
    try:
        ports = server.ports
        probe = Probe(ports)
        quiet = probe.sample(QUIET_SAMPLES)
        watch = SaveWatch()
        admin = Connection.open(
            "127.0.0.1", "root", port_send=ports.send, port_recv=ports.recv,
            port_image=ports.image, timeout=60, on_frame=watch.on_frame,
            on_close=lambda _reason: None, admin_password=ADMIN_PASSWORD,
        )
        started = time.perf_counter()
        admin.command("admin -s")
        during: list[float] = []
        while not watch.done.is_set() and time.perf_counter() - started < 120:
            during.append(probe.round_trip())
        seconds = time.perf_counter() - started
        if not watch.answer.startswith("History saved"):
            raise SystemExit(f"admin -s did not save: {watch.answer or 'no answer'}")
        admin.close()
        probe.conn.close()
    finally:
        server.stop()
    return {"messages": count, "save_seconds": round(seconds, 2), "answer": watch.answer,
            "quiet": Latency(tuple(quiet.samples)), "during_save": Latency(tuple(during))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000, help="history size")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tuichat-admin-") as scratch:
        figures = measure(args.messages, Path(scratch))
    table = Table(title=f"A user's round trip while admin -s saves {args.messages:,} messages",
                  caption=f"save answered after {figures['save_seconds']} s: "
                          f"{figures['answer']}")
    for column in ("phase", "round trips", "p50 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for phase in ("quiet", "during_save"):
        latency = figures[phase]
        assert isinstance(latency, Latency)
        row = latency.row()
        table.add_row(phase.replace("_", " "), f"{row['n']:,}", f"{row['p50_ms']:.2f}",
                      f"{row['p99_ms']:.2f}", f"{row['max_ms']:.2f}")
    Console().print(table)
    if args.json:
        plain = {key: value.row() if isinstance(value, Latency) else value
                 for key, value in figures.items()}
        args.json.write_text(json.dumps(plain, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
