"""Flood control and password throttling: counters over time, with no sockets in sight.

Every class takes a ``clock`` (``time.monotonic`` unless a test steps its own), so the
chat core asks simple questions ("may this line go?", "may this name from this address
try a password?") and tests answer them without sleeping.
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
"""Seconds a name waits after its first wrong password; doubled after each next one."""
ADDRESS_FACTOR = 10
"""An address may fail this many times the per-name limit, under any names, before every
name from it is locked out: ten people on one machine may each mistype a whole per-name
allowance in one lockout time before the address itself is locked."""
MAX_COUNTS = 10_000
"""Counts the password throttle remembers at most (per address, and per address and name).
Only counts with no wait left are forgotten, the longest quiet first; while every count
still waits, passwords whose count would be new are refused unchecked."""


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


class Scope(Enum):
    """Whose count of wrong passwords a wait belongs to."""

    NAME = "name"
    """One name from one address: that person's typos."""
    ADDRESS = "address"
    """Every name from one address: guessing across names."""
    SERVER = "server"
    """Every name from every address: the server checks no more wrong passwords for now
    (its budget of checks is spent, or every count it can hold is still waiting)."""


@dataclass(frozen=True, slots=True)
class Wait:
    """How long passwords are refused unchecked, and whose count made it so."""

    seconds: float
    scope: Scope


@dataclass
class _Count:
    last: float
    """When the last wrong password came."""
    failures: deque[float] = field(default_factory=deque)
    """Times of the wrong passwords within the lockout window, oldest first."""
    blocked_until: float = 0.0


_Key = tuple[str, str | None]
"""(address, name key) for one name's count; (address, None) for the address's count."""


class AuthThrottle:
    """Wrong passwords per (address, name), with a much higher ceiling per address.

    People who share an address (a shared machine, a NAT) each have their own count: one
    user's typos never make another user's right password wait. For each (address, name):
    after a failure that name may not try again from that address for ``BACKOFF_BASE`` s,
    doubled with each further failure and never longer than ``lockout``; ``max_failures``
    failures within ``lockout`` seconds lock that name out from that address for
    ``lockout`` seconds. Guessing across names from one address is bounded by the address's
    own count: ``max_failures * address_factor`` failures within ``lockout`` seconds, under
    any names, lock every name from the address out for ``lockout`` seconds.

    A right password clears nothing, so knowing one password (say the join password)
    cannot reset a count while guessing another. ``name`` is the name as compared for
    uniqueness (the caller's key), ``address`` the caller's key for the address
    (``addresses.address_key``). ``max_failures`` of 0 turns throttling off.

    At most ``capacity`` counts are kept, and a count is forgotten only once its wait is
    over, so no number of failures elsewhere can erase a lockout or a back-off. While every
    count still waits the table is full: ``wait`` refuses any password whose count would be
    new (scope SERVER) until the first wait ends.
    """

    def __init__(
        self,
        max_failures: int,
        lockout: float,
        clock: Clock = time.monotonic,
        capacity: int = MAX_COUNTS,
        address_factor: int = ADDRESS_FACTOR,
    ) -> None:
        self._max_failures = max_failures
        self._address_ceiling = max_failures * address_factor
        self._lockout = lockout
        self._clock = clock
        self._capacity = capacity
        self._counts: OrderedDict[_Key, _Count] = OrderedDict()
        """The oldest last failure first; an address's count is never older than its
        names' counts, so it is the last of them to be forgotten once none waits."""
        self._full_until = 0.0
        """Until then every count waits and the table is full (no need to look again)."""

    @property
    def address_ceiling(self) -> int:
        """Failures from one address, under any names, that lock the whole address out."""
        return self._address_ceiling

    def wait(self, address: str, name: str) -> Wait | None:
        """How long ``name`` from ``address`` must wait to try a password; None: not at
        all. The address's wait is named when it is the longer one; a full table's
        (scope SERVER) when the count a failure would need cannot be kept."""
        now = self._clock()
        keys = (((address, None), Scope.ADDRESS), ((address, name), Scope.NAME))
        waits = [
            Wait(max(0.0, count.blocked_until - now), scope)
            for key, scope in keys
            if (count := self._counts.get(key)) is not None
        ]
        if self._max_failures > 0 and (full := self._room_for(2 - len(waits), now)) > 0:
            waits.append(Wait(full, Scope.SERVER))
        longest = max(waits, key=lambda wait: wait.seconds, default=None)
        return longest if longest is not None and longest.seconds > 0 else None

    def fail(self, address: str, name: str) -> Scope | None:
        """Count a wrong password from ``name`` at ``address``; the scope it locked out
        (the wider one if both), or None. A count still waiting is never dropped to make
        room, so a caller that did not ask ``wait`` first may overfill the table."""
        if self._max_failures <= 0:
            return None
        now = self._clock()
        self._room_for(((address, name) not in self._counts) + ((address, None) not in
                                                                 self._counts), now)
        for_name = self._touch((address, name), now)
        for_address = self._touch((address, None), now)  # last: the newest of its counts
        locked = None
        if self._add(for_name, now, self._max_failures, backoff=True):
            locked = Scope.NAME
        if self._add(for_address, now, self._address_ceiling, backoff=False):
            locked = Scope.ADDRESS
        return locked

    def _room_for(self, new: int, now: float) -> float:
        """Make room for ``new`` counts by forgetting the longest quiet of those with no
        wait left; 0 when there is room, else seconds until the first wait ends."""
        window_start = now - self._lockout
        while self._counts and next(iter(self._counts.values())).last <= window_start:
            self._counts.popitem(last=False)  # quiet for a whole lockout: nothing to wait for
        excess = len(self._counts) + new - self._capacity
        if excess <= 0:
            return 0.0
        if now < self._full_until:
            return self._full_until - now
        spent = []
        for key, count in self._counts.items():
            if count.blocked_until <= now:
                spent.append(key)
                if len(spent) == excess:
                    break
        if len(spent) < excess:
            self._full_until = min(count.blocked_until for count in self._counts.values())
            return self._full_until - now
        for key in spent:
            del self._counts[key]
        return 0.0

    def _touch(self, key: _Key, now: float) -> _Count:
        """The count for ``key``, moved to the newest end with ``now`` as its last failure."""
        count = self._counts.pop(key, None) or _Count(now)
        count.last = now
        self._counts[key] = count
        return count

    def _add(self, count: _Count, now: float, limit: int, *, backoff: bool) -> bool:
        """Add one failure to ``count``; True when it reaches ``limit`` within the window
        and locks out (else, with ``backoff``, a doubling wait)."""
        while count.failures and count.failures[0] <= now - self._lockout:
            count.failures.popleft()
        count.failures.append(now)
        if len(count.failures) >= limit:
            count.failures.clear()
            count.blocked_until = now + self._lockout
            return True
        if backoff:
            wait = BACKOFF_BASE * 2 ** (len(count.failures) - 1)
            count.blocked_until = max(count.blocked_until, now + min(wait, self._lockout))
        return False
