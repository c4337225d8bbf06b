"""Mass expiry: many idle connections reach the set-up timeout together, with INFO logging.

Starts ``tuichat-server`` from the command line (its real logging, stderr to a pipe),
joins a well-behaved probe, opens ``--connections`` sockets that never send ``hello``,
and times the probe's round trips (``say`` to its own echo) while the server closes them
all at once. A stall of the loop shows as the probe's max. Prints the figures and the
number of log lines the expiry wrote.

Run: ``.venv/bin/python bench/mass_expiry.py [--connections 1500]``.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for ``tests``

from tests.faultkit import GENEROUS_FLAGS, Latency, Probe, ServerProcess

SETUP_TIMEOUT = 3.0
"""Seconds the idle sockets have: long enough to open them all before the first expires."""


def run(connections: int) -> tuple[Latency, int, float]:
    """The probe's round trips during the expiry, the expiry's log lines, and the seconds
    the server took to close every idle socket."""
    with tempfile.TemporaryDirectory(prefix="tuichat-expiry-") as tmp:
        server = ServerProcess(Path(tmp), *GENEROUS_FLAGS, "--setup-timeout",
                               str(SETUP_TIMEOUT))
        server.start()
        probe = Probe(server.ports)
        idle: list[socket.socket] = []
        try:
            probe.sample(20)  # warm
            logged_before = len(server.log)
            opened = time.monotonic()
            for _ in range(connections):
                idle.append(socket.create_connection(("127.0.0.1", server.ports.recv)))
            if time.monotonic() - opened > SETUP_TIMEOUT * 0.8:
                raise SystemExit("opening the sockets took too long; use fewer")
            samples: list[float] = []
            closed_at = None
            deadline = opened + SETUP_TIMEOUT + 10
            for sock in idle:
                sock.settimeout(max(0.1, deadline - time.monotonic()))
            pending = list(idle)
            while pending and time.monotonic() < deadline:
                samples.append(probe.round_trip())
                still = []
                for sock in pending:
                    sock.setblocking(False)
                    try:
                        if sock.recv(1) == b"":
                            continue
                    except BlockingIOError:
                        pass
                    still.append(sock)
                pending = still
                if not pending:
                    closed_at = time.monotonic()
            summary_by = time.monotonic() + 3.0  # a summary line may come a second later
            while time.monotonic() < summary_by and not any(
                "idle connection" in line for line in server.log[logged_before:]
            ):
                samples.append(probe.round_trip())
            lines = sum("idle" in line or "sent no" in line for line in server.log[logged_before:])
            took = (closed_at or float("nan")) - opened - SETUP_TIMEOUT
            return Latency(tuple(samples)), lines, took
        finally:
            for sock in idle:
                sock.close()
            probe.close()
            server.stop()


def main() -> int:
    """Run once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--connections", type=int, default=1_500)
    args = parser.parse_args()
    latency, lines, took = run(args.connections)
    print(f"{args.connections:,} idle connections expiring, INFO logging: "
          f"probe {latency} over {len(latency.samples)} round trips; "
          f"{lines:,} log lines; all closed {took:.2f} s after the timeout")
    return 0


if __name__ == "__main__":
    sys.exit(main())
