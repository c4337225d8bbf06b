"""The server holds 1,000 clients (3,000 sockets) and still delivers to every one."""

from __future__ import annotations

import selectors
import socket
import time
from typing import Any

import pytest

from tests.conftest import WAIT, RawChannel, ServerFactory, matching
from tuichat.server.app import Server

CLIENTS = 1_000


Joined = tuple[dict[str, Any], RawChannel, RawChannel, RawChannel]


def _join_raw(server: Server, name: str) -> Joined:
    """Join with bare sockets (no reader threads), attached on all three channels."""
    recv = RawChannel(server.ports.recv)
    recv.send({"type": "hello", "version": 1, "name": name})
    welcome = recv.read_frame()
    assert welcome["type"] == "welcome", welcome
    attached = []
    for port in (server.ports.send, server.ports.image):
        channel = RawChannel(port)
        channel.send({"type": "attach", "session": welcome["session"]})
        assert channel.read_frame()["type"] == "attached"
        attached.append(channel)
    return welcome, recv, attached[0], attached[1]


@pytest.mark.timeout(300)
def test_thousand_clients_connected_and_all_receive(make_server: ServerFactory) -> None:
    server = make_server(max_clients=CLIENTS, max_per_address=0)
    joined = [_join_raw(server, f"user{number:04d}") for number in range(CLIENTS)]

    refused = RawChannel(server.ports.recv)
    refused.send({"type": "hello", "version": 1, "name": "one-too-many"})
    assert refused.read_until(matching("error"))["code"] == "server_full"

    welcome, last_recv = joined[-1][0], joined[-1][1]
    names = {user["name"] for user in welcome["users"]}
    assert len(names) < CLIENTS, "the user list was too big for one frame and was split"
    while len(names) < CLIENTS:
        frame = last_recv.read_until(matching("join", present=True))
        names.add(frame["name"])
    assert names == {f"user{number:04d}" for number in range(CLIENTS)}

    marker = b"all-one-thousand"
    joined[0][2].send({"type": "say", "text": marker.decode()})
    _every_socket_sees(marker, [recv.sock for _, recv, _, _ in joined[:-1]])
    last_recv.read_until(matching("message", text=marker.decode()))
    for _, *channels in joined:
        for channel in channels:
            channel.close()


def _every_socket_sees(marker: bytes, sockets: list[socket.socket]) -> None:
    """Read every socket until each has carried ``marker`` (bounded by WAIT)."""
    selector = selectors.DefaultSelector()
    tails = {}
    for sock in sockets:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        tails[sock] = b""
    deadline = time.monotonic() + WAIT * 3
    while tails and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1.0):
            ready = key.fileobj
            assert isinstance(ready, socket.socket)
            sock = ready
            data = sock.recv(1 << 20)
            assert data, "server closed a connection"
            seen = tails[sock] + data
            if marker in seen:
                selector.unregister(sock)
                del tails[sock]
            else:
                tails[sock] = seen[-len(marker):]
    assert not tails, f"{len(tails)} clients never received the message"
