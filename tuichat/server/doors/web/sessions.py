"""The textual-serve server the browser door runs: its page (and the headers that keep it
to itself), the checks on a session's websocket (its page's origin, the browser's
address, caps and a start rate on the client processes browsers may start), each
session's ticket, which tells the native door the address, and a session's end (its
client reaped; a drop told to the chat as one; an idle session closed)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from asyncio.subprocess import Process
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp_jinja2
from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from tuichat.net.guest_ticket import TICKET_ENV
from tuichat.server.doors.web import envelopes
from tuichat.server.doors.web.starts import StartRate
from tuichat.server.doors.web.visitors import browser_address, browser_scheme, origin_problem
from tuichat.server.doors.web.vouchers import Refused

if TYPE_CHECKING:
    from tuichat.server.doors.web.vouchers import Vouchers

log = logging.getLogger("tuichat.server")

TITLE = "tuichat"
TEMPLATES = Path(__file__).parent / "templates"
"""The page: textual-serve's own, with its font served here rather than by Google."""
QUIT_TIMEOUT = 2.0
"""Seconds a session's client has to quit once told to, before it is killed."""
HEARTBEAT = 15.0
"""Seconds between the websocket's pings (textual-serve's own value)."""
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
"""On every answer: the page loads nothing from another site (the browser enforces what
the template already does), no other site may frame it (a framed chat is a clickjacked
one), and no address is passed on."""
CLEAN_CLOSES = (WSCloseCode.OK, WSCloseCode.GOING_AWAY)
"""Close codes of a websocket that ended on purpose (the tab closed, the page left, the
server stopping); any other end (no close frame, no pong) is a dropped connection."""
JOIN_TIMEOUT = 300.0
"""Seconds a browser session may go without its user in the chat (on the connect screen,
or back there after a kick) before it is ended: each session holds a client process."""
IDLE_CHECK = 10.0
"""Seconds between looks at whether a session's user is in the chat."""
STDERR_TAIL = 4096
"""Bytes of what a session's client wrote on stderr kept for the log (a traceback)."""
MAX_MESSAGE = 1024 * 1024
"""Bytes of one websocket message: a paste of a long text, with room to spare."""
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "PYTHONPATH",
              "TEXTUAL_DRIVER", "TEXTUAL_FPS", "TEXTUAL_COLOR_SYSTEM", "TERM_PROGRAM",
              "TERM_PROGRAM_VERSION", "COLUMNS", "ROWS")
"""The variables a session's client gets: a few of the server's (not its passwords, nor
the rest), and those textual-serve sets for its web driver."""


class GuestService(AppService):
    """One session's client process, started with the session's ticket and few of the
    server's variables, and reaped when the session ends (textual-serve leaves the
    process and its pipes to the garbage collector)."""

    def __init__(self, command: str, ticket: str, **kwargs: Any) -> None:
        super().__init__(command, **kwargs)
        self._ticket = ticket
        self._stderr: asyncio.Task[bytes] | None = None

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        """textual-serve's process, with its stderr read here: the last ``STDERR_TAIL``
        bytes are kept and logged when it ends (textual-serve kept all of it, and printed
        it on the server's stdout)."""
        process = await super()._open_app_process(width, height)
        assert process.stderr is not None
        self._stderr = asyncio.create_task(_tail(process.stderr))
        ended = asyncio.StreamReader()  # what textual-serve reads instead: nothing
        ended.feed_eof()
        process.stderr = ended
        return process

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        """textual-serve's variables for the web driver, the ticket, and ``PASSED_ENV``."""
        given = super()._build_environment(width, height)
        env = {key: value for key, value in given.items() if key in PASSED_ENV}
        env[TICKET_ENV] = self._ticket
        return env

    async def stop(self) -> None:
        """Tell the client to quit, wait for it (kill it if it does not), close its pipes;
        cancelled meanwhile (the server stopping), kill it and close them all the same."""
        try:
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
        finally:
            transport = getattr(self._process, "_transport", None)  # asyncio has no public
            if transport is not None:  # close; this one also kills a client still running
                transport.close()
            if self._stderr is not None:
                await self._log_stderr(self._stderr)

    @staticmethod
    async def _log_stderr(reading: asyncio.Task[bytes]) -> None:
        """Log what the client wrote on stderr (its pipe is closed, so the read ends)."""
        try:
            written = await asyncio.wait_for(asyncio.shield(reading), QUIT_TIMEOUT)
        except TimeoutError:
            reading.cancel()
            return
        if written:
            log.warning("a browser session's client wrote on stderr (its last %d bytes): %s",
                        len(written), written.decode("utf-8", "replace").rstrip())


async def _tail(stream: asyncio.StreamReader) -> bytes:
    """The last ``STDERR_TAIL`` bytes of ``stream``, read to its end."""
    kept = bytearray()
    while chunk := await stream.read(65_536):
        kept += chunk
        del kept[:-STDERR_TAIL]
    return bytes(kept)


