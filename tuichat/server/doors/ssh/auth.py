"""One SSH connection's login: the name it asks for, its key or the join password, and
why it is turned away when it is.

The SSH user name is the chat name (the name rule of ``net.names``). A key that logs in
under an unclaimed name claims it (``claims``); afterwards only that key may use it.
Keyless logins (keyboard-interactive) may use unclaimed names unless ``--ssh-keys-only``.
With a join password, an unclaimed name is first asked for it (keyboard-interactive);
once it is right, a key offered next claims the name, and a client without keys is in
without one. Keys in ``--admin-keys`` are admins. Bans of the address or the name turn
the login away with the ban's text. Each refusal is told to the user in an auth banner,
which ``ssh`` prints. Runs on the SSH loop; chat state is asked through the reactor.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncssh
from asyncssh.auth import KbdIntChallenge, KbdIntResponse

from tuichat.net.names import name_problem, normalize_name
from tuichat.server.core.identity import Identity
from tuichat.server.doors.ssh.bridge import on_reactor
from tuichat.server.doors.ssh.requests import Session, refuse_forwarding, refused

if TYPE_CHECKING:
    from tuichat.server.config import ServerConfig
    from tuichat.server.core.chat import Chat
    from tuichat.server.doors.ssh.claims import Claims
    from tuichat.server.doors.ssh.counts import LoginCounts
    from tuichat.server.reactor import Reactor

log = logging.getLogger("tuichat.server")

PASSWORD_PROMPT = "Join password: "
Handler = Callable[[asyncssh.SSHServerProcess[bytes], Identity], Awaitable[None]]
"""Serves one session of an authenticated login."""


@dataclass(frozen=True, slots=True)
class Gate:
    """What every login of the door is checked against."""

    config: ServerConfig
    chat: Chat
    reactor: Reactor
    claims: Claims
    counts: LoginCounts
    admin_keys: asyncssh.SSHAuthorizedKeys | None


class Login(asyncssh.SSHServer):
    """Authentication and session requests of one SSH connection (on the SSH loop)."""

    def __init__(self, gate: Gate, handler: Handler) -> None:
        self._gate = gate
        self._handler = handler
        self._conn: asyncssh.SSHServerConnection | None = None
        self._host = ""
        self._name = ""
        self._refusal: str | None = None
        """Why this login can only fail (told once in the banner), if it must."""
        self._told_claim = False
        self._kbdint_over = False
        """Keyboard-interactive has said why this login cannot use it: not offered again."""
        self._pending = False
        """Counted as a connection still authenticating (``LoginCounts.begin``)."""
        self._password_ok = False
        self._key: asyncssh.SSHKey | None = None
        self.identity: Identity | None = None
        """Who logged in, once authentication is complete."""

    # -- the connection --------------------------------------------------------------------

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        """Note where the connection comes from; count it as authenticating."""
        self._conn = conn
        peer = conn.get_extra_info("peername")
        self._host = str(peer[0]) if peer else ""
        refuse_forwarding(conn, self.describe)
        self._refusal = self._gate.counts.begin(self._host)
        self._pending = self._refusal is None

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone: it no longer counts as authenticating."""
        self._stop_pending()

    def describe(self) -> str:
        """Who this is, for logs: the name asked for and the address."""
        return f"{self._name or '?'} ({self._host})"

    def _stop_pending(self) -> None:
        if self._pending:
            self._pending = False
            self._gate.counts.end(self._host)

    # -- authentication --------------------------------------------------------------------

    async def begin_auth(self, username: str) -> bool:
        """Check the name and the bans first; every login authenticates."""
        name = self._name = normalize_name(username)
        if self._refusal is None:
            problem = name_problem(name)
            if problem is not None:
                self._refusal = (f"{username[:40]!r} cannot be your chat name: {problem}. "
                                 "The SSH user name is the chat name: ssh NAME@HOST.")
        if self._refusal is None:
            chat = self._gate.chat
            self._refusal = await on_reactor(self._gate.reactor,
                                             lambda: _ban_text(chat, self._host, name))
        if self._refusal is not None:
            log.info("SSH login of %s refused: %s", self.describe(), self._refusal)
            self._tell(f"Not let in: {self._refusal}.")
        elif self._password_first():
            self._tell(f"This server has a join password: ssh asks for it. With an SSH key, "
                       f"the key then claims the name {name!r} (no password after that).")
        return True

    def public_key_auth_supported(self) -> bool:
        """Keys are offered unless the login must fail, or must give the join password
        first (an unclaimed name on a server with one)."""
        return self._refusal is None and not self._password_first()

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        """The key may be this name's: it holds the claim, or none does. Called for the
        probe and again for the signed request; only a login that ends with a key's
        signature keeps the key (``_keyless_welcome`` forgets a probed one)."""
        claim = self._gate.claims.holder(self._name)
        fingerprint = key.get_fingerprint("sha256")
        if claim is None or claim.fingerprint == fingerprint:
            self._key = key
            return True
        if not self._told_claim:
            self._told_claim = True
            self._tell(f"The name {self._name!r} is claimed by another SSH key "
                       f"({claim.fingerprint[:19]}...). Log in with that key or choose "
                       f"another name; an admin can release the claim: admin -rk {self._name}")
        log.info("SSH login of %s refused: its key %s does not hold the name's claim",
                 self.describe(), fingerprint)
        return False

    def kbdint_auth_supported(self) -> bool:
        """Keyboard-interactive: the join password, a keyless login, or (for a claimed
        name, once) the reason a keyless login is refused."""
        return self._refusal is None and not self._kbdint_over

    def get_kbdint_challenge(self, username: str, lang: str,
                             submethods: str) -> KbdIntChallenge:
        """Ask the join password (when due); let a keyless login in, or say why not."""
        if self._claimed():
            self._kbdint_over = True
            if not self._told_claim:
                self._told_claim = True
                self._tell(f"The name {self._name!r} is claimed by an SSH key: log in with "
                           "that key, or choose another name.")
            return False
        if self._password_first():
            return "", "", "", ((PASSWORD_PROMPT, False),)
        return self._keyless_welcome()

    async def validate_kbdint_response(self, username: str,
                                       responses: KbdIntResponse
                                       ) -> KbdIntChallenge:
        """Check the join password through the chat's throttle. Right: a key offered
        next claims the name; a client without one gets in keyless."""
        given = responses[0] if len(responses) == 1 else ""
        chat, host, name = self._gate.chat, self._host, self._name
        problem = await on_reactor(self._gate.reactor,
                                   lambda: chat.join_password_problem(name, host, given))
        if problem is not None:
            log.info("SSH login of %s: %s", self.describe(), problem)
            self._tell(f"Not let in: {problem}.")
            return False
        self._password_ok = True
        return False  # a changed list of methods: keys are tried now, then this again

    def auth_completed(self) -> None:
        """The login is in: claim the name for its key when none holds it."""
        self._stop_pending()
        key = self._key
        fingerprint = key.get_fingerprint("sha256") if key is not None else None
        admin = key is not None and self._is_admin(key)
        if fingerprint is not None:
            claim = self._gate.claims.claim(self._name, fingerprint)
            if claim.fingerprint != fingerprint:  # another key claimed it meanwhile
                self._refusal = f"the name {self._name!r} was just claimed by another key"
        self.identity = Identity(self._name, self._host, fingerprint, admin)
        log.info("SSH login of %s %s", self.describe(),
                 f"with the key {fingerprint}{' (admin)' if admin else ''}"
                 if fingerprint else "without a key")

    def _keyless_welcome(self) -> KbdIntChallenge:
        """A keyless login that needs nothing more: in, unless keys only."""
        if self._gate.config.ssh_keys_only:
            self._kbdint_over = True
            self._tell("This server takes SSH keys only: log in with a key "
                       "(ssh -i KEY NAME@HOST); the first key to use a name claims it.")
            return False
        self._key = None  # a key only offered, never signed with, proves nothing
        return True

    def _password_first(self) -> bool:
        """An unclaimed name on a server with a join password, not yet given."""
        return (self._gate.config.password is not None and not self._password_ok
                and not self._claimed())

    def _claimed(self) -> bool:
        return self._gate.claims.holder(self._name) is not None

    def _is_admin(self, key: asyncssh.SSHKey) -> bool:
        keys = self._gate.admin_keys
        return keys is not None and keys.validate(key, self._host, self._host) is not None

    def _tell(self, text: str) -> None:
        """Show ``text`` to the user (an auth banner, which ``ssh`` prints)."""
        if self._conn is None:
            return
        with contextlib.suppress(OSError):  # authentication is already over
            self._conn.send_auth_banner(text.rstrip() + "\r\n")

    # -- sessions --------------------------------------------------------------------------

    def session_requested(self) -> Session:
        """A session channel, served by the door's handler with this login's identity."""
        return Session(self._run, self.describe)

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str,
                             orig_port: int) -> bool:
        """Local port forwarding (``ssh -L``, direct-tcpip): refused."""
        refused(self.describe, f"port forwarding to {dest_host[:60]}:{dest_port} (-L)")
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        """Remote port forwarding (``ssh -R``, tcpip-forward): refused."""
        refused(self.describe, f"port forwarding from {listen_host[:60]}:{listen_port} (-R)")
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        """Forwarding to a UNIX socket: refused."""
        refused(self.describe, f"port forwarding to the socket {dest_path[:60]!r}")
        return False

    def unix_server_requested(self, listen_path: str) -> bool:
        """Forwarding from a UNIX socket: refused."""
        refused(self.describe, f"port forwarding from the socket {listen_path[:60]!r}")
        return False

    async def _run(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        identity = self.identity
        assert identity is not None
        if self._refusal is not None:
            process.stderr.write(f"Not let in: {self._refusal}.\n".encode())
            process.exit(1)
            return
        counts = self._gate.counts
        refusal = counts.open(identity)
        if refusal is not None:
            log.info("SSH session of %s refused: %s", self.describe(), refusal)
            process.stderr.write(f"Not let in: {refusal}.\n".encode())
            process.exit(1)
            return
        try:
            await self._handler(process, identity)
        finally:
            counts.close(identity)


def _ban_text(chat: Chat, host: str, name: str) -> str | None:
    """Why ``name`` from ``host`` is banned, if it is (on the reactor thread)."""
    refusal = chat.address_refusal(host)
    if refusal is not None:
        return refusal.text
    ban = chat.bans.on_name(name)
    return ban.refusal if ban is not None else None
