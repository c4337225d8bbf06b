"""What an admin's file commands cost everyone else: a user's round trip (``say`` to its
own echo) in a quiet room, then while ``admin -s`` saves a big history, ``admin -l``
loads that save back, and ``admin -c`` clears it (each writes a backup first).

The history is written straight into a fresh data directory, then a real server process
serves it; a probe client times round trips until the admin's answer arrives.

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
from tuichat.server.store.history import History

QUIET_SAMPLES = 200
ANSWERS = {"-s": "History saved as", "-l": "Loaded", "-c": "Cleared"}
"""How the answer to each command starts when it worked."""
LONGEST = 120.0
"""Seconds to wait for an answer before giving up."""


def seed_history(data_dir: Path, count: int) -> None:
    """``count`` ordinary chat lines in the data directory's history."""
    history = History(data_dir / "history.sqlite3")
    for number in range(count):
        sender = ("alice", "bob", "carol")[number % 3]
        history.append(sender, f"message {number}: some ordinary chat text of a usual length",
                       None, commit=False)
    history.close()


class Answers:
    """The admin's connection: the notices it gets, one at a time."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.text = ""

    def on_frame(self, _channel: Channel, frame: Frame, _payload: bytes | None) -> None:
        if frame.get("type") == "notice":
            self.text = str(frame.get("text", ""))
            self.arrived.set()


def timed(probe: Probe, admin: Connection, answers: Answers, line: str) -> dict[str, object]:
    """Run ``line``; the probe's round trips until its answer, and the seconds it took."""
    answers.arrived.clear()
    started = time.perf_counter()
    admin.command(line)
    during: list[float] = []
    while not answers.arrived.is_set() and time.perf_counter() - started < LONGEST:
        during.append(probe.round_trip())
    seconds = time.perf_counter() - started
    if not answers.text.startswith(ANSWERS[line.split()[1]]):
        raise SystemExit(f"{line} failed: {answers.text or 'no answer'}")
    return {"seconds": round(seconds, 2), "answer": answers.text,
            "latency": Latency(tuple(during))}


def measure(count: int, data_dir: Path) -> dict[str, dict[str, object]]:
    """Quiet round trips, then round trips during each file command."""
    seed_history(data_dir, count)
    server = ServerProcess(data_dir, "--rate-burst", "0", "--max-per-address", "0")
    server.start()
    try:
        ports = server.ports
        probe = Probe(ports)
        figures: dict[str, dict[str, object]] = {
            "quiet": {"seconds": 0.0, "answer": "", "latency": probe.sample(QUIET_SAMPLES)}}
        answers = Answers()
        admin = Connection.open(
            "127.0.0.1", "root", port_send=ports.send, port_recv=ports.recv,
            port_image=ports.image, timeout=60, on_frame=answers.on_frame,
            on_close=lambda _reason: None, admin_password=ADMIN_PASSWORD,
        )
        figures["admin -s"] = timed(probe, admin, answers, "admin -s")
        saved = str(figures["admin -s"]["answer"]).split("saved as ")[1].split(" ")[0]
        figures["admin -l"] = timed(probe, admin, answers, f"admin -l {saved}")
        figures["admin -c"] = timed(probe, admin, answers, "admin -c")
        admin.close()
        probe.conn.close()
    finally:
        server.stop()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000, help="history size")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tuichat-admin-") as scratch:
        figures = measure(args.messages, Path(scratch))
    table = Table(title=f"A user's round trip (ms) while an admin works on a history of "
                        f"{args.messages:,} messages")
    for column in ("during", "answer after s", "round trips", "p50", "p99", "max"):
        table.add_column(column, justify="left" if column == "during" else "right")
    for phase, figure in figures.items():
        latency = figure["latency"]
        assert isinstance(latency, Latency)
        row = latency.row()
        table.add_row(phase, f"{figure['seconds']}" if phase != "quiet" else "",
                      f"{row['n']:,}", f"{row['p50_ms']:.2f}", f"{row['p99_ms']:.2f}",
                      f"{row['max_ms']:.2f}")
    Console().print(table)
    if args.json:
        plain = {phase: {**figure, "latency": figure["latency"].row()}  # type: ignore[attr-defined]
                 for phase, figure in figures.items()}
        args.json.write_text(json.dumps(plain, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
