"""How many SSH logins are under way and in, counted so that people behind one address
never lock each other out: keyed logins count per key, keyless ones per address.

- Connections still authenticating: at most ``pending`` per address and ``pending_total``
  in all (``0``: no limit), so one address cannot hold every slot; a key's login is done
  in a moment.
- Sessions of one key: at most ``per_login`` (``0``: no limit), wherever they come from.
- Keyless sessions from one address: at most ``per_login`` together.
Used on the SSH loop only.
"""

from __future__ import annotations

from collections import Counter

from tuichat.server.addresses import address_key
from tuichat.server.core.identity import Identity


class LoginCounts:
    """Connections being authenticated per address, sessions per key or address."""

    def __init__(self, pending: int, pending_total: int, per_login: int) -> None:
        self._pending_limit = pending
        self._pending_total_limit = pending_total
        self._pending_total = 0
        self._session_limit = per_login
        self._pending: Counter[str] = Counter()
        self._sessions: Counter[str] = Counter()

    def begin(self, host: str) -> str | None:
        """A connection from ``host`` starts to authenticate; why not, over the limit
        (then it is not counted)."""
        address = address_key(host)
        if self._pending_limit and self._pending[address] >= self._pending_limit:
            return (f"too many SSH logins from your address are under way (at most "
                    f"{self._pending_limit}); try again in a moment")
        if self._pending_total_limit and self._pending_total >= self._pending_total_limit:
            return "the server has too many SSH logins under way; try again in a moment"
        self._pending[address] += 1
        self._pending_total += 1
        return None

    def end(self, host: str) -> None:
        """A connection counted by ``begin`` authenticated or went away."""
        address = address_key(host)
        self._pending_total -= 1
        self._pending[address] -= 1
        if self._pending[address] <= 0:
            del self._pending[address]

    def open(self, identity: Identity) -> str | None:
        """A session of ``identity`` opens; why not, over its key's or address's limit."""
        key = _key_of(identity)
        if self._session_limit and self._sessions[key] >= self._session_limit:
            whose = "this key" if identity.fingerprint else "your address without a key"
            return f"too many sessions of {whose} (at most {self._session_limit})"
        self._sessions[key] += 1
        return None

    def close(self, identity: Identity) -> None:
        """A session counted by ``open`` ended."""
        key = _key_of(identity)
        self._sessions[key] -= 1
        if self._sessions[key] <= 0:
            del self._sessions[key]


def _key_of(identity: Identity) -> str:
    """What a session counts against: its key, or its address when it has none."""
    if identity.fingerprint is not None:
        return f"key {identity.fingerprint}"
    return f"address {address_key(identity.address)}"
