"""The textual-serve server the browser door runs: its page, and a cap on the client
processes browsers may start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

log = logging.getLogger("tuichat.server")

TITLE = "tuichat"
TEMPLATES = Path(__file__).parent / "templates"
"""The page: textual-serve's own, with its font served here rather than by Google."""
QUIT_TIMEOUT = 2.0
"""Seconds a session's client has to quit once told to, before it is killed."""
HEARTBEAT = 15.0
"""Seconds between the websocket's pings (textual-serve's own value)."""


class GuestService(AppService):
    """One session's client process, reaped when the session ends (textual-serve leaves
    the process and its pipes to the garbage collector)."""

    async def stop(self) -> None:
        """Tell the client to quit, wait for it (kill it if it does not), close its pipes."""
        await super().stop()
        process = self._process
        if process is None:
            return
        try:
            await asyncio.wait_for(process.wait(), QUIT_TIMEOUT)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        transport = getattr(process, "_transport", None)  # asyncio gives no public close
        if transport is not None:
            transport.close()


class GuestServer(Server):
    """textual-serve's server with a page that asks nothing of another site, its URLs
    taken from the request (the address the browser used), its start logged instead of
    printed, and at most ``max_sessions``
    client processes at once, ``max_per_address`` of them for one browser address."""

    def __init__(self, command: str, *, max_sessions: int, max_per_address: int) -> None:
        super().__init__(command, title=TITLE, templates_path=TEMPLATES)
        self.max_sessions = max_sessions
        self.max_per_address = max_per_address
        self.sessions: Counter[str] = Counter()
        """Client processes running, by the browser's address."""

    async def on_startup(self, app: web.Application) -> None:
        """Log nothing here: the door logs its address once it listens."""

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page, pointing at this server as the browser reached it (``Host``)."""
        origin = f"{request.scheme}://{request.host}"
        socket_scheme = "wss" if request.scheme == "https" else "ws"
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{socket_scheme}://{request.host}/ws",
            "config": {"static": {"url": f"{origin}/static/"}},
            "application": {"name": self.title},
        }

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Start a client process for this browser, unless the caps are reached."""
        address = request.remote or "?"
        total = sum(self.sessions.values())
        if self.max_sessions and total >= self.max_sessions:
            log.warning("browser session from %s refused: %d sessions open", address, total)
            raise web.HTTPServiceUnavailable(text="too many browser sessions")
        if self.max_per_address and self.sessions[address] >= self.max_per_address:
            log.warning("browser session from %s refused: %d open from there", address,
                        self.sessions[address])
            raise web.HTTPServiceUnavailable(text="too many browser sessions from you")
        self.sessions[address] += 1
        log.info("browser session from %s starts", address)
        try:
            return await self._run_session(request)
        finally:
            self.sessions[address] -= 1
            if not self.sessions[address]:
                del self.sessions[address]
            log.info("browser session from %s ended", address)

    async def _run_session(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's session (its ``handle_websocket``) with a reaped client."""
        websocket = web.WebSocketResponse(heartbeat=HEARTBEAT)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        await websocket.prepare(request)

        async def close() -> None:
            await websocket.close()

        service = GuestService(self.command, write_bytes=websocket.send_bytes,
                               write_str=websocket.send_str, close=close,
                               download_manager=self.download_manager)
        try:
            await service.start(width, height)
            await self._process_messages(websocket, service)
        finally:
            await service.stop()
        return websocket

    async def make_app(self) -> web.Application:
        """The aiohttp application: the page, its websocket, its static files."""
        return await self._make_app()
