"""What every attack of ``tests/attacks`` shares: the server's memory, the outcome row the
fault suite prints, and attacker processes that share no GIL with the probe."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.faultkit import WAIT, Latency, ServerProcess

SAMPLES = 200
"""Round trips the probe makes at least, before and during an attack."""
SETTLE = 5.0
"""Seconds after an attack before the server's memory is read again."""
ROOT = Path(__file__).resolve().parent.parent.parent
"""The repository, where ``python -m tests.attacks.<module>`` finds the package."""

Figures = dict[str, Any]


def rss_mb(pid: int) -> float:
    """The resident memory of process ``pid`` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


class RssWatch:
    """The peak resident memory of a process while the block runs (sampled every 50 ms)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.before = rss_mb(pid)
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss", daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.05):  # the sampling pace, not a synchronisation
            self.peak = max(self.peak, rss_mb(self.pid))

    def __enter__(self) -> RssWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(WAIT)

    def mark(self) -> None:
        """Measure from now on: the attack's set-up (stored pictures, say) is not its cost."""
        self.before = self.peak = rss_mb(self.pid)

    def settled(self) -> tuple[float, float, float]:
        """RSS before, at the peak, and ``SETTLE`` s after the attack, in MB."""
        time.sleep(SETTLE)  # a pause before measuring again, not a synchronisation
        after = rss_mb(self.pid)
        return round(self.before, 1), round(max(self.peak, after), 1), round(after, 1)


@dataclass
class Outcome:
    """One attack's row: what it did, whether the server held, the probe during it, and
    the server's memory."""

    attack: str
    did: str
    """Its size and outcome in words, e.g. ``2,000 uploads, 3 broadcast``."""
    held: bool
    """The outcome the issue asks for (the lockout held, no look-alike admitted, ...)."""
    latency: Latency
    rss: tuple[float, float, float]
    """Server RSS before, at the peak, and after, in MB."""
    crashes: int = 0
    tracebacks: int = 0
    figures: Figures = field(default_factory=dict)
    """Everything else measured, for the JSON."""

    def plain(self) -> Figures:
        """JSON-ready: the latency as its row of milliseconds."""
        found = asdict(self)
        found["latency"] = self.latency.row()
        return found


def against(data_dir: Path, flags: Sequence[str],
            attack: Callable[[ServerProcess, RssWatch], Outcome]) -> Outcome:
    """Run ``attack`` against a fresh server process (its RSS watched), then count its
    crashes and tracebacks into the outcome."""
    server = ServerProcess(data_dir, *flags)
    server.start()
    assert server.process is not None
    try:
        with RssWatch(server.process.pid) as watch:
            outcome = attack(server, watch)
    finally:
        crashed = not server.running
        server.stop()
    outcome.crashes = int(crashed)
    outcome.tracebacks = len(server.problems())
    return outcome


class Attackers:
    """``processes`` processes of ``python -m <module> --attack ...``, each printing a JSON
    count of the answers it got; processes of their own, so the probe's timing shares no
    GIL with them. Worker ``n`` of ``processes`` takes items n, n + processes, ..."""

    def __init__(self, module: str, args: Sequence[str], processes: int = 2) -> None:
        self._processes = [
            subprocess.Popen([sys.executable, "-m", module, "--attack", str(first),
                              str(processes), *args],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
            for first in range(processes)
        ]

    def running(self) -> bool:
        """True while a process still attacks."""
        return any(process.poll() is None for process in self._processes)

    def answers(self) -> Counter[str]:
        """Wait for the processes and add up their answers."""
        total: Counter[str] = Counter()
        for process in self._processes:
            out, _ = process.communicate(timeout=WAIT * 6)
            total.update(json.loads(out))
        return total


def attacker_main(attack: Callable[..., Counter[str]]) -> None:
    """The entry of an attacker process: ``--attack FIRST STRIDE ARGS...`` calls
    ``attack(first, stride, *args)`` and prints its answers as JSON."""
    if sys.argv[1:2] != ["--attack"]:
        raise SystemExit(f"usage: python -m ... --attack FIRST STRIDE ARGS (got {sys.argv})")
    first, stride, *args = sys.argv[2:]
    print(json.dumps(attack(int(first), int(stride), *args)))