class GuestServer(Server):
    """textual-serve's server with a page that asks nothing of another site, its URLs
    taken from the request (the address the browser used), its start logged instead of
    printed, and at most ``max_sessions``
    client processes at once, ``max_per_address`` of them for one browser address."""

    def __init__(self, command: str, *, max_sessions: int, max_per_address: int,
                 trust_proxy: bool = False) -> None:
        """``trust_proxy``: the browser's address is the last of ``X-Forwarded-For``."""
        super().__init__(command, title=TITLE, templates_path=TEMPLATES)
        self.vouchers: Vouchers | None = None
        """The chat's tickets, set before the door opens."""
        self.join_timeout = JOIN_TIMEOUT
        self.starts = StartRate()
        """How often one address may start a session (each start is a client process)."""
        self.trust_proxy = trust_proxy
        self.max_sessions = max_sessions
        self.max_per_address = max_per_address
        self.sessions: Counter[str] = Counter()
        """Client processes running, by the browser's address."""

    async def on_startup(self, app: web.Application) -> None:
        """Log nothing here: the door logs its address once it listens."""

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """The page, pointing at this server as the browser reached it (``Host``, and
        behind a trusted proxy its ``X-Forwarded-Proto``: a proxy that ends TLS must
        not hand an HTTPS page a ``ws://`` address, which the browser would block)."""
        scheme = browser_scheme(request, self.trust_proxy)
        origin = f"{scheme}://{request.host}"
        socket_scheme = "wss" if scheme == "https" else "ws"
        return {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{socket_scheme}://{request.host}/ws",
            "config": {"static": {"url": f"{origin}/static/"}},
            "application": {"name": self.title},
        }

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Start a client process for this browser, unless its page is another site's,
        its address cannot be told or is banned, or it starts sessions too often, or the
        caps are reached."""
        problem = origin_problem(request)
        if problem is not None:
            log.warning("browser session from %s refused: %s", request.remote, problem)
            raise web.HTTPForbidden(text=f"{problem}\n")
        address = browser_address(request, self.trust_proxy)
        if address is None:
            log.warning("browser session from %s refused: no address in X-Forwarded-For",
                        request.remote)
            raise web.HTTPBadRequest(text="the proxy named no address\n")
        total = sum(self.sessions.values())
        if self.max_sessions and total >= self.max_sessions:
            log.warning("browser session from %s refused: %d sessions open", address, total)
            raise web.HTTPServiceUnavailable(text="too many browser sessions")
        if self.max_per_address and self.sessions[address] >= self.max_per_address:
            log.warning("browser session from %s refused: %d open from there", address,
                        self.sessions[address])
            raise web.HTTPServiceUnavailable(text="too many browser sessions from you")
        wait = self.starts.take(address)
        if wait is not None:
            log.warning("browser session from %s refused: starting sessions too often",
                        address)
            seconds = math.ceil(wait)
            raise web.HTTPTooManyRequests(text="too many browser sessions started from you; "
                                          f"try again in {seconds} s\n",
                                          headers={"Retry-After": str(seconds)})
        assert self.vouchers is not None
        self.sessions[address] += 1
        try:
            try:
                ticket = await self.vouchers.issue(address)
            except Refused as exc:
                log.info("browser session from %s refused: %s", address, exc)
                raise web.HTTPForbidden(text=f"{exc}\n") from None
            log.info("browser session from %s starts", address)
            try:
                return await self._run_session(request, ticket)
            finally:
                self.vouchers.revoke(ticket)
                log.info("browser session from %s ended", address)
        finally:
            self.sessions[address] -= 1
            if not self.sessions[address]:
                del self.sessions[address]

    async def _run_session(self, request: web.Request, ticket: str) -> web.WebSocketResponse:
        """textual-serve's session (its ``handle_websocket``) with a reaped client; a
        dropped websocket is told to the chat first, so the others see it as one."""
        websocket = web.WebSocketResponse(heartbeat=HEARTBEAT, max_msg_size=MAX_MESSAGE)
        width, height = envelopes.size_from_query(request.query.get("width", ""),
                                                  request.query.get("height", ""))
        await websocket.prepare(request)

        async def close() -> None:
            await websocket.close()

        service = GuestService(self.command, ticket, write_bytes=websocket.send_bytes,
                               write_str=websocket.send_str, close=close,
                               download_manager=self.download_manager)
        idle = asyncio.create_task(self._end_when_idle(websocket, ticket))
        try:
            await service.start(width, height)
            await self._process_messages(websocket, service)
            if websocket.close_code not in CLEAN_CLOSES and self.vouchers is not None:
                await self.vouchers.dropped(ticket)
        finally:
            idle.cancel()
            await service.stop()
        return websocket

    async def _end_when_idle(self, websocket: web.WebSocketResponse, ticket: str) -> None:
        """Close ``websocket`` once its user has been out of the chat (never joined, or
        left) for ``join_timeout`` seconds."""
        assert self.vouchers is not None
        loop = asyncio.get_running_loop()
        timeout = self.join_timeout
        last_in = loop.time()
        while True:
            await asyncio.sleep(min(IDLE_CHECK, timeout / 2))
            if await self.vouchers.in_use(ticket):
                last_in = loop.time()
            elif loop.time() - last_in >= timeout:
                log.info("browser session from %s ended: nobody in the chat for %.0f s",
                         websocket.get_extra_info("peername"), timeout)
                await websocket.close(code=WSCloseCode.POLICY_VIOLATION,
                                      message=f"nobody joined within {timeout:g} s".encode())
                return

    async def _process_messages(self, websocket: web.WebSocketResponse,
                                app_service: AppService) -> None:
        """The page's messages to its client, until the websocket closes; a malformed
        one is dropped (logged), the session goes on."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = envelopes.parse(message.data)
            except envelopes.EnvelopeError as exc:
                log.debug("browser session from %s: dropped a message: %s",
                          websocket.get_extra_info("peername"), exc)
                continue
            match envelope:
                case envelopes.Keys(text):
                    await app_service.send_bytes(text.encode("utf-8", "replace"))
                case envelopes.Resize(columns, rows):
                    await app_service.set_terminal_size(columns, rows)
                case envelopes.Ping(data):
                    await websocket.send_json(["pong", data])
                case envelopes.Focus(focused):
                    await (app_service.focus() if focused else app_service.blur())

    async def make_app(self) -> web.Application:
        """The aiohttp application: the page, its websocket, its static files, each
        answer with ``HEADERS``."""
        app = await self._make_app()
        app.on_response_prepare.append(_add_headers)
        return app


async def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(HEADERS)
