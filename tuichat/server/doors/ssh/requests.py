"""What the SSH door grants besides its sessions: nothing. Subsystems (SFTP), port
forwarding both ways, agent and X11 forwarding are each refused and logged once.

asyncssh refuses agent and X11 forwarding itself when they are off, but says nothing of
it to the door: ``refuse_forwarding`` puts the door's own refusals in its place on one
connection, so they are logged with who asked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncssh

log = logging.getLogger("tuichat.server")

Describe = Callable[[], str]
"""Who a connection is, for the log: name and address."""


def refused(describe: Describe, what: str) -> None:
    """Log that the connection ``describe`` names asked for ``what`` and was refused."""
    log.warning("SSH request refused: %s asked for %s", describe(), what)


def refuse_forwarding(conn: asyncssh.SSHServerConnection, describe: Describe) -> None:
    """Refuse (and log) agent and X11 forwarding on ``conn``."""

    async def no_agent() -> bool:
        refused(describe, "agent forwarding")
        return False

    async def no_x11(*_args: Any) -> None:
        refused(describe, "X11 forwarding")

    agent: Callable[[], Awaitable[bool]] = no_agent
    x11: Callable[..., Awaitable[None]] = no_x11
    setattr(conn, "create_agent_listener", agent)  # noqa: B010 - asyncssh has no hook
    setattr(conn, "attach_x11_listener", x11)  # noqa: B010 - for these refusals


class Session(asyncssh.SSHServerProcess[bytes]):
    """A session channel that refuses every subsystem (SFTP among them)."""

    def __init__(self, run: Callable[[asyncssh.SSHServerProcess[bytes]], Awaitable[None]],
                 describe: Describe) -> None:
        super().__init__(run, None, 0, False)
        self._describe = describe

    def subsystem_requested(self, subsystem: str) -> bool:
        """No subsystem is served."""
        refused(self._describe, f"subsystem {subsystem[:40]!r}")
        return False
