"""Shared fixtures: a real server on ephemeral loopback ports, and clients that record."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.system import MISSING, REQUIRE_ENV
from tuichat.net.client import Connection
from tuichat.net.codec import Decoded, FrameDecoder, encode
from tuichat.net.frames import Channel, Frame
from tuichat.server.app import Server
from tuichat.server.config import ServerConfig

ADMIN_PASSWORD = "correct horse battery staple"
WAIT = 10.0
"""Upper bound for any wait in a test; a wait ends as soon as its condition holds."""
ELSEWHERE = "127.0.0.2"
"""A second source address on the loopback interface (bans, per-address limits)."""

FramePredicate = Callable[[Frame], bool]


def matching(frame_type: str, **fields: Any) -> FramePredicate:
    """A predicate for frames of ``frame_type`` whose keys equal ``fields``."""

    def predicate(frame: Frame) -> bool:
        return frame.get("type") == frame_type and all(
            frame.get(key) == value for key, value in fields.items()
        )

    return predicate


@dataclass
class Inbox:
    """Every frame a client received, with waiting on a condition (never on time)."""

    frames: list[tuple[Channel, Frame, bytes | None]] = field(default_factory=list)
    closed_reason: str | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def on_frame(self, channel: Channel, frame: Frame, payload: bytes | None) -> None:
        with self._cond:
            self.frames.append((channel, frame, payload))
            self._cond.notify_all()

    def on_close(self, reason: str) -> None:
        with self._cond:
            self.closed_reason = reason
            self._cond.notify_all()

    def all(self, predicate: FramePredicate) -> list[Frame]:
        with self._cond:
            return [frame for _, frame, _ in self.frames if predicate(frame)]

    def wait_for(self, predicate: FramePredicate, count: int = 1) -> Frame:
        """The ``count``-th frame matching ``predicate``, waiting for it to arrive."""
        deadline = time.monotonic() + WAIT
        with self._cond:
            while True:
                found = [frame for _, frame, _ in self.frames if predicate(frame)]
                if len(found) >= count:
                    return found[count - 1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [frame.get("type") for _, frame, _ in self.frames[-20:]]
                    raise AssertionError(f"frame not received; last frames: {seen}")
                self._cond.wait(remaining)

    def wait_closed(self) -> str:
        deadline = time.monotonic() + WAIT
        with self._cond:
            while self.closed_reason is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("connection did not close")
                self._cond.wait(remaining)
            return self.closed_reason


@dataclass
class Client:
    """A joined Connection and what it received."""

    conn: Connection
    inbox: Inbox

    def say_and_wait(self, text: str) -> Frame:
        """Say ``text`` and return the echo of it (so it is stored and broadcast)."""
        ref = self.conn.say(text)
        return self.inbox.wait_for(matching("message", ref=ref))


class RawChannel:
    """A bare socket speaking frames, for testing what the Connection would never send."""

    def __init__(self, port: int, source: str | None = None,
                 receive_buffer: int | None = None) -> None:
        """Connect to ``port`` on 127.0.0.1, from ``source`` when given (any address of
        127/8 works on Linux, so tests can come from two addresses); a small
        ``receive_buffer`` makes a client that does not read fill the server's queue."""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:  # before connecting, so the window stays small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(WAIT)
        if source is not None:
            self.sock.bind((source, 0))
        self.sock.connect(("127.0.0.1", port))
        self.decoder = FrameDecoder()
        self.pending: list[Decoded] = []

    def send(self, frame: Frame, payload: bytes | None = None) -> None:
        self.sock.sendall(encode(frame, payload))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self) -> Decoded:
        """The next frame; AssertionError if the server closed first."""
        while not self.pending:
            data = self.sock.recv(65_536)
            if not data:
                raise AssertionError("connection closed before a frame arrived")
            self.pending.extend(self.decoder.feed(data))
        return self.pending.pop(0)

    def read_frame(self) -> Frame:
        return self.read().frame

    def read_until(self, predicate: FramePredicate) -> Frame:
        while True:
            frame = self.read_frame()
            if predicate(frame):
                return frame

    def closed_by_server(self) -> bool:
        """True when the server closes the connection (reading past what it still sends)."""
        try:
            while True:
                data = self.sock.recv(65_536)
                if not data:
                    return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


class RawUser:
    """A session over three bare sockets from a chosen source address."""

    def __init__(self, server: Server, name: str, source: str,
                 receive_buffer: int | None = None) -> None:
        ports = server.ports
        self.recv = RawChannel(ports.recv, source, receive_buffer)
        self.recv.send({"type": "hello", "version": 1, "name": name, "client": "test"})
        self.welcome = self.recv.read_frame()
        assert self.welcome["type"] == "welcome", self.welcome
        self.channels = [self.recv]
        for port in (ports.send, ports.image):
            channel = RawChannel(port, source, receive_buffer)
            channel.send({"type": "attach", "session": self.welcome["session"]})
            assert channel.read_frame()["type"] == "attached"
            self.channels.append(channel)
        self.send = self.channels[1]
        self.image = self.channels[2]

    def close(self) -> None:
        for channel in self.channels:
            channel.close()


RawFactory = Callable[..., RawUser]


@pytest.fixture
def raw_join(server: Server) -> Iterator[RawFactory]:
    """Join over raw sockets, from 127.0.0.2 unless told otherwise."""
    users: list[RawUser] = []

    def factory(name: str, target: Server | None = None, source: str = ELSEWHERE) -> RawUser:
        user = RawUser(target or server, name, source)
        users.append(user)
        return user

    yield factory
    for user in users:
        user.close()


ServerFactory = Callable[..., Server]


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start servers on free loopback ports; all are stopped after the test."""
    servers: list[Server] = []

    def factory(**overrides: Any) -> Server:
        options: dict[str, Any] = {
            "host": "127.0.0.1",
            "port_send": 0,
            "port_recv": 0,
            "port_image": 0,
            "data_dir": tmp_path / f"data-{len(servers)}",
            "admin_password": ADMIN_PASSWORD,
            # Every test client comes from 127.0.0.1 and types faster than a person: these
            # limits are off unless a test sets them (tests/test_limits.py does).
            "rate_burst": 0,
            "max_per_address": 0,
            "auth_max_failures": 0,
            "auth_budget": 0,
        }
        options.update(overrides)
        server = Server(ServerConfig(**options))
        server.start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()
        assert server.wait(WAIT), "server did not stop"


@pytest.fixture
def server(make_server: ServerFactory) -> Server:
    return make_server()


ClientFactory = Callable[..., Client]


@pytest.fixture
def join(server: Server) -> Iterator[ClientFactory]:
    """Join ``server`` (or another one given) as a recording client."""
    clients: list[Client] = []

    def factory(name: str, target: Server | None = None, **options: Any) -> Client:
        ports = (target or server).ports
        inbox = Inbox()
        conn = Connection.open(
            "127.0.0.1",
            name,
            port_send=ports.send,
            port_recv=ports.recv,
            port_image=ports.image,
            timeout=WAIT,
            on_frame=inbox.on_frame,
            on_close=inbox.on_close,
            **options,
        )
        client = Client(conn, inbox)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.conn.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """In CI (``TUICHAT_REQUIRE_SYSTEM`` set), a test skipped for a missing system program
    fails instead: CI installs them all, so such a skip means a door went untested."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get(REQUIRE_ENV) and MISSING in str(report.longrepr):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where it must run: {report.longrepr}"
