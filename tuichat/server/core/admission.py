"""Who may come in: bans, the join password behind its throttle, names in use, and room
for one more; and the admin rights a user may bring along.

The checks run in the order the protocol states: a banned address first (before anything
the user said), then what the door checks of its own wire (the protocol version), then
the name rules (``requests.Arrival`` enforces them), then those here. An arrival with a
ticket (``tickets``) comes in as the identity another door vouched for: its address is
the one checked (and counted), it needs no join password if that door checked who it is
(``Identity.checked``), and it brings that identity's admin right.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tuichat.server.check_budget import PasswordKind
from tuichat.server.core.events import Refusal, RefusalKind
from tuichat.server.core.key_claims import claim_problem
from tuichat.server.core.tickets import TicketError, Tickets

if TYPE_CHECKING:
    from tuichat.server.bans import BanList
    from tuichat.server.core.hub import Hub
    from tuichat.server.core.identity import Identity
    from tuichat.server.core.key_claims import NameClaims
    from tuichat.server.core.model import Member
    from tuichat.server.core.requests import Arrival
    from tuichat.server.passwords import PasswordGate

log = logging.getLogger("tuichat.server")

class Admission:
    """The rules of arrival, for ``Chat``."""

    def __init__(self, hub: Hub, bans: BanList, passwords: PasswordGate,
                 admin_password: str, claims: NameClaims | None = None) -> None:
        """``claims``: the names SSH keys hold, refused to anyone not coming with that key."""
        self._hub = hub
        self._claims = claims
        self._bans = bans
        self._passwords = passwords
        self._admin_password = admin_password
        self.tickets = Tickets()

    def address_refusal(self, host: str) -> Refusal | None:
        """Why nobody from ``host`` may come in (a ban), if so."""
        ban = self._bans.on_address(host)
        return None if ban is None else Refusal(RefusalKind.BANNED, ban.refusal)

    def vouch(self, member: Member, arrival: Arrival) -> tuple[Identity | None, Refusal | None]:
        """The identity ``arrival``'s ticket stands for, with ``member`` moved to its
        address (and key); or why the ticket (or that address) lets nobody in. No ticket:
        (None, None)."""
        if arrival.ticket is None:
            return None, None
        try:
            identity = self.tickets.redeem(arrival.ticket, arrival.name)
        except TicketError as exc:
            log.info("refused a ticket for %s from %s: %s", arrival.name, member.address, exc)
            return None, Refusal(RefusalKind.BAD_PASSWORD,
                                 f"{exc}: tickets are for the server's own doors")
        member.host = identity.address
        member.address = f"{identity.address} ({identity.door})"
        member.fingerprint = identity.fingerprint
        return identity, self.address_refusal(identity.address)

    def refusal(self, arrival: Arrival, host: str, *, vouched: bool = False,
                fingerprint: str | None = None) -> Refusal | None:
        """Why ``arrival`` from ``host`` may not come in, if it may not: its name is banned,
        a key holds it and ``fingerprint`` (the member's key, if any) is not that key,
        the join password is wrong (or not even looked at while throttled; not asked when
        ``vouched`` by a ticket), someone here has the name or a look-alike, or the server
        is full."""
        name = arrival.name
        ban = self._bans.on_name(name)
        if ban is not None:
            return Refusal(RefusalKind.BANNED, ban.refusal)
        problem = claim_problem(self._claims, name, fingerprint)
        if problem is not None:
            return Refusal(RefusalKind.NAME_TAKEN, f"{problem}; choose another name")
        config = self._hub.config
        if config.password is not None and not vouched:
            problem = self.join_password_problem(name, host, arrival.password,
                                                 config.password)
            if problem is not None:
                return Refusal(RefusalKind.BAD_PASSWORD, problem)
        holder = self._hub.find(name)
        if holder is not None:
            return Refusal(RefusalKind.NAME_TAKEN, f"{taken(name, holder)}; choose another name")
        if len(self._hub.members) >= config.max_clients:
            return Refusal(RefusalKind.FULL,
                           f"the server is full ({config.max_clients:,} users); try again later")
        return None

    def join_password_problem(self, name: str, host: str, given: str | None,
                              expected: str) -> str | None:
        """Why ``given`` does not let ``name`` in from ``host``; while the name (or the
        whole address) must wait after wrong passwords, the password is not looked at."""
        wait = self._passwords.refusal(host, name, PasswordKind.JOIN)
        if wait is not None:
            return f"{wait} (the password was not checked)"
        if self._passwords.check(host, name, given, expected, PasswordKind.JOIN):
            return None
        return "this server needs the right join password"

    def admin_rights(self, arrival: Arrival, host: str,
                     identity: Identity | None = None) -> tuple[bool, str | None]:
        """Whether ``arrival`` brings admin rights (its ticket's ``identity`` is an admin,
        or its ``admin_password``), and what the user is told when it brought a password
        that gave none."""
        if identity is not None and identity.admin:
            return True, None
        given = arrival.admin_password
        if given is None:
            return False, None
        wait = self._passwords.refusal(host, arrival.name, PasswordKind.ADMIN)
        if wait is not None:
            return False, f"{wait.capitalize()}: you joined without admin rights."
        if self._passwords.check(host, arrival.name, given, self._admin_password,
                                 PasswordKind.ADMIN):
            return True, None
        return False, "Wrong admin password: you joined without admin rights."

    def become_admin(self, member: Member, password: str) -> str | None:
        """Check ``admin -a``'s password for ``member``: None when it is right, else what
        the member is told (wrong, or not checked while throttled)."""
        wait = self._passwords.refusal(member.host, member.name, PasswordKind.ADMIN)
        if wait is not None:
            log.info("admin -a from %s (%s) refused unchecked: %s", member.name,
                     member.address, wait)
            return wait.capitalize()
        if not self._passwords.check(member.host, member.name, password,
                                     self._admin_password, PasswordKind.ADMIN):
            return "Wrong admin password."
        return None


def taken(name: str, holder: Member) -> str:
    """Why ``name`` cannot be had: ``holder`` has it, or one that looks like it."""
    if holder.name.casefold() == name.casefold():
        return f"{name!r} is already here"
    return f"{name!r} looks like {holder.name!r}, who is already here"
