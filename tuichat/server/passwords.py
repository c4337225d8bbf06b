"""Password checks at the door: constant-time comparison behind the throttle.

The join password (``hello``) and the admin password (``hello``'s ``admin_password`` and
``admin -a``) share one throttle, counted per (address, name) and per address, so knowing
one password does not reset the count while guessing the other. Used from the reactor
thread only.
"""

from __future__ import annotations

import hmac
import logging
import math
import time

from tuichat.net.names import name_key
from tuichat.server.limits import AuthThrottle, Clock, Scope, Wait

log = logging.getLogger("tuichat.server")


def passwords_match(given: object, expected: str) -> bool:
    """Compare in constant time; anything that is not a string is wrong."""
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


class PasswordGate:
    """Checks passwords for a name at an address, refusing unchecked while its count
    (or its address's) says wait."""

    def __init__(self, max_failures: int, lockout: float, clock: Clock = time.monotonic) -> None:
        self._throttle = AuthThrottle(max_failures, lockout, clock)
        self._lockout = lockout

    def refusal(self, host: str, name: str) -> str | None:
        """Why a password from ``name`` at ``host`` is not checked now (naming whose count
        it is), or None when it may be tried."""
        wait = self._throttle.wait(host, name_key(name))
        return None if wait is None else throttled_text(wait, name)

    def check(self, host: str, name: str, given: object, expected: str, what: str) -> bool:
        """True when ``given`` is ``expected``. A wrong one is logged (``what``: "join" or
        "admin") and counted; ``None`` (no password at all) is wrong but not a guess."""
        if passwords_match(given, expected):
            return True
        if given is None:
            return False
        log.warning("wrong %s password from %s (%s)", what, name, host)
        locked = self._throttle.fail(host, name_key(name))
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
    if wait.scope is Scope.ADDRESS:
        return (f"too many wrong passwords from your address, under any name; try again in "
                f"{seconds} s")
    return f"too many wrong passwords for {name!r} from your address; try again in {seconds} s"
