"""The server-wide budget of password checks: guessing stays slow however many addresses.

The throttle (``limits.AuthThrottle``) counts per address; an attacker with many addresses
gets a count at each. So every wrong password that is checked also spends a token of a
server-wide bucket for its kind of password (join or admin): the bucket holds
``BURST_MINUTES`` minutes' worth and refills at ``per_minute``. While it is empty,
passwords are refused without being checked, right ones too, since a right password cannot
be told from a wrong one without checking it.

Except from an address that has given that password right before (since the server
started): it already knows the password, so its checks give nothing away and go on,
bounded by its own per-address count. Pairs of address and name that never failed are not
exempt: an attacker makes a fresh pair for every guess.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from enum import Enum

from tuichat.server.limits import Clock, TokenBucket

log = logging.getLogger("tuichat.server")

BURST_MINUTES = 10
"""The bucket holds this many minutes of its rate: a burst of typos after a quiet spell."""
REPORT_INTERVAL = 60.0
"""Seconds between two warnings about checks refused for a spent budget."""
MAX_TRUSTED = 10_000
"""Addresses remembered per kind as having given the password right; the longest unseen
are forgotten first (they then share the budget again)."""


class PasswordKind(Enum):
    """Which password is checked; each kind has its own budget."""

    JOIN = "join"
    ADMIN = "admin"


class CheckBudget:
    """Checked wrong passwords per kind, server-wide, and the addresses exempt from it.

    ``per_minute`` of 0 turns the budget off. Addresses are the throttle's keys.
    """

    def __init__(self, per_minute: float, clock: Clock = time.monotonic,
                 trusted_capacity: int = MAX_TRUSTED) -> None:
        burst = max(1, round(per_minute * BURST_MINUTES))
        self._buckets = ({kind: TokenBucket(burst, per_minute / 60, clock)
                          for kind in PasswordKind} if per_minute > 0 else {})
        self._trusted: dict[PasswordKind, OrderedDict[str, None]] = {
            kind: OrderedDict() for kind in PasswordKind}
        self._trusted_capacity = trusted_capacity
        self._clock = clock
        self._refused: dict[PasswordKind, int] = dict.fromkeys(PasswordKind, 0)
        """Passwords refused unchecked since the last warning about them."""
        self._reported: dict[PasswordKind, float] = dict.fromkeys(PasswordKind, -math.inf)

    def wait(self, kind: PasswordKind, address: str) -> float:
        """Seconds until a ``kind`` password from ``address`` may be checked; 0: now."""
        bucket = self._buckets.get(kind)
        if bucket is None or address in self._trusted[kind]:
            return 0.0
        seconds = bucket.wait()
        if seconds > 0:
            self._note_refusal(kind)
        return seconds

    def spend(self, kind: PasswordKind) -> None:
        """Count one checked wrong password."""
        bucket = self._buckets.get(kind)
        if bucket is not None:
            bucket.take()

    def _note_refusal(self, kind: PasswordKind) -> None:
        """Count a refusal; warn at the first, then at most once per ``REPORT_INTERVAL``."""
        self._refused[kind] += 1
        now = self._clock()
        if now - self._reported[kind] >= REPORT_INTERVAL:
            log.warning("too many wrong %s passwords from everywhere: %d refused unchecked "
                        "since the last such warning (none from addresses that gave it "
                        "right are)", kind.value, self._refused[kind])
            self._reported[kind], self._refused[kind] = now, 0

    def trust(self, kind: PasswordKind, address: str) -> None:
        """``address`` gave the ``kind`` password right: exempt it from now on."""
        trusted = self._trusted[kind]
        trusted[address] = None
        trusted.move_to_end(address)
        while len(trusted) > self._trusted_capacity:
            trusted.popitem(last=False)
