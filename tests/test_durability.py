"""Durability: the server is killed with SIGKILL at random moments while three clients
talk; it is restarted on the same ports and data dir and the clients reconnect with
``since``. Every message any client received must be in the history with its original
``seq``, and no ``seq`` may stand for two messages.

The kill moments are drawn from ``random.Random(seed)`` as numbers of messages received
since the last restart, so a run is reproducible in what it asks for, if not in what the
scheduler does.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.faultkit import GENEROUS_FLAGS, WAIT, Latency, ServerProcess
from tuichat.net.client import Connection, ServerError
from tuichat.net.codec import ProtocolError
from tuichat.net.frames import Channel, Frame

TALKERS = 3
CONNECT_ATTEMPTS = 20
"""Reconnection attempts per outage before a talker gives up."""

Seen = tuple[str, str]
"""(from, text) of one message."""


class Outages:
    """Which server generation is up, so talkers wait for a restart instead of spinning."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.generation = 1
        self.stopping = False

    def restarted(self) -> None:
        with self._cond:
            self.generation += 1
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self.stopping = True
            self._cond.notify_all()

    def wait_after(self, generation: int) -> None:
        """Wait (up to WAIT) for a server newer than ``generation``, or the end."""
        deadline = time.monotonic() + WAIT
        with self._cond:
            while self.generation <= generation and not self.stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._cond.wait(remaining)


@dataclass
class Visit:
    """One connection of a talker (monotonic seconds)."""

    joined_at: float
    first_echo: float | None = None


@dataclass
class Talker:
    """A client that says numbered lines, each after the echo of the one before, and
    reconnects with ``since`` whenever the server goes away."""

    name: str
    server: ServerProcess
    outages: Outages
    on_message: Callable[[], None]
    received: dict[int, Seen] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)
    acked: dict[int, str] = field(default_factory=dict)
    visits: list[Visit] = field(default_factory=list)
    error: BaseException | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _echo: Frame | None = None
    _closed: bool = False
    _ready: bool = False
    _early: list[Frame] = field(default_factory=list)
    _last_seq: int = 0

    def record(self, frame: Frame) -> None:
        """Note one message as received, checking it against what was seen before."""
        seq, seen = frame["seq"], (frame["from"], frame["text"])
        if seq <= self._last_seq:
            self.out_of_order.append(f"seq {seq} after seq {self._last_seq}")
        self._last_seq = max(self._last_seq, seq)
        before = self.received.setdefault(seq, seen)
        if before != seen:
            self.conflicts.append(f"seq {seq} was {before} and then {seen}")
        self.on_message()

    def _on_frame(self, channel: Channel, frame: Frame, payload: bytes | None) -> None:
        if frame.get("type") != "message":
            return
        with self._cond:
            if not self._ready:  # the welcome's history is recorded first
                self._early.append(frame)
                return
            self.record(frame)
            if "ref" in frame:
                self._echo = frame
                self._cond.notify_all()

    def _on_close(self, reason: str) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _connect(self) -> Connection | None:
        """Join the current server, or None once the run is over."""
        for _ in range(CONNECT_ATTEMPTS):
            if self.outages.stopping:
                return None
            generation = self.outages.generation
            with self._cond:
                self._closed = self._ready = False
                self._early.clear()
            joined_at = time.monotonic()
            try:
                ports = self.server.ports
                conn = Connection.open(
                    "127.0.0.1", self.name, port_send=ports.send, port_recv=ports.recv,
                    port_image=ports.image, timeout=WAIT, since=self._last_seq or None,
                    on_frame=self._on_frame, on_close=self._on_close,
                )
            except (OSError, ServerError, ProtocolError):
                self.outages.wait_after(generation)
                continue
            with self._cond:
                for message in [*conn.welcome["history"], *self._early]:
                    self.record(message)
                self._ready = True
            self.visits.append(Visit(joined_at))
            return conn
        raise AssertionError(f"{self.name} could not reconnect in {CONNECT_ATTEMPTS} tries")

    def back_after(self, moment: float) -> float | None:
        """When the first echo came on a connection made after ``moment``, if one did."""
        for visit in self.visits:
            if visit.joined_at > moment and visit.first_echo is not None:
                return visit.first_echo
        return None

    def run(self) -> None:
        try:
            self._talk()
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.error = exc

    def _talk(self) -> None:
        number = 0
        while (conn := self._connect()) is not None:
            try:
                while not self.outages.stopping:
                    number += 1
                    echo = self._say(conn, f"{self.name} line {number}")
                    if echo is None:
                        break
                    self.acked[echo["seq"]] = echo["text"]
                    visit = self.visits[-1]
                    if visit.first_echo is None:
                        visit.first_echo = time.monotonic()
            finally:
                conn.close()

    def _say(self, conn: Connection, text: str) -> Frame | None:
        """Say ``text``; its echo, or None when the connection ended first."""
        with self._cond:
            self._echo = None
        try:
            ref = conn.say(text)
        except ConnectionError:
            return None
        deadline = time.monotonic() + WAIT
        with self._cond:
            while not (self._echo is not None and self._echo.get("ref") == ref):
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    return None
                self._cond.wait(remaining)
            return self._echo


