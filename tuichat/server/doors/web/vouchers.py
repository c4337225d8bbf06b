"""What the browser door asks of the chat for a session, from its own loop: a standing
ticket that carries the browser's address to the native door (``core.tickets``), the end
of its user's session when the browser's connection drops, and the ticket's revocation
when the session ends."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from tuichat.server.core.identity import Identity
from tuichat.server.doors.ssh.bridge import on_reactor

if TYPE_CHECKING:
    from tuichat.server.core.chat import Chat
    from tuichat.server.reactor import Reactor

DROP_WAIT = 2.0
"""Seconds a dropped session waits for the chat to end its member before the client."""
DOOR = "web"
"""How a browser user's address is shown (``203.0.113.7 (web)``)."""


class Refused(Exception):
    """Nobody from the browser's address may come in (a ban); ``str()`` says why."""


class Vouchers:
    """Tickets for browser sessions, issued and revoked on the reactor thread."""

    def __init__(self, chat: Chat, reactor: Reactor) -> None:
        self._chat = chat
        self._reactor = reactor

    async def issue(self, address: str) -> str:
        """A standing ticket for a browser at ``address`` (it still types the join
        password); Refused when that address is banned."""
        chat = self._chat

        def issue() -> str | Refused:
            refusal = chat.address_refusal(address)
            if refusal is not None:
                return Refused(refusal.text)
            return chat.issue_standing_ticket(Identity("", address, None, door=DOOR,
                                                       checked=False))

        answer = await on_reactor(self._reactor, issue)
        if isinstance(answer, Refused):
            raise answer
        return answer

    async def in_use(self, ticket: str) -> bool:
        """Whether a user ``ticket`` let in is in the chat now."""
        chat = self._chat
        return await on_reactor(self._reactor, lambda: chat.ticket_in_use(ticket))

    async def dropped(self, ticket: str) -> None:
        """The browser's connection dropped: the user ``ticket`` let in (if still here)
        leaves as a dropped connection does, before its client is told to quit."""
        chat = self._chat
        with contextlib.suppress(TimeoutError):  # a stopping server's reactor may not answer
            await asyncio.wait_for(on_reactor(self._reactor, lambda: chat.drop_ticketed(
                ticket, "the browser's connection dropped")), DROP_WAIT)

    def revoke(self, ticket: str) -> None:
        """``ticket`` lets nobody in any more (its session ended); not waited for, so a
        stopping server never holds a session's end up."""
        chat = self._chat
        self._reactor.call_soon_threadsafe(lambda: chat.revoke_ticket(ticket))
