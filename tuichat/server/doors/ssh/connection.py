"""One SSH connection as the door sees it: who it is (authentication) and what it may open.

asyncssh makes one ``Login`` per connection. Public-key authentication turns the login
into an ``Identity``; sessions then go to the door's handler with it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import asyncssh

from tuichat.server.doors.ssh.identity import Identity

if TYPE_CHECKING:
    from tuichat.server.config import ServerConfig

log = logging.getLogger("tuichat.server")

Handler = Callable[[asyncssh.SSHServerProcess[bytes], Identity], Awaitable[None]]
"""Serves one session of an authenticated login."""


class Login(asyncssh.SSHServer):
    """Authentication and session requests of one SSH connection (on the SSH loop)."""

    def __init__(self, config: ServerConfig, handler: Handler) -> None:
        self._config = config
        self._handler = handler
        self._host = ""
        self._identity: Identity | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        """Note where the connection comes from."""
        peer = conn.get_extra_info("peername")
        self._host = str(peer[0]) if peer else ""

    def begin_auth(self, username: str) -> bool:
        """Every login authenticates."""
        return True

    def public_key_auth_supported(self) -> bool:
        """Keys are how names are claimed."""
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        """Take any key (for now) as ``username``."""
        self._identity = Identity(username, self._host, key.get_fingerprint("sha256"))
        return True

    def session_requested(self) -> asyncssh.SSHServerProcess[bytes]:
        """A session channel, served by the door's handler with this login's identity."""
        return asyncssh.SSHServerProcess(self._run, None, 0, False)

    async def _run(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        assert self._identity is not None
        await self._handler(process, self._identity)
