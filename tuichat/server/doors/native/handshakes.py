"""TLS handshakes in flight: how many may run at once, and how much of each loop pass
they get.

A handshake costs the server a key exchange and a signature (about 0.6 ms of CPU for the
ClientHello here) and some 30 kB of TLS state, before the client has proved anything. So
the door refuses a new TLS connection at once, before any TLS work, while too many
handshakes are under way from its address or in all; and a loop pass runs at most
``STEPS_PER_PASS`` handshake steps, so a flood of ClientHellos delays the established
sessions' frames by a few milliseconds at most. A connection over the step budget stops
being read until a later pass.

Handshakes on a worker thread were tried and measured against this (``bench/faults.py
--only attacks``, its TLS row; two shared cores, two runs each): a chatting client's p99 during the
flood was 23 ms with the worker against 13-20 ms with steps on the loop, its slowest round
trip 115-130 ms against 79-99 ms, so the steps stay on the loop, which also keeps each
``SSLObject`` on one thread.

A failed handshake is logged through a ``Tally`` per reason: a flood of them makes one
INFO line a second (``closed 1,500 TLS handshakes that failed: WRONG_VERSION_NUMBER``),
not a line each.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from functools import partial
from typing import TYPE_CHECKING, Protocol

from tuichat.server.logs import Tally

if TYPE_CHECKING:
    from tuichat.server.reactor import Reactor

log = logging.getLogger(__name__)

STEPS_PER_PASS = 4
"""Handshake steps (reads that feed an unfinished handshake) in one loop pass."""


class Handshaking(Protocol):
    """A connection whose TLS handshake is not finished."""

    @property
    def closed(self) -> bool: ...

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


class Handshakes:
    """Counts handshakes per address and in all (0: no limit), and paces their steps."""

    def __init__(self, reactor: Reactor, per_address: int, total: int,
                 steps_per_pass: int = STEPS_PER_PASS) -> None:
        self._reactor = reactor
        self.per_address = per_address
        self.total = total
        self.steps_per_pass = steps_per_pass
        self._flights: dict[Handshaking, str] = {}
        """Each connection still in its handshake, with its address."""
        self._per_host: Counter[str] = Counter()
        self._waiting: deque[Handshaking] = deque()
        """Connections paused because a pass had no steps left, oldest first."""
        self._pass = -1
        self._steps = 0
        self._resume_scheduled = False
        self.refused = 0
        """New connections closed because too many handshakes were under way."""
        self._failures: dict[str, Tally] = {}
        """A log tally per reason handshakes failed for (OpenSSL's reasons: a short list)."""

    @property
    def in_flight(self) -> int:
        """Handshakes under way now."""
        return len(self._flights)

    def refusal(self, host: str) -> str | None:
        """Why one more handshake from ``host`` is too many now, if it is."""
        if self.per_address and self._per_host[host] >= self.per_address:
            why = f"{self.per_address:,} TLS handshakes under way from {host}"
        elif self.total and len(self._flights) >= self.total:
            why = f"{self.total:,} TLS handshakes under way"
        else:
            return None
        self.refused += 1
        return why

    def begin(self, peer: Handshaking, host: str) -> None:
        """Count ``peer`` until ``finished``."""
        self._flights[peer] = host
        self._per_host[host] += 1

    def finished(self, peer: Handshaking) -> None:
        """The handshake is done or the connection closed (harmless to repeat)."""
        host = self._flights.pop(peer, None)
        if host is None:
            return
        self._per_host[host] -= 1
        if not self._per_host[host]:
            del self._per_host[host]

    def failed(self, peer: Handshaking, reason: str) -> None:
        """The handshake of ``peer`` failed for ``reason``: counted into a log line."""
        tally = self._failures.get(reason)
        if tally is None:
            tally = self._failures[reason] = Tally(log, partial(_failed, reason),
                                                   self._reactor.call_later)
        tally.add(self._flights.get(peer, "?"))

    def flush(self) -> None:
        """Log the failures counted so far now (the server is stopping)."""
        for tally in self._failures.values():
            tally.flush()

    def may_step(self, peer: Handshaking) -> bool:
        """True if ``peer`` may run a handshake step in this pass; else it is paused and
        resumed on a later one."""
        passes = self._reactor.passes
        if passes != self._pass:
            self._pass, self._steps = passes, 0
        if self._steps < self.steps_per_pass:
            self._steps += 1
            return True
        peer.pause_reading()
        self._waiting.append(peer)
        self._schedule_resume()
        return False

    def _schedule_resume(self) -> None:
        if not self._resume_scheduled:
            self._resume_scheduled = True
            self._reactor.call_later(0, self._resume)

    def _resume(self) -> None:
        """Read again from as many waiting connections as one pass has steps for."""
        self._resume_scheduled = False
        resumed = 0
        while self._waiting and resumed < self.steps_per_pass:
            peer = self._waiting.popleft()
            if not peer.closed:
                peer.resume_reading()
                resumed += 1
        if self._waiting:
            self._schedule_resume()


def _failed(reason: str, count: int) -> str:
    """The log line for ``count`` handshakes that failed for ``reason``."""
    return (f"closed {count:,} TLS handshake{'' if count == 1 else 's'} that failed: "
            f"{reason}")
