"""TLS handshakes in flight (issue 12, defect 5), over real sockets.

A flood of ClientHellos from clients that vanish must leave nothing behind, and too many
handshakes at once, from one address or in all, get their connection closed before any
TLS work.
"""

from __future__ import annotations

import contextlib
import gc
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tests.conftest import ELSEWHERE, WAIT, Inbox, ServerFactory, matching
from tests.faultkit import client_hello
from tests.test_output_budget import wait_until
from tuichat.net.client import Connection
from tuichat.net.tls import KnownHosts, TlsClientConfig
from tuichat.server.app import Server
from tuichat.server.doors.native.peer import Peer, _Tls

T = TypeVar("T")
FLOOD = 200


def on_loop(server: Server, question: Callable[[], T]) -> T:
    """Ask ``question`` on the server's loop thread (where its state may be read)."""
    answers: list[T] = []
    done = threading.Event()

    def ask() -> None:
        answers.append(question())
        done.set()

    server.reactor.call_soon_threadsafe(ask)
    assert done.wait(WAIT), "the server's loop did not answer"
    return answers[0]


def hello_and_vanish(port: int, hello: bytes, source: str = "127.0.0.1") -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT,
                                  source_address=(source, 0)) as sock:
        sock.sendall(hello)


def connect(port: int, source: str) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=WAIT,
                                    source_address=(source, 0))


def closed_unanswered(sock: socket.socket, hello: bytes) -> bool:
    """True when the server closes ``sock`` without a byte of TLS, whether or not our
    ClientHello got there first (then the close is a reset)."""
    with contextlib.suppress(OSError):
        sock.sendall(hello)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True


def objects_held() -> tuple[int, int]:
    """Peers and TLS states alive in this process (the server runs in it)."""
    gc.collect()
    objects = gc.get_objects()
    return (sum(isinstance(item, Peer) for item in objects),
            sum(isinstance(item, _Tls) for item in objects))


def join_over_tls(server: Server, name: str, tmp_path: Path) -> tuple[Connection, Inbox]:
    """A well-behaved client that pins the server's self-signed certificate."""
    trust = TlsClientConfig(known_hosts=KnownHosts(tmp_path / f"known-{name}"),
                            ask=lambda *_: True)
    ports, inbox = server.ports, Inbox()
    conn = Connection.open("127.0.0.1", name, port_send=ports.send, port_recv=ports.recv,
                           port_image=ports.image, timeout=WAIT, on_frame=inbox.on_frame,
                           on_close=inbox.on_close, tls=trust)
    return conn, inbox


def test_clients_that_send_a_hello_and_vanish_leave_nothing_behind(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    server = make_server(tls=True, setup_timeout=60)  # the set-up timer must not free them
    door = server.door
    assert door is not None
    hello = client_hello()
    for number in range(FLOOD):
        hello_and_vanish((server.ports.recv, server.ports.send)[number % 2], hello)
    wait_until(lambda: on_loop(server, lambda: door.open_peers == 0
                               and door.handshakes.in_flight == 0),
               "the server saw every connection end")
    assert on_loop(server, objects_held) == (0, 0), "closed connections are freed at once"
    conn, inbox = join_over_tls(server, "after", tmp_path)
    try:
        ref = conn.say("the flood is over")
        assert inbox.wait_for(matching("message", ref=ref))["text"] == "the flood is over"
    finally:
        conn.close()


def test_handshakes_in_flight_are_bounded_per_address_and_in_all(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    server = make_server(tls=True, max_handshakes_per_address=3, max_handshakes=5)
    door = server.door
    assert door is not None
    port, hello = server.ports.recv, client_hello()
    held = [connect(port, "127.0.0.1") for _ in range(3)]  # silent: still in the handshake
    over_address = connect(port, "127.0.0.1")
    assert closed_unanswered(over_address, hello), "closed at once, before any TLS work"
    held += [connect(port, ELSEWHERE) for _ in range(2)]
    over_total = connect(port, "127.0.0.3")
    assert closed_unanswered(over_total, hello), "the total is bounded too"
    assert on_loop(server, lambda: (door.handshakes.in_flight, door.handshakes.refused)) == (5, 2)
    for sock in held[:3]:
        sock.close()
    wait_until(lambda: on_loop(server, lambda: door.handshakes.in_flight) == 2,
               "the closed handshakes no longer count")
    conn, inbox = join_over_tls(server, "welcome", tmp_path)  # 3 handshakes of its own
    try:
        ref = conn.say("in")
        assert inbox.wait_for(matching("message", ref=ref))["from"] == "welcome"
    finally:
        conn.close()
        for sock in [*held[3:], over_address, over_total]:
            sock.close()
