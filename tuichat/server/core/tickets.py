"""Tickets: how a door that knows who a user is (the SSH door, after its login; the
browser door, which saw the browser's address) lets the client it starts for that user
in through another door (the native door, on loopback).

A door asks for a ticket for an ``Identity`` on the reactor thread; the client it starts
says the ticket in its ``hello`` and is let in as that identity. Two kinds:

- once (the SSH door's): under the identity's name, within ``TICKET_LIFETIME`` seconds,
  one time; a used one is kept until it would have expired, so a second use is told it
  was used rather than that it is unknown;
- standing (the browser door's): under any name, any number of times (a wrong join
  password, a name in use, a reconnect), until the door revokes it as its session ends.

A ticket remembers the member it let in last (``hold``, ``holder``), for as long as that
member is here, so its door can end that session for a reason of its own (its connection dropped).
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tuichat.server.core.identity import Identity
    from tuichat.server.core.model import Member

TICKET_LIFETIME = 10.0
"""Seconds a ticket stays good: the start of the client under a load of sessions."""


@dataclass(slots=True)
class _Entry:
    identity: Identity
    expires: float | None
    """When a once ticket stops being good; None for a standing one."""
    used: bool = False
    holder: Member | None = None


class TicketError(ValueError):
    """A ticket that lets nobody in; ``str()`` says why (unknown, expired, used, name)."""


class Tickets:
    """The tickets handed out and not yet expired (or revoked); on the reactor thread only."""

    def __init__(self, lifetime: float = TICKET_LIFETIME,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._entries: dict[str, _Entry] = {}

    def issue(self, identity: Identity) -> str:
        """A new ticket for ``identity``, good once."""
        self._prune()
        return self._add(_Entry(identity, self._clock() + self._lifetime))

    def issue_standing(self, identity: Identity) -> str:
        """A new ticket for ``identity``'s address under any name, good until revoked."""
        return self._add(_Entry(identity, None))

    def revoke(self, ticket: str) -> None:
        """``ticket`` lets nobody in from now on (harmless to repeat)."""
        self._entries.pop(ticket, None)

    def redeem(self, ticket: str, name: str) -> Identity:
        """The identity ``ticket`` stands for (under ``name``, for a standing ticket);
        TicketError when it is unknown, expired, used, or for another name than ``name``."""
        entry = self._entries.get(ticket)
        if entry is None:
            raise TicketError("the ticket is unknown")
        identity = entry.identity
        if entry.expires is None:
            return dataclasses.replace(identity, name=name)
        if entry.used:
            raise TicketError("the ticket was used already")
        if self._clock() >= entry.expires:
            del self._entries[ticket]
            raise TicketError("the ticket has expired")
        if identity.name != name:
            raise TicketError(f"the ticket is not for {name!r}")
        entry.used = True
        return identity

    def hold(self, ticket: str, member: Member) -> None:
        """``member`` came in with ``ticket`` (its arrival was let in)."""
        entry = self._entries.get(ticket)
        if entry is not None:
            entry.holder = member

    def holder(self, ticket: str) -> Member | None:
        """The member ``ticket`` let in last, while it is here."""
        entry = self._entries.get(ticket)
        if entry is None or entry.holder is None or entry.holder.ended:
            return None
        return entry.holder

    @property
    def recent(self) -> int:
        """Tickets whose sessions may still be opening their connections: once tickets
        issued within their lifetime, used or not, and every standing ticket."""
        self._prune()
        now = self._clock()
        return sum(1 for entry in self._entries.values()
                   if entry.expires is None or now < entry.expires)

    def _add(self, entry: _Entry) -> str:
        ticket = secrets.token_urlsafe(32)
        self._entries[ticket] = entry
        return ticket

    def _prune(self) -> None:
        """Drop once tickets past their lifetime whose member (if any) has left."""
        now = self._clock()
        for ticket in [t for t, entry in self._entries.items()
                       if entry.expires is not None and now >= entry.expires
                       and (entry.holder is None or entry.holder.ended)]:
            del self._entries[ticket]
