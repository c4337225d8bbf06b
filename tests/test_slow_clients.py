"""Slow clients cannot slow the room: slowloris connections and clients that never read.

The server runs as its own process, so the latency a well-behaved client sees is the
server's, not this test process's. Each test measures the probe's round trip (``say`` to
its own echo) in a quiet room first, then during the attack, and compares medians; a
server that blocked on a slow client would stall every echo and fail the bounds.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.faultkit import GENEROUS_FLAGS, WAIT, Latency, Probe, ServerProcess, read_until
from tuichat.net.client import Connection
from tuichat.net.codec import encode
from tuichat.server.app import Ports

SAMPLES = 200
"""Round trips per measurement; the median of 200 shrugs off a few scheduler hiccups."""
ATTACK_SECONDS = 3.0
"""How long the probe keeps measuring during a slowloris attack."""
MEDIAN_SLACK = 0.020
"""How much the median may grow during an attack (seconds)."""
P99_BOUND = 0.250
"""The 99th percentile allowed during an attack (seconds): a server that blocks on a slow
client stalls round trip after round trip, while one scheduler hiccup on a loaded
machine moves only the maximum."""
WORST_CASE = 1.0
"""The slowest single round trip allowed during an attack (seconds)."""
SERVER_FLAGS = [*GENEROUS_FLAGS, "--setup-timeout", "120"]
"""Limits that never bite, and set-up time long enough that no attacker is cut for being
slow: the server must cope with all of them at once."""


def latency_problem(normal: Latency, during: Latency) -> str | None:
    """Why ``during`` is too slow next to ``normal``, or None when it is fine."""
    if during.p50 > normal.p50 + MEDIAN_SLACK:
        return f"median {during.p50 * 1000:.1f} ms against {normal.p50 * 1000:.1f} ms normally"
    if during.p99 > P99_BOUND:
        return f"99th percentile {during.p99 * 1000:.1f} ms (at most {P99_BOUND * 1000:g} ms)"
    if during.max > WORST_CASE:
        return f"slowest round trip {during.max * 1000:.1f} ms (at most {WORST_CASE * 1000:g} ms)"
    return None


# -- attackers ----------------------------------------------------------------------------------


def _connect(port: int, receive_buffer: int | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:  # set before connecting, so the window stays small
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(WAIT)
    sock.connect(("127.0.0.1", port))
    return sock


def _join_raw(ports: Ports, name: str, receive_buffer: int | None = None
              ) -> list[socket.socket]:
    """A joined session on bare sockets: recv (welcome read), send and image attached."""
    recv = _connect(ports.recv, receive_buffer)
    recv.sendall(encode({"type": "hello", "version": 1, "name": name}))
    token = read_until(recv, "welcome", chunk=4096)["session"]
    sockets = [recv]
    for port in (ports.send, ports.image):
        channel = _connect(port)
        channel.sendall(encode({"type": "attach", "session": token}))
        read_until(channel, "attached", chunk=4096)
        sockets.append(channel)
    return sockets


class Slowloris:
    """Connections that each send one more byte of a frame every ``interval`` seconds and
    never finish it: before ``hello`` on recv, before ``attach`` on send and image, and
    inside a ``say`` on joined sessions' send channels."""

    def __init__(self, ports: Ports, per_channel: int = 100, joined: int = 20,
                 interval: float = 0.05) -> None:
        self.interval = interval
        self.streams: list[tuple[socket.socket, bytes]] = []
        openers = {
            ports.recv: b'{"type":"hello","version":1,"name":"',
            ports.send: b'{"type":"attach","session":"',
            ports.image: b'{"type":"attach","session":"',
        }
        for port, opener in openers.items():
            self.streams += [(_connect(port), opener) for _ in range(per_channel)]
        self._held: list[socket.socket] = []
        for number in range(joined):
            recv, send, image = _join_raw(ports, f"slow{number}")
            self._held += [recv, image]
            self.streams.append((send, b'{"type":"say","text":"'))
        self.bytes_sent = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._dribble, name="slowloris", daemon=True)

    def _dribble(self) -> None:
        position = 0
        while not self._stop.is_set():
            for sock, opener in self.streams:
                byte = opener[position:position + 1] or b"a"  # the frame never ends
                try:
                    sock.send(byte)
                except OSError as exc:
                    self.failures.append(f"{sock.getsockname()}: {exc}")
            self.bytes_sent += len(self.streams)
            position += 1
            self._stop.wait(self.interval)  # the attack's pace, not a synchronisation

    def __enter__(self) -> Slowloris:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(WAIT)
        for sock, _ in self.streams:
            sock.close()
        for sock in self._held:
            sock.close()

    @property
    def connections(self) -> int:
        return len(self.streams) + len(self._held)

    def still_open(self) -> int:
        """Attack connections the server has not closed (a peek, without blocking)."""
        open_count = 0
        for sock, _ in self.streams:
            sock.setblocking(False)
            try:
                sock.recv(1 << 16, socket.MSG_PEEK)  # an error frame, or the end: not held
            except BlockingIOError:
                open_count += 1  # nothing from the server: still waiting for our frame
            except OSError:
                pass
            finally:
                sock.settimeout(WAIT)
        return open_count


