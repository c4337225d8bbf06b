"""The fault suite: fuzzing, slow clients, kill -9 and the attacks of issue 12, run
outside pytest, with figures.

Runs the same attacks as ``tests/test_fuzz_server.py``, ``tests/test_slow_clients.py`` and
``tests/test_durability.py`` and prints their tables: fuzz cases per channel, crashes,
tracebacks, messages lost, duplicate seqs, and a well-behaved client's round trip (``say``
to its own echo) in a quiet room and during each attack. The attacks of issue 12
(``tests/attacks``: avatar floods, lockout eviction, look-alike names, pinned queues, a
TLS handshake flood, mass expiry) each run against a fresh server process and make one
table: a row per attack with what it did, the same client's round trips and the server's
memory. Exits 1 when anything failed, an attack's outcome was wrong or a p99 during an
attack reached 50 ms.

Run: ``.venv/bin/python bench/faults.py [--examples N | --long] [--kills N] [--json PATH]
[--only PHASE ...]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for ``tests``

from rich.console import Console
from rich.table import Table

from tests import test_durability, test_fuzz_server, test_slow_clients
from tests.attacks.common import Outcome
from tests.attacks.suite import ATTACKS
from tests.faultkit import Latency, ServerProcess, reactor_alive

LONG_EXAMPLES = 100_000
P99_TARGET_MS = 50.0
"""What a well-behaved client's 99th percentile must stay under during each attack."""

Figures = dict[str, Any]
PHASES = ("fuzzing", "slow_clients", "kills", "attacks")


def run_fuzzing(examples: int, data_dir: Path) -> Figures:
    """Every channel and kind of fuzz case against one in-process server."""
    per_test = test_fuzz_server.examples_per_test(examples)
    failures: list[str] = []
    started = time.monotonic()
    with test_fuzz_server.fuzz_target(data_dir) as fuzzer:
        normal = fuzzer.probe.sample(test_slow_clients.SAMPLES)
        for channel in test_fuzz_server.CHANNELS:
            for kind in test_fuzz_server.KINDS:
                try:
                    test_fuzz_server.run_fuzz(fuzzer, channel, kind, per_test)
                except Exception as exc:  # the falsifying example is printed by Hypothesis
                    first = fuzzer.failures[0] if fuzzer.failures else ""
                    failures.append(f"{channel}/{kind}: {exc}\nfirst failure: {first}")
                    fuzzer.failures.clear()
        crashed = not reactor_alive(fuzzer.server)
        tracebacks = sum(1 for record in fuzzer.watch.problems if record.exc_info)
        errors = len(fuzzer.watch.problems)
        counts = dict(fuzzer.counts)
        during = fuzzer.latency
    return {
        "cases": counts, "seconds": round(time.monotonic() - started, 1),
        "crashes": int(crashed), "tracebacks": tracebacks, "error_records": errors,
        "failures": failures, "latency_normal": normal, "latency_fuzzing": during,
    }


def run_slow_clients(data_dir: Path) -> Figures:
    """Slowloris, then never-readers, against one server process."""
    server = ServerProcess(data_dir, *test_slow_clients.SERVER_FLAGS)
    server.start()
    try:
        normal, slowloris, attack = test_slow_clients.measure_slowloris(server)
        normal_2, never, probe = test_slow_clients.measure_never_readers(server)
    finally:
        crashed = not server.running
        exit_code = server.stop()
    return {
        "slowloris_connections": attack.connections, "slowloris_bytes": attack.bytes_sent,
        "never_readers_cut_off": probe.leaves["error"], "crashes": int(crashed),
        "exit_code": exit_code, "tracebacks": len(server.problems()),
        "latency_normal": Latency(normal.samples + normal_2.samples),
        "latency_slowloris": slowloris, "latency_never_readers": never,
        "bounds_slowloris": test_slow_clients.latency_problem(normal, slowloris) or "ok",
        "bounds_never_readers": test_slow_clients.latency_problem(normal_2, never) or "ok",
    }


def run_kills(kills: int, data_dir: Path, seed: int) -> Figures:
    """Kill -9 and restart while three clients talk; compare with the history file."""
    report = test_durability.run_durability(data_dir, kills, seed)
    figures = report.row()
    del figures["recovery"]  # shown as latency_recovery
    return {**figures, "latency_recovery": report.recovery,
            "lost_examples": report.lost[:5], "duplicate_examples": report.duplicate_seqs[:5]}


def run_attacks(data_dir: Path) -> list[Outcome]:
    """The attacks of issue 12, each against a server process of its own."""
    found = []
    for name, attack in ATTACKS.items():
        Console(stderr=True).print(f"[dim]  {name}...[/]")
        found.append(attack(data_dir / name))
    return found


def attack_failed(outcome: Outcome) -> bool:
    """The server did not hold: a wrong outcome, a crash, a traceback or a slow probe."""
    return (not outcome.held or bool(outcome.crashes) or bool(outcome.tracebacks)
            or not outcome.latency.p99 * 1000 < P99_TARGET_MS)


