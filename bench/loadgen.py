"""The load generator of ``bench/fanout.py``: chat clients on raw non-blocking sockets.

A *dialect* knows one server's protocol: how a user joins the room, what one chat line
looks like on the wire, and how to find delivered lines in the bytes a reader receives.
Two speak it here: tuichat (three channels, JSON lines) and IRC (one socket, ngircd).

Each worker runs in its own process (``receiver_main``, ``sender_main``) and is steered
by its parent over a ``multiprocessing`` pipe. Receivers do no per-frame work in Python:
they count delivered lines with ``bytes.count`` of a marker, and the *prompt* readers (see
``Room``) read each line's send time with one compiled regex per ``recv``.

Clocks: a sender stamps each line with ``time.time_ns()`` just before it hands it to the
kernel. A prompt reader asks the kernel when the bytes it reads arrived in its socket
(``SO_TIMESTAMPNS``, CLOCK_REALTIME, the arrival of the newest segment in that read), so
the delay before the reader process gets round to reading is not counted as the server's
latency; it is measured on its own (``lag``). Without kernel timestamps (not Linux) the
time right after ``recv`` stands in.
"""

from __future__ import annotations

import contextlib
import json
import re
import resource
import selectors
import socket
import struct
import time
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Protocol

ROOM = "#bench"
PAD = "fan-out benchmark line with a usual chat length"
"""Text after the stamp, so each line is about as long as a typical chat message."""
READ_SIZE = 262_144
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
"""Linux's option for receive timestamps; Python names it only on some builds."""
ANCILLARY_SIZE = socket.CMSG_SPACE(16)
JOIN_TIMEOUT = 30.0
"""Seconds one user may take to join before the worker gives up on it."""
BATCH = 32
"""Lines a flooding sender builds at once, each with its own send time."""
LOW_WATER = 4_096
"""A flooding sender builds more lines only when less than this is waiting, so a line's
send time is taken just before the socket takes it."""

Ports = Mapping[str, int]
"""Port by channel name: tuichat's ``send``, ``recv`` and ``image``, or ``irc``."""


class JoinError(Exception):
    """The server refused a user, or did not answer in time."""


@dataclass
class Client:
    """One joined user: its sockets, the one it reads the room on, the one it talks on."""

    name: str
    sockets: list[socket.socket]
    reads: socket.socket
    says: socket.socket
    rest: bytes = b""
    """Bytes of an unfinished line from the last read of ``reads``."""
    count: int = 0
    """Chat lines delivered to it while measuring."""
    pending: bytearray = field(default_factory=bytearray)
    """Bytes a sender has built but the socket has not taken yet."""
    lost: bool = False
    prompt: bool = True
    """Read at once and sampled for latency; else read in sweeps and only counted."""

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


class Dialect(Protocol):
    """One server's protocol, as far as the benchmark needs it."""

    name: str
    marker: bytes
    """Occurs once in every delivered chat line, and in nothing else sent while measuring."""
    stamp: re.Pattern[bytes]
    """Captures the send time (ns) of a sampled chat line."""
    ping: bytes
    """Occurs in a keep-alive the client must answer."""

    def join(self, host: str, ports: Ports, name: str) -> Client: ...

    def say(self, text: str) -> bytes: ...

    def pongs(self, lines: bytes) -> bytes: ...


def _read_until(sock: socket.socket, buffer: bytes, done: Callable[[bytes], bool]) -> bytes:
    """Blocking reads until ``done(buffer)``; the whole buffer read so far."""
    while not done(buffer):
        data = sock.recv(READ_SIZE)
        if not data:
            raise JoinError(f"closed by the server after {buffer[-200:]!r}")
        buffer += data
    return buffer


