"""The lockout-eviction attack of issue 12: wrong passwords from thousands of addresses.

One name is locked out at 127.0.0.2; then two processes send ``hello`` with a wrong join
password, each from a fresh loopback address (127.1.0.1, 127.1.0.2, ...) under a fresh
name, ``GUESSES`` in all (or for ``SECONDS``). Before the server-wide budget every guess
was checked and 5,000 of them made the throttle forget the lockout. Over real sockets with
400 addresses, ``tests/test_password_budget.py`` pins the same.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from tests.attacks.common import SAMPLES, Attackers, Outcome, RssWatch, against, attacker_main
from tests.conftest import RawChannel
from tests.faultkit import GENEROUS_FLAGS, Latency, Probe, ServerProcess
from tuichat.server.app import Ports

PASSWORD = "sesame"
SERVER_FLAGS = [*GENEROUS_FLAGS, "--password", PASSWORD, "--auth-max-failures", "1"]
"""One wrong password locks a name out at once, so the victim is locked in one try; the
budget and lockout time are the defaults."""
GUESSES = 6_000
"""Enough fresh failures (two counts each) to overfill the old table of 10,000 counts."""
SECONDS = 60.0
"""The flood stops here if the guesses are not all sent by then."""
CHECKED_BUDGET = 120
"""At most this many guesses may be checked: the default budget is 100 at once, then 10 a
minute, and the flood lasts at most a minute."""
VICTIM = ("127.0.0.2", "target")
WRONG = "this server needs the right join password"
UNCHECKED = "(the password was not checked)"


def source(number: int) -> str:
    """The ``number``-th attacking address, from 127.1.0.1 on (62,500 before it repeats)."""
    return f"127.{1 + number // 62_500 % 250}.{number // 250 % 250}.{1 + number % 250}"


def hello(ports: Ports, address: str, name: str, password: str) -> str:
    """One ``hello`` from ``address``; the text of its refusal ("" for a welcome)."""
    raw = RawChannel(ports.recv, address)
    try:
        raw.send({"type": "hello", "version": 1, "name": name, "password": password})
        frame = raw.read_frame()
    finally:
        raw.sock.close()
    return "" if frame.get("type") == "welcome" else str(frame.get("text"))


def guess(first: int, stride: int, port: str, guesses: str, seconds: str) -> Counter[str]:
    """One attacker process: guesses number ``first``, ``first + stride``, ... below
    ``guesses``, for at most ``seconds``."""
    ports = Ports(send=0, recv=int(port), image=0)
    answers: Counter[str] = Counter()
    deadline = time.monotonic() + float(seconds)
    for number in range(first, int(guesses), stride):
        if time.monotonic() >= deadline:
            break
        try:
            text = hello(ports, source(number), f"g{number}", f"try{number}")
        except (OSError, AssertionError) as exc:
            text = f"failed: {type(exc).__name__}"
        answers["checked" if text == WRONG else "unchecked" if text.endswith(UNCHECKED)
                else text] += 1
    return answers


def lockout_eviction(data_dir: Path, guesses: int = GUESSES,
                     seconds: float = SECONDS) -> Outcome:
    """Lock the victim out, flood, and see whether the lockout held."""

    def attack(server: ServerProcess, watch: RssWatch) -> Outcome:
        probe = Probe(server.ports, name="bystander", password=PASSWORD)
        try:
            normal = probe.sample(SAMPLES)
            assert hello(server.ports, *VICTIM, "wrong") == WRONG
            started = time.monotonic()
            attackers = Attackers(__name__, [str(server.ports.recv), str(guesses),
                                             str(seconds)])
            round_trips: list[float] = []
            while attackers.running() or len(round_trips) < SAMPLES:
                round_trips.append(probe.round_trip())
            answers = attackers.answers()
            elapsed = time.monotonic() - started
            victim = hello(server.ports, *VICTIM, PASSWORD)
            rss = watch.settled()
        finally:
            probe.close()
        held = victim.startswith("too many wrong passwords for 'target'")
        sent, checked = sum(answers.values()), answers["checked"]
        return Outcome(
            "lockout eviction",
            f"{sent:,} wrong passwords from fresh addresses in {elapsed:.1f} s, "
            f"{checked:,} checked; lockout {'held' if held else 'FORGOTTEN'}",
            held and checked <= CHECKED_BUDGET,
            Latency(tuple(round_trips)), rss,
            figures={"latency_normal": normal.row(), "guesses": sent, "checked": checked,
                     "unchecked": answers["unchecked"],
                     "other": {key: count for key, count in answers.items()
                               if key not in ("checked", "unchecked")},
                     "seconds": round(elapsed, 1),
                     "checked_per_minute": round(checked / elapsed * 60),
                     "victim_answer": victim or "welcome"})

    return against(data_dir, SERVER_FLAGS, attack)


if __name__ == "__main__":
    attacker_main(guess)
