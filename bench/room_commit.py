"""What the reactor's one commit before each flush costs with many rooms open.

``RoomStores.commit`` runs before every flush of the server loop. With 100 rooms open and
a message said in one, it should cost that one room's SQLite commit and nothing per idle
room. Timed here: the written room's own commit (the one room of before), the commit with
one room written and with none written, and for scale a loop that asks every open
history to commit (what a commit without the pending set would do).

Run: ``.venv/bin/python bench/room_commit.py [--rooms N] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tuichat.server.config import ServerConfig
from tuichat.server.store.room_stores import RoomStores


def timed(rounds: int, before: Callable[[], object], work: Callable[[], object]
          ) -> list[float]:
    """Microseconds ``work`` took in each of ``rounds`` rounds, ``before`` run untimed
    ahead of each."""
    taken = []
    for _ in range(rounds):
        before()
        start = time.perf_counter_ns()
        work()
        taken.append((time.perf_counter_ns() - start) / 1000)
    return taken


def main() -> None:
    """Open the rooms, time the three ways, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stores = RoomStores.from_config(ServerConfig(data_dir=Path(tmp)))
        histories = [stores.open(f"#room-{number}") for number in range(args.rooms)]
        busy = histories[args.rooms // 2]

        def say() -> None:
            busy.append("alice", "a line of ordinary chat", None, commit=False)

        def every_history() -> None:
            for history in histories:
                history.commit()

        rows = {
            "History.commit of that room alone": timed(args.rounds, say, busy.commit),
            "RoomStores.commit, 1 room written": timed(args.rounds, say, stores.commit),
            "RoomStores.commit, none written": timed(args.rounds, lambda: None,
                                                     stores.commit),
            f"commit() of all {args.rooms}, 1 written": timed(args.rounds, say,
                                                              every_history),
            f"commit() of all {args.rooms}, none written": timed(args.rounds, lambda: None,
                                                                 every_history),
        }
        stores.close()
    table = Table(title=f"{args.rooms} rooms open, {args.rounds:,} rounds each (µs)")
    for column in ("commit", "median", "p99"):
        table.add_column(column, justify="left" if column == "commit" else "right")
    for name, taken in rows.items():
        p99 = statistics.quantiles(taken, n=100)[98]
        table.add_row(name, f"{statistics.median(taken):.1f}", f"{p99:.1f}")
    Console().print(table)


if __name__ == "__main__":
    main()
