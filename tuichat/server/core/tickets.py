"""One-time tickets: how a door that has authenticated a user (the SSH door) lets the
client it starts for that user in through another door (the native door, on loopback).

The SSH door asks for a ticket for an ``Identity`` on the reactor thread; the client it
starts says the ticket in its ``hello``, under the same name, within ``TICKET_LIFETIME``
seconds, and is let in as that identity. A ticket works once; a used one is kept until it
would have expired, so a second use is told it was used rather than that it is unknown.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tuichat.server.core.identity import Identity

TICKET_LIFETIME = 10.0
"""Seconds a ticket stays good: the start of the client under a load of sessions."""


@dataclass(slots=True)
class _Entry:
    identity: Identity
    expires: float
    used: bool = False


class TicketError(ValueError):
    """A ticket that lets nobody in; ``str()`` says why (unknown, expired, used, name)."""


class Tickets:
    """The tickets handed out and not yet expired; on the reactor thread only."""

    def __init__(self, lifetime: float = TICKET_LIFETIME,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._entries: dict[str, _Entry] = {}

    def issue(self, identity: Identity) -> str:
        """A new ticket for ``identity``."""
        self._prune()
        ticket = secrets.token_urlsafe(32)
        self._entries[ticket] = _Entry(identity, self._clock() + self._lifetime)
        return ticket

    def redeem(self, ticket: str, name: str) -> Identity:
        """The identity ``ticket`` was issued for, once; TicketError when it is unknown,
        expired, used, or for another name than ``name``."""
        entry = self._entries.get(ticket)
        if entry is None:
            raise TicketError("the ticket is unknown")
        if entry.used:
            raise TicketError("the ticket was used already")
        if self._clock() >= entry.expires:
            del self._entries[ticket]
            raise TicketError("the ticket has expired")
        if entry.identity.name != name:
            raise TicketError(f"the ticket is not for {name!r}")
        entry.used = True
        return entry.identity

    @property
    def recent(self) -> int:
        """Tickets issued within their lifetime, used or not: how many sessions may still
        be opening their connections."""
        self._prune()
        return len(self._entries)

    def _prune(self) -> None:
        now = self._clock()
        for ticket in [t for t, entry in self._entries.items() if now >= entry.expires]:
            del self._entries[ticket]
