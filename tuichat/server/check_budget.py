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
import time
from collections import OrderedDict
from enum import Enum

from tuichat.server.limits import Clock, TokenBucket

log = logging.getLogger("tuichat.server")

BURST_MINUTES = 10
"""The bucket holds this many minutes of its rate: a burst of typos after a quiet spell."""
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
        self._refused: dict[PasswordKind, int] = dict.fromkeys(PasswordKind, 0)
        """Passwords refused unchecked since the bucket ran dry (0: it is not dry)."""

    def wait(self, kind: PasswordKind, address: str) -> float:
        """Seconds until a ``kind`` password from ``address`` may be checked; 0: now."""
        bucket = self._buckets.get(kind)
        if bucket is None or address in self._trusted[kind]:
            return 0.0
        seconds = bucket.wait()
        if seconds > 0:
            self._refused[kind] += 1
        elif self._refused[kind]:
            log.warning("checking %s passwords again; %d were refused unchecked while the "
                        "budget was spent", kind.value, self._refused[kind])
            self._refused[kind] = 0
        return seconds

    def spend(self, kind: PasswordKind) -> None:
        """Count one checked wrong password; logs when that empties the bucket."""
        bucket = self._buckets.get(kind)
        if bucket is not None and bucket.take() and bucket.wait() > 0:
            log.warning("too many wrong %s passwords from everywhere: checks are refused, "
                        "except from addresses that gave it right, until the budget refills",
                        kind.value)

    def trust(self, kind: PasswordKind, address: str) -> None:
        """``address`` gave the ``kind`` password right: exempt it from now on."""
        trusted = self._trusted[kind]
        trusted[address] = None
        trusted.move_to_end(address)
        while len(trusted) > self._trusted_capacity:
            trusted.popitem(last=False)
