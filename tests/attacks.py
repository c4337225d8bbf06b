"""Resource attacks of issue 12 against a server process, with a well-behaved client's
round trips and the server's memory during each: a TLS handshake flood, and pinned
queues (never-readers asking for large avatars).

Used by ``bench/faults.py``; the pinned behaviour is tested in-process by
``tests/test_handshakes.py`` and ``tests/test_output_budget.py``.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from pathlib import Path
from typing import Any

from tests.faultkit import (
    GENEROUS_FLAGS,
    WAIT,
    Latency,
    Probe,
    ServerProcess,
    client_hello,
    read_until,
)
from tests.test_avatars import noisy_png
from tuichat.net.codec import encode
from tuichat.net.tls import KnownHosts, TlsClientConfig
from tuichat.server.app import Ports

SAMPLES = 200
SETTLE = 5.0
"""Seconds after an attack before the server's memory is read again."""
REPEATS = 15
"""Times each never-reader asks again for the same avatar (as in the issue)."""
SOURCES = [f"127.0.0.{n}" for n in range(10, 60)]
"""Addresses the flood comes from (Linux answers on all of 127/8)."""

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
        self.peak = rss_mb(pid)
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


def _trust(data_dir: Path) -> TlsClientConfig:
    return TlsClientConfig(known_hosts=KnownHosts(data_dir / "known_hosts"),
                           ask=lambda *_: True)


def _memory(server: ServerProcess, before: float, watch: RssWatch) -> Figures:
    time.sleep(SETTLE)  # a pause before measuring again, not a synchronisation
    assert server.process is not None
    return {"rss_before_mb": round(before), "rss_peak_mb": round(watch.peak),
            "rss_after_mb": round(rss_mb(server.process.pid))}


def handshake_flood(data_dir: Path, seconds: float = 10.0) -> Figures:
    """ClientHellos that vanish, for ``seconds``, against a TLS server process."""
    server = ServerProcess(data_dir / "server", *GENEROUS_FLAGS, "--tls")
    server.start()
    assert server.process is not None
    try:
        probe = Probe(server.ports, name="calm", tls=_trust(data_dir))
        try:
            normal = probe.sample(SAMPLES)
            before = rss_mb(server.process.pid)
            started = time.monotonic()
            with RssWatch(server.process.pid) as watch, HelloFlood(server.ports) as flood:
                during = probe.sample(SAMPLES, seconds)
            elapsed = time.monotonic() - started
            memory = _memory(server, before, watch)
        finally:
            probe.close()
    finally:
        crashed = not server.running
        server.stop()
    return {"latency_normal": normal, "latency": during, **memory,
            "hellos": flood.sent, "hellos_per_second": round(flood.sent / elapsed),
            "connects_failed": flood.failed, "crashes": int(crashed),
            "tracebacks": len(server.problems())}


def _never_reader(ports: Ports, name: str, wanted: list[str]) -> list[socket.socket]:
    """A session that asks for every avatar in ``wanted`` and reads nothing more."""
    sockets = []
    token = ""
    for port in (ports.recv, ports.send, ports.image):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(WAIT)
        sock.connect(("127.0.0.1", port))
        if port == ports.recv:
            sock.sendall(encode({"type": "hello", "version": 1, "name": name}))
            token = read_until(sock, "welcome", chunk=4096)["session"]
        else:
            sock.sendall(encode({"type": "attach", "session": token}))
            read_until(sock, "attached", chunk=4096)
        sockets.append(sock)
    sockets[2].sendall(b"".join(encode({"type": "get_avatar", "sha256": sha})
                                for sha in wanted))
    return sockets


def pinned_queues(data_dir: Path, sessions: int = 200, pictures: int = 24,
                  seconds: float = 10.0) -> Figures:
    """``sessions`` never-readers each asking for ``pictures`` avatars of about 230 kB
    and for the first one ``REPEATS`` times more, against a server process with default
    limits (but generous rates). With one picture it is the issue's attack (3.8 MB asked
    per session, under the 4 MiB a connection may queue); 24 pictures ask 5.5 MB, of
    which the kernel takes some 2.5 MB."""
    server = ServerProcess(data_dir / "server", *GENEROUS_FLAGS)
    server.start()
    assert server.process is not None
    held: list[socket.socket] = []
    try:
        probe = Probe(server.ports, name="patient")
        try:
            shas = [probe.conn.upload_avatar(noisy_png(side)).result(WAIT)
                    for side in range(290, 290 - pictures, -1)]
            normal = probe.sample(SAMPLES)
            before = rss_mb(server.process.pid)
            with RssWatch(server.process.pid) as watch:
                started = time.monotonic()
                round_trips: list[float] = []
                for number in range(sessions):
                    held += _never_reader(server.ports, f"pinned{number}",
                                          shas + [shas[0]] * REPEATS)
                    round_trips.append(probe.round_trip())
                while time.monotonic() - started < seconds or len(round_trips) < SAMPLES:
                    round_trips.append(probe.round_trip())
            cut = probe.leaves["error"]
            for sock in held:
                sock.close()
            memory = _memory(server, before, watch)
        finally:
            probe.close()
    finally:
        for sock in held:
            sock.close()
        crashed = not server.running
        server.stop()
    return {"latency_normal": normal, "latency": Latency(tuple(round_trips)), **memory,
            "sessions": sessions,
            "requested_mb": round(sessions * (pictures + REPEATS) * 0.23),
            "cut_off": cut, "crashes": int(crashed), "tracebacks": len(server.problems())}
