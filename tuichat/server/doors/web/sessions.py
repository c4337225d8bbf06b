"""The textual-serve server the browser door runs: its page, and a cap on the client
processes browsers may start."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server, to_int

log = logging.getLogger("tuichat.server")

TITLE = "tuichat"


class GuestServer(Server):
    """textual-serve's server with the page's URLs taken from the request (the address
    the browser used), its start logged instead of printed, and at most ``max_sessions``
    client processes at once, ``max_per_address`` of them for one browser address."""

    def __init__(self, command: str, *, max_sessions: int, max_per_address: int) -> None:
        super().__init__(command, title=TITLE)
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
            return await super().handle_websocket(request)
        finally:
            self.sessions[address] -= 1
            if not self.sessions[address]:
                del self.sessions[address]
            log.info("browser session from %s ended", address)

    async def make_app(self) -> web.Application:
        """The aiohttp application: the page, its websocket, its static files."""
        return await self._make_app()
