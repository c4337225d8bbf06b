"""Shared pieces of the fault suite: a well-behaved probe client, a log watch, latency
figures, and the server as a subprocess that can be killed and restarted on its ports.

Used by ``tests/test_fuzz_server.py``, ``tests/test_slow_clients.py``,
``tests/test_durability.py`` and ``bench/faults.py``.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuichat.net.client import Connection
from tuichat.net.codec import FrameDecoder
from tuichat.net.frames import Channel, Frame
from tuichat.server.app import Ports, Server
from tuichat.server.config import ServerConfig

WAIT = 10.0
"""Upper bound for any wait; a wait ends as soon as its condition holds."""
ADMIN_PASSWORD = "fault-suite-admin"
GENEROUS_LIMITS: dict[str, Any] = {
    "rate_burst": 1_000_000,
    "rate_per_second": 1_000_000.0,
    "rate_abuse_limit": 1_000_000,
    "max_per_address": 0,
    "max_connections": 0,
    "auth_max_failures": 0,
    "auth_budget": 0,
}
"""Limits that never bite, so the suite measures robustness, not flood control (password
throttling is off: it would lock the fuzzer's admin sessions out after one wrong guess)."""
GENEROUS_FLAGS = [
    "--rate-burst", "1000000", "--rate-per-second", "1000000",
    "--max-per-address", "0", "--max-connections", "0",
]
"""The same for a server started from the command line (the flags that exist)."""


# -- figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Latency:
    """Round-trip times of one phase, in seconds."""

    samples: tuple[float, ...]

    @property
    def p50(self) -> float:
        return self._quantile(0.50)

    @property
    def p99(self) -> float:
        return self._quantile(0.99)

    @property
    def max(self) -> float:
        return max(self.samples) if self.samples else float("nan")

    def _quantile(self, q: float) -> float:
        """The nearest-rank quantile (no interpolation, so it is a measured value)."""
        if not self.samples:
            return float("nan")
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def row(self) -> dict[str, float]:
        """p50, p99 and max in milliseconds, for tables and JSON."""
        return {
            "n": len(self.samples),
            "p50_ms": round(self.p50 * 1000, 2),
            "p99_ms": round(self.p99 * 1000, 2),
            "max_ms": round(self.max * 1000, 2),
        }

    def __str__(self) -> str:
        ms = self.row()
        return f"p50 {ms['p50_ms']} ms, p99 {ms['p99_ms']} ms, max {ms['max_ms']} ms"


# -- the server's log ----------------------------------------------------------------------


class LogWatch(logging.Handler):
    """Records every server log record that carries a traceback or is an error.

    Attached to the ``tuichat`` logger; ``propagate`` is turned off meanwhile so tens of
    thousands of expected ``bad frame`` warnings do not flood pytest's capture or stderr.
    """

    def __init__(self, logger: str = "tuichat") -> None:
        super().__init__(level=logging.WARNING)
        self.logger = logging.getLogger(logger)
        self.problems: list[logging.LogRecord] = []
        self.warnings = 0
        self._saved = (self.logger.level, self.logger.propagate)

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.problems.append(record)
        else:
            self.warnings += 1

    def __enter__(self) -> LogWatch:
        self.logger.addHandler(self)
        self.logger.setLevel(logging.WARNING)
        self.logger.propagate = False
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self._saved[0])
        self.logger.propagate = self._saved[1]

    def report(self) -> str:
        """Every recorded problem with its traceback, for a failure message."""
        parts = []
        for record in self.problems:
            text = f"{record.levelname} {record.name}: {record.getMessage()}"
            if record.exc_info:
                text += "\n" + "".join(traceback.format_exception(*record.exc_info))
            parts.append(text)
        return "\n".join(parts)


@contextlib.contextmanager
def running_server(data_dir: Path, **overrides: Any) -> Iterator[Server]:
    """An in-process server on free loopback ports, stopped on exit."""
    options: dict[str, Any] = {
        "host": "127.0.0.1", "port_send": 0, "port_recv": 0, "port_image": 0,
        "data_dir": data_dir, "admin_password": ADMIN_PASSWORD,
    }
    options.update(overrides)
    server = Server(ServerConfig(**options))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        if not server.wait(WAIT):
            raise AssertionError("the server did not stop")


def reactor_alive(server: Server) -> bool:
    """True while the server's loop thread runs."""
    thread = server.reactor.thread
    return thread is not None and thread.is_alive()