@dataclass
class DurabilityReport:
    """What a run of kills and restarts showed."""

    kills: int
    received: int
    """Distinct seqs received by any client."""
    acked: int
    stored: int
    lost: list[str]
    """Received or acknowledged messages not in the history under their seq."""
    duplicate_seqs: list[str]
    """Seqs that stood for two different messages (in the file or across clients)."""
    duplicate_texts: int
    """Lines stored more than once."""
    out_of_order: list[str]
    """Messages a client received with a seq not above the one before."""
    recovery: Latency
    """Seconds from each SIGKILL until every talker had an echo from the new server."""
    log_problems: list[str]
    crashes: int = 0
    """Times the server was found dead before we killed it."""

    def row(self) -> dict[str, Any]:
        return {
            "kills": self.kills, "received": self.received, "acked": self.acked,
            "stored": self.stored, "lost": len(self.lost),
            "duplicate_seqs": len(self.duplicate_seqs), "duplicate_texts": self.duplicate_texts,
            "out_of_order": len(self.out_of_order), "tracebacks": len(self.log_problems),
            "crashes": self.crashes, "recovery": self.recovery.row(),
        }


def stored_history(data_dir: Path) -> list[tuple[int, str, str]]:
    """(seq, sender, text) of every stored message in file order, read from the file."""
    uri = f"file:{data_dir / 'history.sqlite3'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        return list(db.execute("SELECT seq, sender, text FROM messages ORDER BY rowid"))


def _reached(count: list[int], target: int) -> bool:
    return count[0] >= target


def run_durability(data_dir: Path, kills: int, seed: int = 4) -> DurabilityReport:
    """Talk, kill, restart ``kills`` times; stop cleanly and compare with the file."""
    rng = random.Random(seed)
    server = ServerProcess(data_dir, *GENEROUS_FLAGS)
    server.start()
    outages = Outages()
    heard = threading.Condition()
    count = [0]

    def on_message() -> None:
        with heard:
            count[0] += 1
            heard.notify_all()

    talkers = [Talker(f"talker{n}", server, outages, on_message) for n in range(TALKERS)]
    threads = [threading.Thread(target=t.run, name=t.name, daemon=True) for t in talkers]
    for thread in threads:
        thread.start()
    killed_at: list[float] = []
    try:
        for _ in range(kills + 1):
            if killed_at:  # every talker is back, and has talked, before the next kill
                with heard:
                    assert heard.wait_for(
                        lambda: all(t.back_after(killed_at[-1]) for t in talkers), WAIT
                    ), "the talkers did not all come back after a restart"
            if len(killed_at) == kills:
                break
            target = count[0] + rng.randint(30, 600)
            with heard:
                reached = heard.wait_for(partial(_reached, count, target), WAIT)
            assert reached, "the talk stalled"
            server.kill()
            killed_at.append(time.monotonic())
            server.start()
            outages.restarted()
    finally:
        outages.stop()
        for thread in threads:
            thread.join(WAIT)
        server.stop()
    for talker in talkers:
        if talker.error is not None:
            raise talker.error
    recovery = [max(t.back_after(k) or float("inf") for t in talkers) - k for k in killed_at]
    report = compare(talkers, stored_history(data_dir), kills, Latency(tuple(recovery)),
                     server.problems())
    report.crashes = server.crashes
    return report


def compare(talkers: list[Talker], stored: list[tuple[int, str, str]], kills: int,
            recovery: Latency, log_problems: list[str]) -> DurabilityReport:
    """Check what the talkers received and had acknowledged against the stored history."""
    seqs = [seq for seq, _, _ in stored]
    history = {seq: (sender, text) for seq, sender, text in stored}
    duplicates = [f"seq {seq} stored twice" for seq in sorted(set(seqs)) if seqs.count(seq) > 1]
    if seqs != sorted(seqs):
        duplicates.append("stored seqs do not increase in file order")
    received: dict[int, Seen] = {}
    for talker in talkers:
        duplicates += talker.conflicts
        for seq, seen in talker.received.items():
            if received.setdefault(seq, seen) != seen:
                duplicates.append(f"seq {seq}: {received[seq]} and {seen} in two clients")
    lost = [f"seq {seq} {seen}" for seq, seen in sorted(received.items())
            if history.get(seq) != seen]
    lost += [f"acknowledged seq {seq} {text!r}" for t in talkers for seq, text in t.acked.items()
             if history.get(seq) != (t.name, text)]
    texts = [text for _, _, text in stored]
    return DurabilityReport(
        kills=kills,
        received=len(received),
        acked=sum(len(t.acked) for t in talkers),
        stored=len(stored),
        lost=lost,
        duplicate_seqs=duplicates,
        duplicate_texts=len(texts) - len(set(texts)),
        out_of_order=[f"{t.name}: {problem}" for t in talkers for problem in t.out_of_order],
        recovery=recovery,
        log_problems=log_problems,
    )


@pytest.mark.timeout(180)
def test_no_received_message_is_lost_across_kill_9(tmp_path: Path) -> None:
    report = run_durability(tmp_path, kills=4)
    assert report.kills == 4 and report.recovery.max < WAIT
    assert report.received > 100, "the clients talked across the kills"
    assert report.lost == [], report.lost[:10]
    assert report.duplicate_seqs == [], report.duplicate_seqs[:10]
    assert report.duplicate_texts == 0
    assert report.out_of_order == [], report.out_of_order[:10]
    assert report.log_problems == [], "".join(report.log_problems)
    assert report.crashes == 0


def _talker(name: str, *messages: tuple[int, str]) -> Talker:
    talker = Talker(name, ServerProcess.__new__(ServerProcess), Outages(), lambda: None)
    for seq, text in messages:
        talker.record({"seq": seq, "from": name, "text": text})
    return talker


def test_the_comparison_catches_lost_renumbered_and_reused_seqs() -> None:
    alice = _talker("alice", (1, "one"), (2, "two"), (3, "three"))
    report = compare([alice], [(1, "alice", "one"), (3, "alice", "two")], 0, Latency(()), [])
    assert report.lost == ["seq 2 ('alice', 'two')", "seq 3 ('alice', 'three')"]
    bob = _talker("bob", (1, "other"), (1, "again"))
    report = compare([alice, bob], [(1, "alice", "one")], 0, Latency(()), [])
    assert len(report.duplicate_seqs) == 2
    assert report.out_of_order == ["bob: seq 1 after seq 1"]
