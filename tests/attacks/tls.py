"""The TLS handshake flood of issue 12: ClientHellos that vanish, from many addresses to
all three ports, while a well-behaved client chats over TLS.

In-process, ``tests/test_handshakes.py`` pins that no ``Peer`` or TLS state is left behind
and that handshakes in flight are bounded.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from pathlib import Path

from tests.attacks.common import SAMPLES, Outcome, RssWatch, against
from tests.faultkit import GENEROUS_FLAGS, WAIT, Probe, ServerProcess, client_hello
from tuichat.net.tls import KnownHosts, TlsClientConfig
from tuichat.server.app import Ports

SECONDS = 10.0
SOURCES = [f"127.0.0.{n}" for n in range(10, 60)]
"""Addresses the flood comes from (Linux answers on all of 127/8)."""
RSS_BOUND_MB = 200.0
"""The server's peak RSS must stay under this (before the fix it reached 625-880 MB)."""


class HelloFlood:
    """Threads that connect, send a ClientHello and vanish, as fast as they can, from
    many addresses to all three ports."""

    def __init__(self, ports: Ports, threads: int = 2) -> None:
        self._targets = itertools.cycle(
            [(source, port) for source in SOURCES for port in (ports.recv, ports.send,
                                                                ports.image)])
        self._hello = client_hello()
        self._lock = threading.Lock()
        self.sent = 0
        self.failed = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True, name=f"flood{n}")
                         for n in range(threads)]

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                source, port = next(self._targets)
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=WAIT,
                                              source_address=(source, 0)) as sock:
                    sock.sendall(self._hello)
                self.sent += 1
            except OSError:
                self.failed += 1

    def __enter__(self) -> HelloFlood:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(WAIT)


def handshake_flood(data_dir: Path, seconds: float = SECONDS) -> Outcome:
    """ClientHellos that vanish, for ``seconds``, against a TLS server process."""

    def attack(server: ServerProcess, watch: RssWatch) -> Outcome:
        trust = TlsClientConfig(known_hosts=KnownHosts(data_dir / "known_hosts"),
                                ask=lambda *_: True)
        probe = Probe(server.ports, name="calm", tls=trust)
        try:
            normal = probe.sample(SAMPLES)
            started = time.monotonic()
            with HelloFlood(server.ports) as flood:
                during = probe.sample(SAMPLES, seconds)
            elapsed = time.monotonic() - started
            rss = watch.settled()
        finally:
            probe.close()
        rate = round(flood.sent / elapsed)
        return Outcome(
            "TLS handshake flood",
            f"{flood.sent:,} ClientHellos that vanish ({rate:,}/s) from {len(SOURCES)} "
            f"addresses; peak RSS under {RSS_BOUND_MB:g} MB",
            rss[1] < RSS_BOUND_MB, during, rss,
            figures={"latency_normal": normal.row(), "hellos": flood.sent,
                     "hellos_per_second": rate, "connects_failed": flood.failed})

    return against(data_dir / "server", [*GENEROUS_FLAGS, "--tls"], attack)