def client_hello() -> bytes:
    """The first flight of a TLS client: what a handshake flood sends before it vanishes."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    outgoing = ssl.MemoryBIO()
    client = context.wrap_bio(ssl.MemoryBIO(), outgoing)
    with contextlib.suppress(ssl.SSLWantReadError):
        client.do_handshake()
    return outgoing.read()


# -- the server as a process ---------------------------------------------------------------


def read_until(sock: socket.socket, kind: str, chunk: int = 65_536) -> Frame:
    """Read frames from a bare socket until one of ``kind`` (a set-up answer: welcome,
    attached); an ``error`` first fails. Reads ``chunk`` bytes at a time, so a small
    chunk leaves later bytes unread in the socket."""
    decoder = FrameDecoder()
    while True:
        data = sock.recv(chunk)
        if not data:
            raise AssertionError(f"the server closed before sending {kind}")
        for decoded in decoder.feed(data):
            if decoded.frame.get("type") == kind:
                return decoded.frame
            if decoded.frame.get("type") == "error":
                raise AssertionError(f"set-up refused: {decoded.frame}")


def free_ports(count: int = 3) -> list[int]:
    """Ports free on the loopback right now (bound to port 0, then released)."""
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


class ServerProcess:
    """``tuichat-server`` in a subprocess on fixed ports, so it can be killed and restarted
    on the same ports and data dir. Its stderr is collected over every start."""

    def __init__(self, data_dir: Path, *options: str, admin: bool = True) -> None:
        self.data_dir = data_dir
        send, recv, image = free_ports()
        self.ports = Ports(send=send, recv=recv, image=image)
        self.options = ("--admin-password", ADMIN_PASSWORD, *options) if admin else options
        """Without ``admin`` the server makes its own token in ``admin.token``."""
        self.log: list[str] = []
        self.starts = 0
        self.crashes = 0
        """Times the process was found dead when we came to kill or stop it."""
        self.process: subprocess.Popen[str] | None = None
        self._collector: threading.Thread | None = None

    def start(self) -> None:
        """Start the server and return once it listens."""
        command = [
            sys.executable, "-m", "tuichat.server.cli", "--host", "127.0.0.1",
            "--port-send", str(self.ports.send), "--port-recv", str(self.ports.recv),
            "--port-image", str(self.ports.image), "--data-dir", str(self.data_dir),
            *self.options,
        ]
        env = {**os.environ, "COLUMNS": "200", "TUICHAT_ADMIN_PASSWORD": ""}
        process = subprocess.Popen(
            command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env
        )
        self.process = process
        self.starts += 1
        ready = threading.Event()
        self._collector = threading.Thread(target=self._collect, args=(process, ready),
                                           daemon=True)
        self._collector.start()
        if not ready.wait(WAIT) or process.poll() is not None:
            raise AssertionError(f"the server did not start: {''.join(self.log[-20:])}")

    def _collect(self, process: subprocess.Popen[str], ready: threading.Event) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self.log.append(line)
            if "listening on" in line:
                ready.set()
        ready.set()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye."""
        if self.process is None:
            return
        if self.process.poll() is not None:
            self.crashes += 1
            return
        self.process.kill()
        self.process.wait(WAIT)

    def stop(self) -> int | None:
        """SIGTERM and wait (the clean stop); the exit code, None if it was not running."""
        if self.process is None:
            return None
        if self.process.poll() is not None:
            self.crashes += 1
            return None
        self.process.terminate()
        code = self.process.wait(WAIT)
        if self._collector is not None:  # every line the process wrote is in ``log``
            self._collector.join(WAIT)
        return code

    def problems(self) -> list[str]:
        """Log lines that show a traceback or an error (the RichHandler's level column)."""
        return [
            line for line in self.log
            if "Traceback" in line or " ERROR " in line or " CRITICAL " in line
        ]


# -- a well-behaved client -------------------------------------------------------------------


class Probe:
    """A well-behaved client that says numbered lines and times each echo.

    Keeps only what it needs (echoes by ref, leave reasons), so a busy room costs it
    nothing but reading.
    """

    def __init__(self, ports: Ports, name: str = "probe", **options: Any) -> None:
        self._cond = threading.Condition()
        self._echoes: dict[str, float] = {}
        self._refused: set[str] = set()
        self._refs = itertools.count(1)
        self.leaves: Counter[str] = Counter()
        self.closed_reason: str | None = None
        self.conn = Connection.open(
            "127.0.0.1", name, port_send=ports.send, port_recv=ports.recv,
            port_image=ports.image, timeout=WAIT, on_frame=self._on_frame,
            on_close=self._on_close, **options,
        )

    def _on_frame(self, channel: Channel, frame: Frame, payload: bytes | None) -> None:
        kind, ref = frame.get("type"), frame.get("ref")
        with self._cond:
            if kind == "message" and isinstance(ref, str):
                self._echoes[ref] = time.perf_counter()
            elif kind == "notice" and isinstance(ref, str):
                self._refused.add(ref)
            elif kind == "leave":
                self.leaves[str(frame.get("reason"))] += 1
            else:
                return
            self._cond.notify_all()

    def _on_close(self, reason: str) -> None:
        with self._cond:
            self.closed_reason = reason
            self._cond.notify_all()

    def round_trip(self) -> float:
        """Say a line and return the seconds until its echo came back."""
        ref = f"p-{next(self._refs)}"
        started = time.perf_counter()
        self.conn.say(f"probe line {ref}", ref=ref)
        deadline = time.monotonic() + WAIT
        with self._cond:
            while ref not in self._echoes:
                if ref in self._refused:
                    raise AssertionError(f"the server refused the probe's line {ref}")
                if self.closed_reason is not None:
                    raise AssertionError(f"the probe was disconnected: {self.closed_reason}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no echo of the probe's line within {WAIT} s")
                self._cond.wait(remaining)
            return self._echoes.pop(ref) - started

    def sample(self, count: int, seconds: float = 0.0) -> Latency:
        """``count`` round trips one after another, going on for at least ``seconds``."""
        until = time.monotonic() + seconds
        samples = [self.round_trip() for _ in range(count)]
        while time.monotonic() < until:
            samples.append(self.round_trip())
        return Latency(tuple(samples))

    def wait_for_leaves(self, reason: str, count: int, timeout: float = WAIT) -> bool:
        """Wait until ``count`` users have left with ``reason``; False on time-out."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.leaves[reason] < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def close(self) -> None:
        self.conn.close()
