"""The chunked outbox over a real socket pair: bytes arrive in order, the meter agrees with
the queue, and dropping the unsent never cuts a chunk (a frame) in half."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuichat.server.outbox import Outbox


class Meter:
    """Counts what the outbox reports, like the server-wide budget."""

    def __init__(self) -> None:
        self.queued = 0

    def grow(self, size: int) -> None:
        self.queued += size

    def shrink(self, size: int) -> None:
        self.queued -= size


@contextlib.contextmanager
def socket_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected pair whose sending end takes little at a time."""
    sender, receiver = socket.socketpair()
    sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # partial sends
    sender.setblocking(False)
    receiver.settimeout(5)
    yield sender, receiver
    sender.close()
    receiver.close()


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    with socket_pair() as sockets:
        yield sockets


def drain(outbox: Outbox, sender: socket.socket, receiver: socket.socket) -> bytes:
    """Send everything queued, reading the other end as it goes."""
    received = bytearray()
    while outbox:
        try:
            outbox.send(sender)
        except BlockingIOError:
            received += receiver.recv(1 << 20)
    sender.shutdown(socket.SHUT_WR)
    while data := receiver.recv(1 << 20):
        received += data
    return bytes(received)


chunks = st.lists(st.integers(min_value=1, max_value=30_000), min_size=1, max_size=40).map(
    lambda sizes: [bytes([number % 256]) * size for number, size in enumerate(sizes)])
"""Chunks of up to 30 kB (the socket takes about 8 kB at a time), each its own byte."""


@settings(max_examples=60, deadline=None)
@given(chunks=chunks, sent_before_drop=st.integers(min_value=0, max_value=200_000))
def test_dropping_the_unsent_keeps_whole_chunks(chunks: list[bytes],
                                                sent_before_drop: int) -> None:
    with socket_pair() as (sender, receiver):
        check_drop(sender, receiver, chunks, sent_before_drop)


def check_drop(sender: socket.socket, receiver: socket.socket, chunks: list[bytes],
               sent_before_drop: int) -> None:
    """Send about ``sent_before_drop`` bytes, drop the unsent, send the rest."""
    meter = Meter()
    outbox = Outbox(meter)
    for number, chunk in enumerate(chunks):
        outbox.append(chunk, tag=str(number))
    assert meter.queued == outbox.size == sum(map(len, chunks))
    received = bytearray()
    while outbox and len(received) < sent_before_drop:
        try:
            outbox.send(sender)
        except BlockingIOError:
            received += receiver.recv(1 << 20)
    outbox.drop_unsent()
    assert meter.queued == outbox.size
    received += drain(outbox, sender, receiver)
    whole, offset = 0, 0
    while whole < len(chunks) and offset + len(chunks[whole]) <= len(received):
        assert received[offset:offset + len(chunks[whole])] == chunks[whole]
        offset += len(chunks[whole])
        whole += 1
    assert offset == len(received), "the stream ends at the end of a chunk"
    assert meter.queued == 0


def test_a_tag_is_held_until_its_last_byte_is_sent(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    sender, receiver = pair
    outbox = Outbox()
    outbox.append(b"a" * 100_000, tag="big")
    outbox.append(b"b" * 10, tag="small")
    with pytest.raises(BlockingIOError):
        while True:
            outbox.send(sender)
    assert outbox.holds("big") and outbox.holds("small")
    assert len(drain(outbox, sender, receiver)) == 100_010
    assert not outbox.holds("big") and not outbox.holds("small")
