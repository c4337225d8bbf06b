"""Interactive SSH sessions: the real tuichat client, run in a PTY for each session.

For a login with a terminal and no command, the door asks the chat (on the reactor
thread) for a one-time ticket for the login's ``Identity``, opens a PTY sized as the
client asked, and has the zygote fork the client on it: ``tuichat`` joining the native
door on this machine as that user with the ticket (``tui.main.run_served``), with the
session's TERM, its NO_COLOR and COLORTERM when the SSH client sent them, and a UTF-8
locale. With ``--tls`` the client speaks TLS to the native door too, with the server's
own certificate pinned. Then ``PtySession`` pumps the bytes until either side ends.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import logging
import os
import pty
import shutil
from typing import TYPE_CHECKING

from tuichat.server.doors.ssh.bridge import on_reactor
from tuichat.server.doors.ssh.pty_session import PtySession, set_size
from tuichat.server.doors.ssh.spawner import Spawner, SpawnError

if TYPE_CHECKING:
    import asyncssh

    from tuichat.server.config import ServerConfig
    from tuichat.server.core.chat import Chat
    from tuichat.server.core.identity import Identity
    from tuichat.server.reactor import Reactor

log = logging.getLogger("tuichat.server")

PASSED_ENV = ("NO_COLOR", "COLORTERM")
"""Variables of the SSH client's environment the session's client gets, when sent."""
MAX_VARIABLE = 256
"""Characters of TERM, NO_COLOR or COLORTERM passed on at most."""
DROP_WAIT = 2.0
"""Seconds a dropped session waits for the chat to end its member before the client."""
WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}
"""Where the clients connect when the server listens on every address."""


class Terminals:
    """Runs interactive sessions for the SSH door, on its asyncio loop."""

    def __init__(self, config: ServerConfig, chat: Chat, reactor: Reactor,
                 ports: tuple[int, int, int], tls_fingerprint: str | None) -> None:
        """``ports``: the native door's send, recv and image ports; ``tls_fingerprint``:
        its certificate's, when it speaks TLS."""
        self._config = config
        self._chat = chat
        self._reactor = reactor
        self._ports = ports
        self._tls = tls_fingerprint
        self._host = WILDCARDS.get(config.host, config.host)
        self.spawner = Spawner()

    def start(self) -> None:
        """Start the zygote, so the first session finds it warm."""
        (self._config.ssh_dir / "avatar-cache").mkdir(parents=True, exist_ok=True)
        self.spawner.start()

    def stop(self) -> None:
        """End every session's client (their channels close as they exit)."""
        self.spawner.stop()

    async def run(self, process: asyncssh.SSHServerProcess[bytes], identity: Identity,
                  picture: bytes | None = None) -> None:
        """Serve one interactive session for ``identity``, until the client exits (the
        channel closes with its status) or the channel drops (the client is ended);
        ``picture``: the PNG set with ``ssh … avatar``, which the client shows as its own."""
        ticket = await self._ticket(identity)
        master, slave = pty.openpty()
        try:
            set_size(slave, process.term_size)
            child = await self.spawner.spawn(self._request(process, identity, ticket, picture),
                                             slave)
        except (OSError, SpawnError) as exc:
            os.close(master)
            log.warning("could not start a session's client for %s: %s", identity.name, exc)
            process.stderr.write(b"tuichat: the session could not be started; try again\r\n")
            process.exit(1)
            return
        finally:
            os.close(slave)
        log.info("SSH session of %s from %s: client pid %d", identity.name, identity.address,
                 child.pid)
        try:
            code = await PtySession(process, master, child, self.spawner,
                                    lambda: self._dropped(identity, ticket)).run()
        finally:
            if child.home is not None:  # gone already, unless the zygote died first
                shutil.rmtree(child.home, ignore_errors=True)
        log.info("SSH session of %s ended (client status %d)", identity.name, code)
        process.exit(code if code >= 0 else 128 - code)

    async def _ticket(self, identity: Identity) -> str:
        """A ticket for ``identity``, issued by the chat on the reactor thread."""
        chat = self._chat
        future: concurrent.futures.Future[str] = concurrent.futures.Future()

        def issue() -> None:
            try:
                future.set_result(chat.issue_ticket(identity))
            except BaseException as exc:
                future.set_exception(exc)

        self._reactor.call_soon_threadsafe(issue)
        return await asyncio.wrap_future(future)

    async def _dropped(self, identity: Identity, ticket: str) -> None:
        """The session's connection dropped: its member leaves as a dropped one does."""
        log.info("SSH session of %s from %s dropped", identity.name, identity.address)
        chat = self._chat
        with contextlib.suppress(TimeoutError):  # a stopping server's reactor may not answer
            await asyncio.wait_for(on_reactor(self._reactor, lambda: chat.drop_ticketed(
                ticket, "the SSH connection dropped")), DROP_WAIT)

    def _request(self, process: asyncssh.SSHServerProcess[bytes], identity: Identity,
                 ticket: str, picture: bytes | None) -> dict[str, object]:
        """What the zygote needs to start this session's client."""
        env = {"TERM": _variable(process.term_type or "") or "xterm"}
        for name, value in process.env.items():
            key = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
            if key in PASSED_ENV and (text := _variable(value)) is not None:
                env[key] = text
        return {"name": identity.name, "host": self._host, "ports": list(self._ports),
                "ticket": ticket, "tls": self._tls, "env": env,
                "avatars": os.fspath(self._config.ssh_dir / "avatar-cache"),
                "turns": os.fspath(self._config.ssh_dir / "render-turns"),
                "picture": base64.b64encode(picture).decode() if picture else None}


def _variable(value: str | bytes) -> str | None:
    """``value`` as the client's environment may hold it: printable text of a sensible
    length (a NUL in TERM ended the session with a traceback), else None."""
    text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return text if len(text) <= MAX_VARIABLE and text.isprintable() else None
