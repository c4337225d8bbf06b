"""The lockout-eviction attack of issue 12: wrong passwords from thousands of addresses.

One name is locked out at 127.0.0.2; then two processes send ``hello`` with a wrong join
password, each from a fresh loopback address (127.1.0.1, 127.1.0.2, ...) under a fresh
name, ``FLOOD_GUESSES`` in all (or for ``FLOOD_SECONDS``). Before the server-wide budget
every guess was checked and 5,000 of them made the throttle forget the lockout. The
figures: guesses sent, checked (refused as wrong) and refused unchecked, whether the lockout
held, a well-behaved client's round trip during the flood, and the server's RSS.

Run alone: ``.venv/bin/python bench/lockout_eviction.py``; ``bench/faults.py`` runs it too.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for ``tests``

from tests.conftest import RawChannel
from tests.faultkit import GENEROUS_FLAGS, WAIT, Latency, Probe, ServerProcess
from tests.test_slow_clients import SAMPLES
from tuichat.server.app import Ports

PASSWORD = "sesame"
SERVER_FLAGS = [*GENEROUS_FLAGS, "--password", PASSWORD, "--auth-max-failures", "1"]
"""One wrong password locks a name out at once, so the victim is locked in one try; the
budget and lockout time are the defaults."""
FLOOD_GUESSES = 6_000
"""Enough fresh failures (two counts each) to overfill the old table of 10,000 counts."""
FLOOD_SECONDS = 60.0
"""The flood stops here if the guesses are not all sent by then."""
FLOOD_PROCESSES = 2
VICTIM = ("127.0.0.2", "target")
WRONG = "this server needs the right join password"
UNCHECKED = "(the password was not checked)"

Figures = dict[str, Any]


def flood_source(number: int) -> str:
    """The ``number``-th attacking address, from 127.1.0.1 on (62,500 before it repeats)."""
    return f"127.{1 + number // 62_500 % 250}.{number // 250 % 250}.{1 + number % 250}"


def hello(ports: Ports, source: str, name: str, password: str) -> str:
    """One ``hello`` from ``source``; the text of its refusal ("" for a welcome)."""
    raw = RawChannel(ports.recv, source)
    try:
        raw.send({"type": "hello", "version": 1, "name": name, "password": password})
        frame = raw.read_frame()
    finally:
        raw.sock.close()
    return "" if frame.get("type") == "welcome" else str(frame.get("text"))


class Flood:
    """``processes`` processes sending ``guesses`` wrong passwords from fresh addresses
    (stopping after ``seconds``); processes of their own, so the probe's timing shares no
    GIL with them."""

    def __init__(self, ports: Ports, guesses: int, seconds: float,
                 processes: int = FLOOD_PROCESSES) -> None:
        self._processes = [
            subprocess.Popen([sys.executable, __file__, "--flood", str(ports.recv),
                              str(guesses), str(seconds), str(first), str(processes)],
                             stdout=subprocess.PIPE, text=True)
            for first in range(processes)
        ]

    def running(self) -> bool:
        """True while a process still sends."""
        return any(process.poll() is None for process in self._processes)

    def answers(self) -> Counter[str]:
        """Wait for the processes and add up their answers."""
        total: Counter[str] = Counter()
        for process in self._processes:
            out, _ = process.communicate(timeout=WAIT * 6)
            total.update(json.loads(out))
        return total


def flood(port: int, guesses: int, seconds: float, first: int, stride: int) -> Counter[str]:
    """One flood process: guesses number ``first``, ``first + stride``, ... below
    ``guesses``, for at most ``seconds``."""
    ports = Ports(send=0, recv=port, image=0)
    answers: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    for number in range(first, guesses, stride):
        if time.monotonic() >= deadline:
            break
        try:
            text = hello(ports, flood_source(number), f"g{number}", f"try{number}")
        except (OSError, AssertionError) as exc:
            text = f"failed: {type(exc).__name__}"
        answers["checked" if text == WRONG else "unchecked" if text.endswith(UNCHECKED)
                else text] += 1
    return answers


def rss_mb(pid: int) -> tuple[float, float]:
    """The process's resident set now and at its peak (VmRSS, VmHWM), in MB."""
    fields = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def run(data_dir: Path, guesses: int = FLOOD_GUESSES, seconds: float = FLOOD_SECONDS
        ) -> Figures:
    """Lock the victim out, flood, and see whether the lockout held."""
    server = ServerProcess(data_dir, *SERVER_FLAGS)
    server.start()
    try:
        assert server.process is not None
        pid = server.process.pid
        probe = Probe(server.ports, name="bystander", password=PASSWORD)
        try:
            normal = probe.sample(SAMPLES)
            assert hello(server.ports, *VICTIM, "wrong") == WRONG
            rss_before, _ = rss_mb(pid)
            started = time.monotonic()
            attack = Flood(server.ports, guesses, seconds)
            round_trips: list[float] = []
            while attack.running() or len(round_trips) < SAMPLES:
                round_trips.append(probe.round_trip())
            answers = attack.answers()
            elapsed = time.monotonic() - started
            rss_after, rss_peak = rss_mb(pid)
            victim = hello(server.ports, *VICTIM, PASSWORD)
        finally:
            probe.close()
    finally:
        crashed = not server.running
        server.stop()
    return {
        "guesses": sum(answers.values()), "checked": answers["checked"],
        "unchecked": answers["unchecked"],
        "other": {key: count for key, count in answers.items()
                  if key not in ("checked", "unchecked")},
        "seconds": round(elapsed, 1),
        "checked_per_minute": round(answers["checked"] / elapsed * 60),
        "lockout_held": victim.startswith("too many wrong passwords for 'target'"),
        "victim_answer": victim or "welcome",
        "latency_normal": normal, "latency_attack": Latency(tuple(round_trips)),
        "rss_before_mb": round(rss_before, 1), "rss_after_mb": round(rss_after, 1),
        "rss_peak_mb": round(rss_peak, 1), "crashes": int(crashed),
        "tracebacks": len(server.problems()),
    }


def main() -> int:
    if sys.argv[1:2] == ["--flood"]:
        port, guesses, seconds, first, stride = sys.argv[2:7]
        print(json.dumps(flood(int(port), int(guesses), float(seconds), int(first),
                               int(stride))))
        return 0
    with tempfile.TemporaryDirectory(prefix="tuichat-lockout-") as scratch:
        figures = run(Path(scratch))
    for key, value in figures.items():
        print(f"{key}: {value.row() if hasattr(value, 'row') else value}")
    return 0 if figures["lockout_held"] and not figures["crashes"] else 1


if __name__ == "__main__":
    sys.exit(main())
