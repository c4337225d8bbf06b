"""Logging off the loop: records go through a queue in order and are all written at the
end; a burst of idle connections expiring is logged as one line."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import faultkit
from tests.conftest import WAIT, ClientFactory, ServerFactory
from tuichat.server.logs import Tally, queued_logging


class Records(logging.Handler):
    """Keeps every record it is handed, and the thread that handed it."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.threads: set[str] = set()
        self._cond = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._cond:
            self.records.append(record)
            self.threads.add(threading.current_thread().name)
            self._cond.notify_all()

    def texts(self, pattern: str) -> list[str]:
        with self._cond:
            return [r.getMessage() for r in self.records if re.search(pattern, r.getMessage())]

    def wait_for(self, pattern: str, total: int) -> list[str]:
        """The messages matching ``pattern`` once their numbers add up to ``total``."""
        deadline = time.monotonic() + WAIT
        with self._cond:
            while True:
                found = [r.getMessage() for r in self.records
                         if re.search(pattern, r.getMessage())]
                counted = sum(_number(pattern, text) for text in found)
                if counted >= total:
                    return found
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"only {counted} of {total} counted: {found}"
                self._cond.wait(remaining)


@pytest.fixture
def handler() -> Iterator[Records]:
    """The server's INFO records while the test runs."""
    records = Records()
    records.setLevel(logging.INFO)
    logger = logging.getLogger("tuichat.server")
    saved = logger.level
    logger.addHandler(records)
    logger.setLevel(logging.INFO)
    try:
        yield records
    finally:
        logger.removeHandler(records)
        logger.setLevel(saved)


def _number(pattern: str, text: str) -> int:
    """The number ``pattern``'s first group finds in ``text`` (``1,500`` is 1500)."""
    match = re.search(pattern, text)
    assert match is not None
    return int(match[1].replace(",", ""))


def test_records_reach_the_handler_in_order_on_another_thread_and_all_at_exit() -> None:
    handler = Records()
    logger = logging.getLogger("tuichat.test.queue")
    logger.propagate = False
    with queued_logging(handler, "info", logger):
        for n in range(2_000):
            logger.info("line %d", n)
        logger.debug("not at info")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    # Leaving the block stopped the listener, which wrote every queued record first.
    messages = [record.getMessage() for record in handler.records]
    assert messages == [f"line {n}" for n in range(2_000)] + ["failed"]
    assert threading.current_thread().name not in handler.threads
    exc_info = handler.records[-1].exc_info
    assert exc_info is not None and isinstance(exc_info[1], ValueError)  # rich tracebacks
    assert not logger.handlers


def test_arguments_are_formatted_when_logged_not_when_written() -> None:
    handler = Records()
    logger = logging.getLogger("tuichat.test.queue-args")
    logger.propagate = False
    names = ["alice"]
    with queued_logging(handler, "info", logger):
        logger.info("users: %s", names)
        names.append("bob")
    assert [record.getMessage() for record in handler.records] == ["users: ['alice']"]


def test_idle_connections_expiring_together_are_logged_as_one_line(
    make_server: ServerFactory, handler: Records,
) -> None:
    server = make_server(setup_timeout=1.0)
    idle = [socket.create_connection(("127.0.0.1", server.ports.recv), timeout=WAIT)
            for _ in range(200)]
    try:
        for sock in idle:
            assert sock.recv(1) == b""  # the server closed it
        lines = handler.wait_for(r"closed ([\d,]+) idle connections?", 200)
    finally:
        for sock in idle:
            sock.close()
    assert len(lines) <= 2, lines  # one a second: 200 sockets opened within about one
    assert lines[0].endswith("(no hello or attach within 1 s), from 127.0.0.1")
    assert not handler.texts("sent no")


def test_tally_names_its_addresses_and_flushes_early() -> None:
    handler = Records()
    logger = logging.getLogger("tuichat.test.tally")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    scheduled: list[float] = []
    tally = Tally(logger, lambda count: f"closed {count}", lambda delay, _: scheduled.append(delay))
    tally.flush()  # nothing counted: nothing logged
    for host in ["10.0.0.1"] * 3 + ["10.0.0.2"]:
        tally.add(host)
    tally.flush()
    tally.add("10.0.0.3")
    tally.flush()
    logger.removeHandler(handler)
    assert [r.getMessage() for r in handler.records] == [
        "closed 4, from 2 addresses, most from 10.0.0.1 (3)",
        "closed 1, from 10.0.0.3",
    ]
    assert scheduled == [1.0, 1.0]  # one line per window, scheduled by its first event


def test_a_clean_stop_writes_the_pending_summary(tmp_path: Path) -> None:
    server = faultkit.ServerProcess(tmp_path, "--setup-timeout", "0.5")
    server.start()
    idle = [socket.create_connection(("127.0.0.1", server.ports.recv), timeout=WAIT)
            for _ in range(5)]
    for sock in idle:
        assert sock.recv(1) == b""
        sock.close()
    assert server.stop() == 0  # within the tally's second: the stop flushes it
    summary = [line for line in server.log if "idle connection" in line]
    assert len(summary) == 1 and "closed 5 idle connections" in summary[0], server.log


def test_the_loop_thread_only_queues_server_records(join: ClientFactory) -> None:
    handler = Records()
    logger = logging.getLogger("tuichat.server")
    saved = logger.level, logger.propagate
    logger.propagate = False
    with queued_logging(handler, "info", logger):
        join("alice").conn.bye()
    logger.setLevel(saved[0])
    logger.propagate = saved[1]
    assert handler.texts("alice joined")
    assert "tuichat-reactor" not in handler.threads
    assert handler.threads  # written by the listener's thread


FAILED_HANDSHAKES = 50


def test_failed_tls_handshakes_together_are_logged_as_one_line(
    make_server: ServerFactory, handler: Records,
) -> None:
    server = make_server(tls=True)
    bogus = b"\x16\x03\x01\x00\x05hello"  # a TLS record header, then no ClientHello
    for _ in range(FAILED_HANDSHAKES):
        with socket.create_connection(("127.0.0.1", server.ports.recv), timeout=WAIT) as sock:
            sock.sendall(bogus)
            while sock.recv(4096):  # the alert, then the server closes
                pass
    lines = handler.wait_for(r"closed ([\d,]+) TLS handshakes? that failed", FAILED_HANDSHAKES)
    assert len(lines) <= 2, lines  # one a second: the handshakes fail within about one
    assert re.fullmatch(r"closed \d+ TLS handshakes? that failed: [A-Z_]+, from 127\.0\.0\.1",
                        lines[0]), lines
    assert not handler.texts("TLS failed")  # no line per handshake