def _connect(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=JOIN_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class Tuichat:
    """tuichat protocol 1: hello on recv, attach on send and image, ``say`` on send."""

    name = "tuichat"
    marker = b'{"type":"message",'
    stamp = re.compile(rb'"text":"S(\d+) ')
    ping = b'{"type":"ping"'

    def join(self, host: str, ports: Ports, name: str) -> Client:
        recv = _connect(host, ports["recv"])
        sockets = [recv]
        try:
            hello = {"type": "hello", "version": 1, "name": name, "client": "fanout/1"}
            recv.sendall(json.dumps(hello).encode() + b"\n")
            buffer = _read_until(recv, b"", lambda data: b"\n" in data)
            line, _, rest = buffer.partition(b"\n")
            welcome = json.loads(line)
            if welcome.get("type") != "welcome":
                raise JoinError(f"{name}: {welcome.get('code')}: {welcome.get('text')}")
            attach = json.dumps({"type": "attach", "session": welcome["session"]}).encode()
            for channel in ("send", "image"):
                sock = _connect(host, ports[channel])
                sockets.append(sock)
                sock.sendall(attach + b"\n")
                answer = json.loads(_read_until(sock, b"", lambda data: b"\n" in data)
                                    .partition(b"\n")[0])
                if answer.get("type") != "attached":
                    raise JoinError(f"{name} on {channel}: {answer.get('text')}")
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        return Client(name, sockets, reads=recv, says=sockets[1], rest=rest)

    def say(self, text: str) -> bytes:
        return b'{"type":"say","text":"' + text.encode() + b'"}\n'

    def pongs(self, lines: bytes) -> bytes:
        return b"".join(b'{"type":"pong","n":0}\n' for _ in range(lines.count(self.ping)))


class Irc:
    """RFC 1459 as ngircd speaks it: NICK and USER, JOIN the room, PRIVMSG to it (the
    same for tuichat's IRC door)."""

    def __init__(self, name: str = "ngircd") -> None:
        self.name = name

    marker = f" PRIVMSG {ROOM} :".encode()
    stamp = re.compile(rb" PRIVMSG " + ROOM.encode() + rb" :S(\d+) ")
    ping = b"PING :"

    def join(self, host: str, ports: Ports, name: str) -> Client:
        sock = _connect(host, ports["irc"])
        try:
            sock.sendall(f"NICK {name}\r\nUSER {name} 0 * :bench\r\n".encode())
            buffer = _read_until(sock, b"", lambda data: b" 001 " in data or _irc_error(data))
            if _irc_error(buffer):
                raise JoinError(f"{name}: {buffer[-300:]!r}")
            sock.sendall(f"JOIN {ROOM}\r\n".encode())
            buffer = _read_until(sock, buffer, lambda data: b" 366 " in data or _irc_error(data))
            if _irc_error(buffer):
                raise JoinError(f"{name}: {buffer[-300:]!r}")
        except BaseException:
            sock.close()
            raise
        cut = buffer.rfind(b"\n") + 1
        return Client(name, [sock], reads=sock, says=sock, rest=buffer[cut:])

    def say(self, text: str) -> bytes:
        return f"PRIVMSG {ROOM} :{text}\r\n".encode()

    def pongs(self, lines: bytes) -> bytes:
        return b"".join(
            b"PONG " + line[5:].strip() + b"\r\n"
            for line in lines.splitlines() if line.startswith(b"PING ")
        )


_IRC_REFUSAL = re.compile(rb"^(?:ERROR :|:\S+ (?:43[1-6]|4[67]\d) )", re.MULTILINE)
"""A closing ERROR, a refused nick (431-436) or a refused join (471-479), at a line start."""


def _irc_error(data: bytes) -> bool:
    """An answer that means the user will not join."""
    return _IRC_REFUSAL.search(data) is not None


DIALECTS: dict[str, Dialect] = {"tuichat": Tuichat(), "tuichat-irc": Irc("tuichat-irc"),
                                 "ngircd": Irc()}


def chat_text(index: int) -> str:
    """The text of message ``index``: ``S``, its send time now, its index, filler."""
    return f"S{time.time_ns()} {index} {PAD}"


def kernel_arrival(ancillary: list[tuple[int, int, bytes]]) -> int:
    """When the newest bytes of a read reached the socket (ns since the epoch), from the
    ``SO_TIMESTAMPNS`` control message; 0 when there is none."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = struct.unpack_from("qq", data)
            return int(seconds * 1_000_000_000 + nanoseconds)
    return 0


def raise_open_files() -> None:
    """Let this process hold as many sockets as the hard limit allows (3 per tuichat user)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Room:
    """The users one worker process holds, and what they received.

    A *prompt* user's socket is read as soon as it is ready, and its chat lines are the
    latency samples. A *lazy* user's socket is read every ``lazy_seconds``, many lines
    at a time; its lines are only counted. A prompt read often costs one ``recv`` per
    delivery, as dear as the server's ``send``; lazy readers keep the generator's CPU
    well below the server's while the kernel buffers what waits for them.
    """

    def __init__(self, dialect: Dialect, lazy_seconds: float = 0.1) -> None:
        self.dialect = dialect
        self.lazy_seconds = lazy_seconds
        self.selector = selectors.DefaultSelector()
        """Prompt users' sockets, and whatever else the worker listens to."""
        self.lazy = selectors.DefaultSelector()
        self.next_sweep = 0.0
        self.clients: list[Client] = []
        self.failures: list[str] = []
        self.measuring = False
        self.latencies = array("q")
        self.lags = array("q")
        """Per timed read: how long the bytes waited in the socket for this process."""
        self.last_ns = 0
        """Receive time of the newest chat line while measuring."""
        self.woke_ns = 0
        """When the last wait for ready sockets ended."""
        self.bytes_in = 0
        self.reads = 0
        """``recv`` calls that returned bytes on a counted socket."""
        self.lost = 0

    def join(self, host: str, ports: Ports, names: list[tuple[str, bool]]) -> None:
        """Join users (name, prompt) one after the other, draining the others' sockets."""
        for name, prompt in names:
            try:
                client = self.dialect.join(host, ports, name)
            except (OSError, JoinError, ValueError) as exc:
                self.failures.append(f"{name}: {exc}")
                continue
            client.prompt = prompt
            if prompt:
                with contextlib.suppress(OSError):
                    client.reads.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            for sock in client.sockets:
                sock.setblocking(False)
                (self.selector if prompt else self.lazy).register(
                    sock, selectors.EVENT_READ, client
                )
            self.clients.append(client)
            self.pump(0)

    def pump(self, timeout: float | None) -> list[selectors.SelectorKey]:
        """Read the sockets that are ready (lazy ones when their sweep is due), waiting at
        most ``timeout``; return the ready keys that are not users' (the control pipe)."""
        if self.lazy.get_map():
            now = time.monotonic()
            if now >= self.next_sweep:
                self._read(self.lazy.select(0))
                self.next_sweep = now + self.lazy_seconds
            wait = max(0.0, self.next_sweep - now)
            timeout = wait if timeout is None else min(timeout, wait)
        ready = self.selector.select(timeout)
        self.woke_ns = time.monotonic_ns()
        return self._read(ready)

    def _read(
        self, ready: list[tuple[selectors.SelectorKey, int]]
    ) -> list[selectors.SelectorKey]:
        others = []
        marker, stamp, latencies = self.dialect.marker, self.dialect.stamp, self.latencies
        for key, _events in ready:
            client = key.data
            if client is None:
                others.append(key)
                continue
            sock: socket.socket = key.fileobj  # type: ignore[assignment]
            timed = client.prompt and sock is client.reads
            try:
                if timed:
                    data, ancillary, _, _ = sock.recvmsg(READ_SIZE, ANCILLARY_SIZE)
                else:
                    data, ancillary = sock.recv(READ_SIZE), []
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                self._lose(client)
                continue
            if sock is not client.reads:
                continue  # tuichat's send and image channels: nothing to count
            now = time.time_ns()
            self.bytes_in += len(data)
            self.reads += 1
            if client.rest:
                data = client.rest + data
            cut = data.rfind(b"\n") + 1
            client.rest = data[cut:]
            if self.measuring:
                delivered = data.count(marker, 0, cut)
                if delivered:
                    client.count += delivered
                    self.last_ns = now
                    if timed:
                        arrived = kernel_arrival(ancillary) or now
                        self.lags.append(now - arrived)
                        latencies.extend([arrived - int(sent) for sent in
                                          stamp.findall(data, 0, cut)])
            if self.dialect.ping in data:
                with contextlib.suppress(OSError):
                    client.says.send(self.dialect.pongs(data[:cut]))
        return others

    def _lose(self, client: Client) -> None:
        if client.lost:
            return
        client.lost = True
        self.lost += 1
        for sock in client.sockets:
            (self.selector if client.prompt else self.lazy).unregister(sock)
        client.close()

    def start_measuring(self) -> None:
        for client in self.clients:
            client.count = 0
        self.reads = 0
        self.latencies = array("q")
        self.lags = array("q")
        self.last_ns = 0
        self.measuring = True

    @property
    def delivered(self) -> int:
        return sum(client.count for client in self.clients)

    def close(self) -> None:
        for client in self.clients:
            if not client.lost:
                client.close()
        self.selector.close()
        self.lazy.close()


def receiver_main(
    control: Connection, dialect: str, host: str, ports: Ports, prompt: bool,
    lazy_seconds: float,
) -> None:
    """A worker process holding receiving users, all prompt or all lazy; its parent says:

    ``("join", names)``: join these users, answer ``("joined", count, failures)``;
    ``("measure",)``: count from now; ``("poll",)``: delivered so far; ``("finish",)``:
    the figures; ``("quit",)``: close and exit.
    """
    raise_open_files()
    room = Room(DIALECTS[dialect], lazy_seconds)
    room.selector.register(control.fileno(), selectors.EVENT_READ, None)
    cpu_start, wall_start = cpu_seconds(), time.monotonic()
    busy_max = 0
    while True:
        woke = room.pump(None)
        if room.measuring and prompt:  # how long a ready socket may have waited on us
            busy_max = max(busy_max, time.monotonic_ns() - room.woke_ns)
        if not woke:
            continue
        command = control.recv()
        if command[0] == "join":
            joined, failed = len(room.clients), len(room.failures)
            room.join(host, ports, [(name, prompt) for name in command[1]])
            control.send(("joined", len(room.clients) - joined, room.failures[failed:]))
        elif command[0] == "measure":
            room.start_measuring()
            cpu_start, wall_start = cpu_seconds(), time.monotonic()
            control.send(("ok",))
        elif command[0] == "poll":
            control.send(("count", room.delivered, room.last_ns, room.bytes_in, room.lost))
        elif command[0] == "finish":
            counts = [client.count for client in room.clients]
            control.send({
                "delivered": sum(counts),
                "min_per_reader": min(counts, default=0),
                "max_per_reader": max(counts, default=0),
                "last_ns": room.last_ns,
                "lost": room.lost,
                "prompt": sum(client.prompt for client in room.clients),
                "reads": room.reads,
                "busy_max_ms": busy_max / 1e6,
                "lags": room.lags.tobytes(),
                "cpu_seconds": cpu_seconds() - cpu_start,
                "wall_seconds": time.monotonic() - wall_start,
                "latencies": room.latencies.tobytes(),
            })
        elif command[0] == "quit":
            room.close()
            control.close()
            return


def sender_main(
    control: Connection, dialect: str, host: str, ports: Ports, names: list[str]
) -> None:
    """A worker process holding the sending users (who also drain their own reads).

    ``("go", count, rate)`` sends ``count`` messages, round robin over the
    senders, at ``rate`` per second in all (0: as fast as the server takes them), and
    answers with the figures; ``("quit",)`` closes and exits.
    """
    room = Room(DIALECTS[dialect])
    room.selector.register(control.fileno(), selectors.EVENT_READ, None)
    room.join(host, ports, [(name, True) for name in names])
    control.send(("joined", len(room.clients), room.failures))
    while True:
        if not room.pump(None):
            continue
        command = control.recv()
        if command[0] == "go":
            _, count, rate = command
            control.send(_send(room, count, rate))
        elif command[0] == "quit":
            room.close()
            control.close()
            return


def _send(room: Room, count: int, rate: float) -> dict[str, Any]:
    """Send ``count`` messages from the room's users; the sender's own figures."""
    senders = [client for client in room.clients if not client.lost]
    say = room.dialect.say
    cpu_start = cpu_seconds()
    first_ns = time.time_ns()
    interval = 1e9 / rate if rate else 0.0
    lateness = array("q")
    index = 0
    while index < count or any(client.pending for client in senders):
        now = time.time_ns()
        if rate:
            while index < count and first_ns + index * interval <= now:
                lateness.append(int(now - (first_ns + index * interval)))
                senders[index % len(senders)].pending += say(chat_text(index))
                index += 1
        else:
            for client in senders:
                if len(client.pending) < LOW_WATER:
                    for _ in range(min(BATCH, count - index)):
                        client.pending += say(chat_text(index))
                        index += 1
        wrote = _write(room, senders)
        if rate:
            due = first_ns + index * interval if index < count else now + 50e6
            timeout: float = max(0.0, (due - time.time_ns()) / 1e9)
        else:
            timeout = 0.0 if wrote else 0.05
        if not wrote and any(client.pending for client in senders):
            timeout = min(timeout, 0.001)  # the socket is full: retry soon
        room.pump(timeout)
    ordered = sorted(lateness)
    return {
        "sent": index,
        "first_ns": first_ns,
        "last_ns": time.time_ns(),
        "cpu_seconds": cpu_seconds() - cpu_start,
        "lateness_p99_ms": ordered[int(0.99 * (len(ordered) - 1))] / 1e6 if ordered else 0.0,
        "lateness_max_ms": ordered[-1] / 1e6 if ordered else 0.0,
        "lost": room.lost,
    }


def _write(room: Room, senders: list[Client]) -> bool:
    """Give each sender's socket what it takes now; True when any took something."""
    wrote = False
    for client in senders:
        if not client.pending or client.lost:
            continue
        try:
            sent = client.says.send(client.pending)
        except BlockingIOError:
            continue
        except OSError:
            room._lose(client)
            client.pending.clear()
            continue
        del client.pending[:sent]
        wrote = wrote or sent > 0
    return wrote
