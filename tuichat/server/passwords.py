"""Password checks at the door: constant-time comparison behind the throttle and budget.

The join password (``hello``) and the admin password (``hello``'s ``admin_password`` and
``admin -a``) share one throttle, counted per (address, name) and per address, so knowing
one password does not reset the count while guessing the other; each has its own
server-wide budget of checks (``check_budget``). Addresses are counted as
``addresses.address_key`` says (an IPv6 /64 is one). Used from the reactor thread only.
"""

from __future__ import annotations

import hmac
import logging
import math
import time

from tuichat.net.names import name_key
from tuichat.server.addresses import address_key
from tuichat.server.check_budget import CheckBudget, PasswordKind
from tuichat.server.limits import AuthThrottle, Clock, Scope, Wait

log = logging.getLogger("tuichat.server")


def passwords_match(given: object, expected: str) -> bool:
    """Compare in constant time; anything that is not a string is wrong."""
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


class PasswordGate:
    """Checks passwords for a name at an address, refusing unchecked while its count
    (or its address's, or the server's budget) says wait."""

    def __init__(self, max_failures: int, lockout: float, budget_per_minute: float = 0.0,
                 clock: Clock = time.monotonic) -> None:
        self._throttle = AuthThrottle(max_failures, lockout, clock)
        self._budget = CheckBudget(budget_per_minute, clock)
        self._lockout = lockout

    def refusal(self, host: str, name: str, kind: PasswordKind) -> str | None:
        """Why a ``kind`` password from ``name`` at ``host`` is not checked now (naming
        whose count it is), or None when it may be tried."""
        address = address_key(host)
        wait = self._throttle.wait(address, name_key(name))
        if wait is None and (seconds := self._budget.wait(kind, address)) > 0:
            wait = Wait(seconds, Scope.SERVER)
        return None if wait is None else throttled_text(wait, name)

    def check(self, host: str, name: str, given: object, expected: str,
              kind: PasswordKind) -> bool:
        """True when ``given`` is ``expected``. A wrong one is logged and counted; ``None``
        (no password at all) is wrong but not a guess."""
        address = address_key(host)
        if passwords_match(given, expected):
            self._budget.trust(kind, address)
            return True
        if given is None:
            return False
        log.warning("wrong %s password from %s (%s)", kind.value, name, host)
        self._budget.spend(kind)
        locked = self._throttle.fail(address, name_key(name))
        if locked is Scope.NAME:
            log.warning("too many wrong passwords for %s from %s: its passwords from there are "
                        "refused for %g s", name, host, self._lockout)
        elif locked is Scope.ADDRESS:
            log.warning("too many wrong passwords from %s under any names (%d, the last as %s): "
                        "every name's passwords from there are refused for %g s",
                        host, self._throttle.address_ceiling, name, self._lockout)
        return False


def throttled_text(wait: Wait, name: str) -> str:
    """Why a password was not even checked, whose count it is, and for how long."""
    seconds = math.ceil(wait.seconds)
    if wait.scope is Scope.SERVER:
        return (f"too many wrong passwords from everywhere; the server is refusing password "
                f"checks for {seconds} s")
    if wait.scope is Scope.ADDRESS:
        return (f"too many wrong passwords from your address, under any name; try again in "
                f"{seconds} s")
    return f"too many wrong passwords for {name!r} from your address; try again in {seconds} s"
