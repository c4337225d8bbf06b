"""The browser door's thread: an aiohttp site of its own asyncio loop, started and stopped
with the server, spawning ``tuichat --guest`` pointed at the native door per session, with
a ticket that carries the browser's address there."""

from __future__ import annotations

import asyncio
import logging
import shlex
import socket
import ssl
import sys
import threading
from dataclasses import dataclass

from aiohttp import web

from tuichat.server.doors.web.sessions import GuestServer
from tuichat.server.doors.web.vouchers import Vouchers

log = logging.getLogger("tuichat.server")

STOP_TIMEOUT = 5.0
"""Seconds the door waits for its sessions' clients to quit when the server stops."""
USERS_PER_ADDRESS = 3
"""``max_per_address`` counts connections; a user holds three (send, recv, image)."""


@dataclass(frozen=True)
class NativeTarget:
    """Where a browser session's client joins: the native door on this machine."""

    host: str
    """The address the native door listens on (loopback when it listens on them all)."""
    port_send: int
    port_recv: int
    port_image: int
    tls_fingerprint: str | None = None
    """The server's certificate, pinned by the client (no question asked); None: no TLS."""

    def command(self) -> str:
        """The shell command textual-serve runs per session: the real client, as a guest,
        in the shell's place (``exec``), so a session is one process."""
        words = [sys.executable, "-m", "tuichat.tui.main", "--guest", "--host", self.host,
                 "--port-send", str(self.port_send), "--port-recv", str(self.port_recv),
                 "--port-image", str(self.port_image)]
        if self.tls_fingerprint is not None:
            words += ["--tls", "--tls-pin", self.tls_fingerprint]
        return f"exec {shlex.join(words)}"


class WebDoor:
    """textual-serve on ``host``:``port`` (0: any free port), over HTTPS when given a TLS
    context; ``start`` returns once it listens, ``stop`` ends every browser session."""

    def __init__(self, host: str, port: int, target: NativeTarget, tls: ssl.SSLContext | None,
                 *, max_sessions: int, max_per_address: int, trust_proxy: bool = False) -> None:
        self._serve = GuestServer(target.command(), max_sessions=max_sessions,
                                  max_per_address=max_per_address, trust_proxy=trust_proxy)
        self._tls = tls
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._socket = _listen(host, port)
        self._thread = threading.Thread(target=self._loop.run_forever, name="tuichat-web",
                                        daemon=True)

    @property
    def port(self) -> int:
        """The port browsers connect to."""
        port: int = self._socket.getsockname()[1]
        return port

    def start(self, vouchers: Vouchers) -> None:
        """Run the loop on its thread and open the site on the bound socket; ``vouchers``
        hands out the sessions' tickets."""
        self._serve.vouchers = vouchers
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), self._loop).result()
        scheme = "https" if self._tls is not None else "http"
        host = self._socket.getsockname()[0]
        log.info("browser door on %s://%s:%d/", scheme, host, self.port)

    def stop(self) -> None:
        """Close the site and every session (their clients are told to quit; what is left
        after that is cancelled, so every client is reaped), then the loop."""
        if self._runner is not None:
            closing = asyncio.run_coroutine_threadsafe(self._close(self._runner), self._loop)
            try:
                closing.result(STOP_TIMEOUT)
            except TimeoutError:
                log.warning("browser sessions still open after %.0f s", STOP_TIMEOUT)
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(STOP_TIMEOUT)
        if not self._thread.is_alive():
            self._loop.close()
        self._socket.close()

    @staticmethod
    async def _close(runner: web.AppRunner) -> None:
        await runner.cleanup()
        rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)

    async def _open(self) -> None:
        self._runner = web.AppRunner(await self._serve.make_app(), handle_signals=False,
                                     shutdown_timeout=STOP_TIMEOUT / 2)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket, ssl_context=self._tls).start()


def door_for(host: str, port: int, target: NativeTarget, tls: ssl.SSLContext | None,
             max_clients: int, max_per_address: int, trust_proxy: bool = False) -> WebDoor:
    """The door with the server's limits: ``max_clients`` sessions in all, and from one
    address as many users as ``max_per_address`` connections hold (0: no limit)."""
    per_address = max(1, max_per_address // USERS_PER_ADDRESS) if max_per_address else 0
    return WebDoor(host, port, target, tls, max_sessions=max_clients,
                   max_per_address=per_address, trust_proxy=trust_proxy)


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port``; OSError if it cannot be had."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    listener = socket.socket(infos[0][0], socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(infos[0][4])
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener
