"""Mass expiry of issue 12: many idle connections reach the set-up timeout together, with
the server's real INFO logging (stderr to a pipe).

A stall of the loop shows in the probe's round trips; the log must summarise the burst in
a line or two instead of a line per connection. ``tests/test_logs.py`` pins the summary.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from tests.attacks.common import SAMPLES, Outcome, RssWatch, against
from tests.faultkit import GENEROUS_FLAGS, Latency, Probe, ServerProcess

CONNECTIONS = 1_500
SETUP_TIMEOUT = 3.0
"""Seconds the idle sockets have: long enough to open them all before the first expires."""
MAX_LINES = 3
"""Log lines the expiry may write: the summary is one a second."""


def _still_open(sockets: list[socket.socket]) -> list[socket.socket]:
    """Those of ``sockets`` the server has not closed yet (none blocks)."""
    still = []
    for sock in sockets:
        sock.setblocking(False)
        try:
            if sock.recv(1) == b"":
                continue
        except BlockingIOError:
            pass
        still.append(sock)
    return still


def mass_expiry(data_dir: Path, connections: int = CONNECTIONS) -> Outcome:
    """Open ``connections`` sockets that never say ``hello`` and time the probe while the
    server closes them all at once."""

    def attack(server: ServerProcess, watch: RssWatch) -> Outcome:
        probe = Probe(server.ports)
        idle: list[socket.socket] = []
        try:
            normal = probe.sample(SAMPLES)
            logged_before = len(server.log)
            opened = time.monotonic()
            idle = [socket.create_connection(("127.0.0.1", server.ports.recv))
                    for _ in range(connections)]
            if time.monotonic() - opened > SETUP_TIMEOUT * 0.8:
                raise AssertionError("opening the sockets took too long; use fewer")
            samples: list[float] = []
            deadline = opened + SETUP_TIMEOUT + 10
            pending = idle
            while pending and time.monotonic() < deadline:
                samples.append(probe.round_trip())
                pending = _still_open(pending)
            took = time.monotonic() - opened - SETUP_TIMEOUT
            summary_by = time.monotonic() + 3.0  # the summary line may come a second later
            while time.monotonic() < summary_by and not any(
                    "idle connection" in line for line in server.log[logged_before:]):
                samples.append(probe.round_trip())
            while len(samples) < SAMPLES:
                samples.append(probe.round_trip())
            lines = sum("idle" in line or "sent no" in line
                        for line in server.log[logged_before:])
            rss = watch.settled()
        finally:
            for sock in idle:
                sock.close()
            probe.close()
        closed = connections - len(pending)
        return Outcome(
            "mass expiry",
            f"{closed:,} of {connections:,} idle connections expired "
            f"{took:.2f} s after the timeout, {lines} log line{'' if lines == 1 else 's'}",
            closed == connections and 1 <= lines <= MAX_LINES, Latency(tuple(samples)), rss,
            figures={"latency_normal": normal.row(), "connections": connections,
                     "closed": closed, "log_lines": lines, "seconds_after_timeout":
                     round(took, 2)})

    return against(data_dir, [*GENEROUS_FLAGS, "--setup-timeout", str(SETUP_TIMEOUT)],
                   attack)
