"""How often one address may start a browser session: each start is a new client process
(a Python interpreter and the client's imports: 0.7 s of CPU to its first screen here),
so a script that opens and closes websockets in a loop would keep the machine's cores
busy."""

from __future__ import annotations

import time

from tuichat.server.limits import Clock, TokenBucket

BURST = 10
"""Sessions one address may start at once (a few tabs, a few reloads)."""
PER_SECOND = 1 / 3
"""Then one every three seconds."""
MAX_ADDRESSES = 10_000
"""Addresses remembered at most; a full bucket is forgotten first (it is as new)."""


class StartRate:
    """A token bucket per browser address; ``clock`` as ``limits``' classes take it."""

    def __init__(self, burst: int = BURST, per_second: float = PER_SECOND,
                 clock: Clock = time.monotonic) -> None:
        self._burst = burst
        self._per_second = per_second
        self._clock = clock
        self._buckets: dict[str, tuple[TokenBucket, float]] = {}
        """address -> its bucket, and when it last took a token."""

    def take(self, address: str) -> float | None:
        """Count a start from ``address``; None when it may, else the seconds to wait."""
        now = self._clock()
        if address not in self._buckets:
            self._forget_full(now)
            if len(self._buckets) >= MAX_ADDRESSES:
                return 1 / self._per_second
        bucket = self._buckets.get(address, (None, 0.0))[0]
        if bucket is None:
            bucket = TokenBucket(self._burst, self._per_second, self._clock)
        if not bucket.take():
            return bucket.wait()
        self._buckets[address] = (bucket, now)
        return None

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled since their last start."""
        refilled = self._burst / self._per_second
        for address in [a for a, (_, last) in self._buckets.items() if now - last >= refilled]:
            del self._buckets[address]
