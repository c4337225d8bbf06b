"""The SSH door: asyncssh on its own thread and asyncio loop, serving each session by kind.

A session with a terminal and no command is interactive (``Terminals``); without a
terminal and without a command it is line mode (``Lines``); the command ``avatar`` sets a
picture (``Pictures``); any other command is refused. Calls into the chat go through the
reactor (``reactor.call_soon_threadsafe``); the chat's events come back on the reactor
thread, to ``Lines.deliver``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

import asyncssh

from tuichat.server.doors.ssh.auth import Gate, Login
from tuichat.server.doors.ssh.avatar import Pictures
from tuichat.server.doors.ssh.claims import Claims
from tuichat.server.doors.ssh.counts import LoginCounts
from tuichat.server.doors.ssh.hostkey import fingerprint_line, host_key
from tuichat.server.doors.ssh.lines import Lines
from tuichat.server.doors.ssh.requests import refused

if TYPE_CHECKING:
    from tuichat.server.avatars import AvatarStore
    from tuichat.server.config import ServerConfig
    from tuichat.server.core.chat import Chat
    from tuichat.server.core.identity import Identity
    from tuichat.server.doors.ssh.terminals import Terminals
    from tuichat.server.reactor import Reactor

log = logging.getLogger("tuichat.server")

AVATAR_COMMAND = "avatar"
LOGIN_TIMEOUT = 60.0
"""Seconds a connection has to log in (time enough to type the join password)."""
START_TIMEOUT = 10.0
"""Seconds ``start`` waits for the SSH port to be bound."""
STOP_TIMEOUT = 5.0
"""Seconds ``stop`` waits for the SSH loop to close its sessions."""


class SshDoor:
    """The SSH listener and its sessions; ``start`` and ``stop`` from the server's thread."""

    def __init__(self, config: ServerConfig, chat: Chat, reactor: Reactor,
                 terminals: Terminals, *, claims: Claims, avatars: AvatarStore) -> None:
        """Made before the reactor runs (it joins the chat as the line-mode door)."""
        self._config = config
        self._reactor = reactor
        self._terminals = terminals
        self._claims = claims
        self._lines = Lines(config, chat, reactor)
        self._pictures = Pictures(chat, reactor, avatars, claims)
        self._avatars = avatars
        self._chat = chat
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tuichat-ssh",
                                        daemon=True)
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self.port: int | None = None
        """The port the door listens on (after ``start``)."""
        self.fingerprint: str | None = None
        """The host key's ``SHA256:...`` fingerprint (after ``start``)."""

    def start(self) -> None:
        """Make or load the host key, read the admin keys, bind the SSH port, and serve on
        the door's thread."""
        config = self._config
        assert config.ssh_port is not None
        key = host_key(config.ssh_dir)
        self.fingerprint = key.get_fingerprint("sha256")
        admin_keys = None
        if config.admin_keys is not None:
            admin_keys = asyncssh.read_authorized_keys(str(config.admin_keys))
        gate = Gate(config, self._chat, self._reactor, self._claims,
                    LoginCounts(config.max_handshakes_per_address, config.max_handshakes,
                                config.max_per_address),
                    admin_keys)
        self._thread.start()
        self._terminals.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(gate, key, config.ssh_port),
                                                  self._loop)
        try:
            self._acceptor = future.result(START_TIMEOUT)
        except BaseException:
            self._stop_loop()
            raise
        self.port = self._acceptor.sockets[0].getsockname()[1]
        log.info("SSH door on %s port %d; host key %s", config.host, self.port,
                 fingerprint_line(key))

    def stop(self) -> None:
        """Close the listener and every session, then end the door's thread."""
        self._terminals.stop()
        if self._acceptor is not None:
            acceptor, self._acceptor = self._acceptor, None
            future = asyncio.run_coroutine_threadsafe(self._close(acceptor), self._loop)
            try:
                future.result(STOP_TIMEOUT)
            except TimeoutError:
                log.warning("SSH sessions did not close within %g s", STOP_TIMEOUT)
        self._stop_loop()

    def _stop_loop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(STOP_TIMEOUT)

    async def _listen(self, gate: Gate, key: asyncssh.SSHKey,
                      port: int) -> asyncssh.SSHAcceptor:
        return await asyncssh.create_server(
            lambda: Login(gate, self._serve), self._config.host, port,
            server_host_keys=[key], encoding=None, line_editor=False,
            agent_forwarding=False, x11_forwarding=False, allow_scp=False,
            login_timeout=LOGIN_TIMEOUT, keepalive_interval=self._config.ping_interval,
            keepalive_count_max=max(1, round(self._config.ping_timeout
                                             / self._config.ping_interval)),
        )

    @staticmethod
    async def _close(acceptor: asyncssh.SSHAcceptor) -> None:
        acceptor.close()
        await acceptor.wait_closed()

    async def _serve(self, process: asyncssh.SSHServerProcess[bytes],
                     identity: Identity) -> None:
        """One session of an authenticated login, by its kind."""
        command = process.command
        if command is None:
            if process.term_type is not None:
                await self._terminals.run(process, identity, self._remembered_picture(identity))
            else:
                await self._lines.run(process, identity, self._remembered_avatar(identity))
        elif command.strip() == AVATAR_COMMAND:
            await self._pictures.run(process, identity)
        else:
            refused(lambda: f"{identity.name} ({identity.address})",
                    f"the command {command[:60]!r}")
            process.stderr.write(f"This server runs no commands but {AVATAR_COMMAND!r} "
                                 f"(ssh HOST avatar < me.png); {command[:60]!r} is refused.\n"
                                 .encode())
            process.exit(1)

    def _remembered_picture(self, identity: Identity) -> bytes | None:
        """The PNG of the picture kept with ``identity``'s claim, for its served client."""
        avatar = self._remembered_avatar(identity)
        return self._avatars.get(avatar) if avatar is not None else None

    def _remembered_avatar(self, identity: Identity) -> str | None:
        """The picture kept with ``identity``'s claim (``avatar``), if it is still stored."""
        claim = self._claims.holder(identity.name)
        if claim is None or claim.fingerprint != identity.fingerprint:
            return None
        return claim.avatar if claim.avatar in self._avatars else None