class BusyRoom:
    """A client saying long lines at a steady pace, so everyone's queue keeps filling."""

    def __init__(self, ports: Ports, lines_per_tick: int = 10, tick: float = 0.05) -> None:
        self.text = "語" * 4_000  # 12 kB of UTF-8 per message
        self.lines_per_tick = lines_per_tick
        self.tick = tick
        self.sent = 0
        self.conn = Connection.open(
            "127.0.0.1", "loud", port_send=ports.send, port_recv=ports.recv,
            port_image=ports.image, timeout=WAIT,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._talk, name="busy-room", daemon=True)

    def _talk(self) -> None:
        while not self._stop.is_set():
            for _ in range(self.lines_per_tick):
                self.conn.say(self.text)
                self.sent += 1
            self._stop.wait(self.tick)  # the load's pace, not a synchronisation

    def __enter__(self) -> BusyRoom:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(WAIT)
        self.conn.close()


class NeverReaders:
    """Joined sessions that read their ``welcome`` and then nothing, with a small receive
    window, so what the room sends them piles up in the server's queue."""

    def __init__(self, ports: Ports, count: int = 10) -> None:
        self.count = count
        self.sessions = [_join_raw(ports, f"deaf{n}", receive_buffer=4096) for n in range(count)]

    def close(self) -> None:
        for sockets in self.sessions:
            for sock in sockets:
                sock.close()


# -- measurements ---------------------------------------------------------------------------------


@contextlib.contextmanager
def probe_of(server: ServerProcess, name: str) -> Iterator[Probe]:
    probe = Probe(server.ports, name=name)
    try:
        yield probe
    finally:
        probe.close()


def measure_slowloris(server: ServerProcess, seconds: float = ATTACK_SECONDS
                      ) -> tuple[Latency, Latency, Slowloris]:
    """The probe's latency before and during a slowloris attack, and the attack."""
    with probe_of(server, "calm") as probe:
        normal = probe.sample(SAMPLES)
        with Slowloris(server.ports) as attack:
            during = probe.sample(SAMPLES, seconds)
            open_at_end = attack.still_open()
        assert open_at_end == len(attack.streams), "the attack did not last the measurement"
        assert not attack.failures, attack.failures[:3]
    return normal, during, attack


def measure_never_readers(server: ServerProcess, count: int = 10
                          ) -> tuple[Latency, Latency, Probe]:
    """The probe's latency before, and while never-readers fill their queues in a busy
    room until each is cut off; the probe, which saw them leave."""
    with probe_of(server, "patient") as probe:
        normal = probe.sample(SAMPLES)
        deaf = NeverReaders(server.ports, count)
        try:
            with BusyRoom(server.ports):
                round_trips: list[float] = []
                deadline = time.monotonic() + 3 * WAIT
                while probe.leaves["error"] < count or len(round_trips) < SAMPLES:
                    round_trips.append(probe.round_trip())
                    assert time.monotonic() < deadline, "the never-readers were not cut off"
        finally:
            deaf.close()
        return normal, Latency(tuple(round_trips)), probe


# -- tests -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("slow"), *SERVER_FLAGS)
    process.start()
    yield process
    assert process.stop() == 0, "the server did not stop cleanly"
    assert not process.problems(), "".join(process.problems())


def test_slowloris_does_not_slow_the_room(server: ServerProcess) -> None:
    normal, during, attack = measure_slowloris(server)
    assert attack.connections >= 340
    assert latency_problem(normal, during) is None, (
        f"{latency_problem(normal, during)}; normal {normal}, during {during}"
    )
    assert server.running and not server.problems()


def test_never_readers_are_cut_off_without_slowing_the_room(server: ServerProcess) -> None:
    normal, during, probe = measure_never_readers(server)
    assert probe.leaves["error"] >= 10, "every never-reader was cut off (leave reason error)"
    assert latency_problem(normal, during) is None, (
        f"{latency_problem(normal, during)}; normal {normal}, during {during}"
    )
    assert server.running and not server.problems()


def test_the_bounds_catch_a_server_that_stalls(server: ServerProcess) -> None:
    """Stopping the server for 0.4 s (as a blocking send would) breaks the bounds: with 50
    round trips the 99th percentile is the slowest."""
    assert server.process is not None
    with probe_of(server, "watcher") as probe:
        normal = probe.sample(50)
        server.process.send_signal(signal.SIGSTOP)
        resume = threading.Timer(0.4, server.process.send_signal, args=(signal.SIGCONT,))
        resume.start()  # the injected stall lasts 0.4 s
        try:
            during = probe.sample(50)
        finally:
            resume.join()
    problem = latency_problem(normal, during)
    assert problem is not None and "99th percentile" in problem