def show_attacks(outcomes: list[Outcome], command: str) -> None:
    """One row per attack: what it did, the probe's round trips (say -> own echo) during
    it, and the server's RSS before, at the peak and after."""
    table = Table(title="Attacks of issue 12: say -> own echo (ms), server RSS (MB)",
                  caption=command)
    for column in ("attack", "what it did", "round trips", "p50", "p99", "max",
                   "RSS before / peak / after"):
        table.add_column(column, justify="left" if column in ("attack", "what it did")
                         else "right")
    for outcome in outcomes:
        row = outcome.latency.row()
        p99 = f"{row['p99_ms']:.2f}" + ("" if row["p99_ms"] < P99_TARGET_MS else " (over)")
        did = outcome.did + ("" if outcome.held else " [WRONG]")
        if outcome.crashes or outcome.tracebacks:
            did += f" [{outcome.crashes} crashes, {outcome.tracebacks} tracebacks]"
        table.add_row(outcome.attack, did, f"{row['n']:,}", f"{row['p50_ms']:.2f}", p99,
                      f"{row['max_ms']:.2f}", " / ".join(f"{mb:.0f}" for mb in outcome.rss))
    Console(width=max(Console().width, 160)).print(table)


def show(fuzz: Figures, slow: Figures, kills: Figures, command: str) -> None:
    """Print the figures as two tables."""
    console = Console()
    cases = fuzz["cases"]
    totals = Table(title="Fault suite", caption=command)
    totals.add_column("figure")
    totals.add_column("value", justify="right")
    rows: list[tuple[str, object]] = [
        ("fuzz cases, recv channel", cases.get("recv", 0)),
        ("fuzz cases, send channel", cases.get("send", 0)),
        ("fuzz cases, image channel", cases.get("image", 0)),
        ("fuzz cases in all", sum(cases.values())),
        ("fuzz failures (falsifying examples)", len(fuzz["failures"])),
        ("server crashes", fuzz["crashes"] + slow["crashes"] + kills["crashes"]),
        ("tracebacks in the server log", fuzz["tracebacks"] + slow["tracebacks"]
         + kills["tracebacks"]),
        ("error records in the server log (fuzzing)", fuzz["error_records"]),
        ("slowloris connections held", slow["slowloris_connections"]),
        ("never-readers cut off (leave: error)", slow["never_readers_cut_off"]),
        ("SIGKILLs", kills["kills"]),
        ("messages received by clients (distinct seqs)", kills["received"]),
        ("messages lost", kills["lost"]),
        ("duplicate seqs", kills["duplicate_seqs"]),
        ("lines stored twice", kills["duplicate_texts"]),
        ("messages received out of order", kills["out_of_order"]),
        ("latency bounds, slowloris", slow["bounds_slowloris"]),
        ("latency bounds, never-readers", slow["bounds_never_readers"]),
    ]
    for name, value in rows:
        totals.add_row(name, f"{value:,}" if isinstance(value, int) else str(value))
    console.print(totals)

    latency = Table(title="Well-behaved client: say -> own echo (ms)")
    for column in ("phase", "round trips", "p50", "p99", "max"):
        latency.add_column(column, justify="left" if column == "phase" else "right")
    phases: list[tuple[str, Latency]] = [
        ("normal (in-process server)", fuzz["latency_normal"]),
        ("during fuzzing (in-process server)", fuzz["latency_fuzzing"]),
        ("normal (server process)", slow["latency_normal"]),
        ("during slowloris", slow["latency_slowloris"]),
        ("during never-readers, busy room", slow["latency_never_readers"]),
        ("kill -9 until all are back", kills["latency_recovery"]),
    ]
    for name, figures in phases:
        row = figures.row()
        latency.add_row(name, f"{row['n']:,}", f"{row['p50_ms']:.2f}", f"{row['p99_ms']:.2f}",
                        f"{row['max_ms']:.2f}")
    console.print(latency)
    for failure in fuzz["failures"]:
        console.print(f"[red]fuzz failure:[/] {failure}", markup=True)


def _plain(value: Any) -> Any:
    """JSON-ready figures: latencies as their row of milliseconds."""
    if isinstance(value, Latency):
        return value.row()
    if isinstance(value, Outcome):
        return value.plain()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int,
                        default=test_fuzz_server.DEFAULT_EXAMPLES, help="fuzz cases in all")
    parser.add_argument("--long", action="store_true",
                        help=f"{LONG_EXAMPLES:,} fuzz cases (overrides --examples)")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILL/restart rounds")
    parser.add_argument("--seed", type=int, default=4, help="seed of the kill moments")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--only", nargs="+", choices=PHASES, help="run only these phases")
    args = parser.parse_args()
    examples = LONG_EXAMPLES if args.long else args.examples
    phases: dict[str, Callable[[Path], Any]] = {
        "fuzzing": lambda where: run_fuzzing(examples, where),
        "slow_clients": run_slow_clients,
        "kills": lambda where: run_kills(args.kills, where, args.seed),
        "attacks": run_attacks,
    }
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tuichat-faults-") as scratch:
        for name, phase in phases.items():
            if args.only is None or name in args.only:
                Console(stderr=True).print(f"[dim]{name}...[/]")
                figures[name] = phase(Path(scratch) / name)
    command = "$ " + " ".join([".venv/bin/python", "bench/faults.py", *sys.argv[1:]])
    bad: list[object] = []
    if {"fuzzing", "slow_clients", "kills"} <= figures.keys():
        fuzz, slow, kills = figures["fuzzing"], figures["slow_clients"], figures["kills"]
        show(fuzz, slow, kills, command)
        bad += [fuzz["failures"], fuzz["crashes"], fuzz["error_records"], slow["crashes"],
                slow["tracebacks"], kills["lost"], kills["duplicate_seqs"], kills["crashes"],
                kills["tracebacks"], kills["out_of_order"]]
    if "attacks" in figures:
        show_attacks(figures["attacks"], command)
        bad += [attack_failed(outcome) for outcome in figures["attacks"]]
    if args.json:
        args.json.write_text(json.dumps(_plain(figures), indent=2, default=str) + "\n")
    return 1 if any(bad) else 0


if __name__ == "__main__":
    sys.exit(main())
