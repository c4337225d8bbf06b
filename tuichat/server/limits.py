"""Flood control and password throttling: counters over time, with no sockets in sight.

Every class takes a ``clock`` (``time.monotonic`` unless a test steps its own), so the
room asks simple questions ("may this line go?", "may this address try a password?")
and tests answer them without sleeping.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

Clock = Callable[[], float]

ABUSE_WINDOW = 60.0
"""Seconds over which refused lines are counted towards a disconnect."""
BACKOFF_BASE = 1.0
"""Seconds an address waits after its first wrong password; doubled after each next one."""
MAX_ADDRESSES = 10_000
"""Addresses the password throttle remembers at most; the longest quiet are forgotten first."""


class TokenBucket:
    """Up to ``burst`` actions at once, refilled at ``per_second``."""

    def __init__(self, burst: int, per_second: float, clock: Clock = time.monotonic) -> None:
        self._burst = burst
        self._per_second = per_second
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()

    def take(self) -> bool:
        """Spend one token; False when none is left (the action is over the rate)."""
        self._refill()
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def wait(self) -> float:
        """Seconds until the next token is there; 0 when one is there now."""
        self._refill()
        return max(0.0, (1 - self._tokens) / self._per_second) if self._per_second else 0.0

    def _refill(self) -> None:
        now = self._clock()
        refill = (now - self._stamp) * self._per_second
        self._tokens = min(float(self._burst), self._tokens + refill)
        self._stamp = now


class Strikes:
    """Says when ``limit`` events fell within ``window`` seconds; remembers only ``limit``."""

    def __init__(self, limit: int, window: float, clock: Clock = time.monotonic) -> None:
        self._times: deque[float] = deque(maxlen=limit)
        self._limit = limit
        self._window = window
        self._clock = clock

    def add(self) -> bool:
        """Record one event; True when it is the ``limit``-th within the window."""
        now = self._clock()
        self._times.append(now)
        return len(self._times) == self._limit and now - self._times[0] < self._window


class Verdict(Enum):
    """What to do with one ``say`` or ``command``."""

    PASS = "pass"
    SLOW_DOWN = "slow down"
    """Refuse this line with a notice; the session goes on."""
    CUT_OFF = "cut off"
    """Refuse it and end the session: it kept flooding."""


class LineLimit:
    """One session's allowance of chat lines and commands, and its patience with floods.

    ``burst`` or ``per_second`` of 0 turns the limit off; ``abuse_limit`` of 0 never cuts
    a session off, however much is refused.
    """

    def __init__(
        self,
        burst: int,
        per_second: float,
        abuse_limit: int,
        clock: Clock = time.monotonic,
    ) -> None:
        self._bucket = TokenBucket(burst, per_second, clock) if burst and per_second else None
        self._strikes = Strikes(abuse_limit, ABUSE_WINDOW, clock) if abuse_limit > 0 else None

    def check(self) -> Verdict:
        """Spend the allowance of one line and say whether it may go."""
        if self._bucket is None or self._bucket.take():
            return Verdict.PASS
        if self._strikes is not None and self._strikes.add():
            return Verdict.CUT_OFF
        return Verdict.SLOW_DOWN


@dataclass
class _Record:
    last: float
    """When the last wrong password came."""
    failures: deque[float] = field(default_factory=deque)
    """Times of the wrong passwords within the lockout window, oldest first."""
    blocked_until: float = 0.0


class AuthThrottle:
    """Wrong passwords per address: a doubling wait after each, then a lockout.

    After a failure the address may not try again for ``BACKOFF_BASE`` s, doubled with
    each further failure and never longer than ``lockout``; ``max_failures`` failures
    within ``lockout`` seconds refuse the address for ``lockout`` seconds. A right
    password clears nothing, so knowing one password (say the join password) cannot
    reset the count while guessing another. ``max_failures`` of 0 turns throttling off.
    """

    def __init__(
        self,
        max_failures: int,
        lockout: float,
        clock: Clock = time.monotonic,
        capacity: int = MAX_ADDRESSES,
    ) -> None:
        self._max_failures = max_failures
        self._lockout = lockout
        self._clock = clock
        self._capacity = capacity
        self._records: OrderedDict[str, _Record] = OrderedDict()
        """By address, the one with the oldest last failure first."""

    def retry_after(self, address: str) -> float:
        """Seconds until ``address`` may try a password again; 0 when it may now."""
        record = self._records.get(address)
        return 0.0 if record is None else max(0.0, record.blocked_until - self._clock())

    def fail(self, address: str) -> bool:
        """Count a wrong password from ``address``; True when it is now locked out."""
        if self._max_failures <= 0:
            return False
        now = self._clock()
        window_start = now - self._lockout
        while self._records and next(iter(self._records.values())).last <= window_start:
            self._records.popitem(last=False)  # nothing left to wait for: forget it
        record = self._records.pop(address, None) or _Record(now)
        self._records[address] = record
        while len(self._records) > self._capacity:
            self._records.popitem(last=False)
        record.last = now
        while record.failures and record.failures[0] <= window_start:
            record.failures.popleft()
        record.failures.append(now)
        if len(record.failures) >= self._max_failures:
            record.failures.clear()
            record.blocked_until = now + self._lockout
            return True
        backoff = BACKOFF_BASE * 2 ** (len(record.failures) - 1)
        record.blocked_until = now + min(backoff, self._lockout)
        return False
