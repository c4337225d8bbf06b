"""Line mode: an SSH session without a terminal and without a command, for bots and
scripts (``echo hi | ssh -T -p PORT bot@HOST``).

Each stdin line is said in the default room (``/me TEXT`` as an emote); the room's lines
come out one per line with no colours: ``NAME: TEXT``, ``* NAME waves``, ``* NAME joined``,
``* NAME left``; private messages to the bot as ``[private] NAME: TEXT``. The chat's
answers and refusals go to stderr. End of input leaves; so does a dropped connection.
Output waits in the SSH channel; past ``queue_limit`` bytes unsent, the bot is cut off as
a native reader that does not read is.

``Lines`` is a door of the chat: ``deliver`` runs on the reactor thread and hands text to
the SSH loop (``loop.call_soon_threadsafe``); each session's requests go to the chat
through the reactor (``reactor.call_soon_threadsafe``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

import asyncssh

from tuichat.net.frames import MAX_TEXT_CHARS, LeaveReason
from tuichat.server.core.events import (
    Announced,
    Ended,
    Event,
    Joined,
    Left,
    Noticed,
    PrivateSaid,
    Said,
    ShutDown,
)
from tuichat.server.core.model import Member
from tuichat.server.core.requests import Arrival, RequestError, Say

if TYPE_CHECKING:
    from tuichat.server.config import ServerConfig
    from tuichat.server.core.chat import Chat
    from tuichat.server.core.identity import Identity
    from tuichat.server.reactor import Reactor

log = logging.getLogger("tuichat.server")

ACTION_PREFIX = "/me "
READ_CHUNK = 65_536
MAX_LINE_BYTES = 4 * MAX_TEXT_CHARS
"""A stdin line longer than this (in UTF-8) cannot be a chat line: refused unread."""


class LineSession:
    """One bot's session: its process on the SSH loop, its member on the reactor."""

    def __init__(self, process: asyncssh.SSHServerProcess[bytes], identity: Identity,
                 loop: asyncio.AbstractEventLoop, queue_limit: int,
                 overflow: Callable[[LineSession], None]) -> None:
        """``overflow(session)`` runs (on the SSH loop, once) when more than
        ``queue_limit`` bytes wait unsent."""
        self.process = process
        self.identity = identity
        self._loop = loop
        self._queue_limit = queue_limit
        self._overflow: Callable[[LineSession], None] | None = overflow
        self.done = asyncio.Event()
        self.member: Member | None = None
        self.cut_off = False

    def write(self, data: bytes, /) -> None:
        """Queue ``data`` for stdout (the member's outlet; any thread)."""
        self._loop.call_soon_threadsafe(self._out, data, False)

    def error(self, text: str) -> None:
        """Queue a line for stderr (any thread)."""
        self._loop.call_soon_threadsafe(self._out, f"{text}\n".encode(), True)

    def finish(self, status: int, text: str | None = None) -> None:
        """End the session with ``status``, after ``text`` on stderr (any thread)."""
        if text is not None:
            self.error(text)
        self._loop.call_soon_threadsafe(self._exit, status)

    def _out(self, data: bytes, stderr: bool) -> None:
        if self.done.is_set():
            return
        stream = self.process.stderr if stderr else self.process.stdout
        with contextlib.suppress(OSError, asyncssh.Error):
            stream.write(data)
        if self._overflow is not None and self._unsent() > self._queue_limit:
            overflow, self._overflow = self._overflow, None
            overflow(self)

    def _exit(self, status: int) -> None:
        if not self.done.is_set():
            self.done.set()
            with contextlib.suppress(OSError, asyncssh.Error):
                self.process.exit(status)

    def _unsent(self) -> int:
        """Bytes written but not yet sent on the channel (SSH loop)."""
        return self.process.channel.get_write_buffer_size()


class Lines:
    """The line-mode door: its sessions' members and what they are shown."""

    def __init__(self, config: ServerConfig, chat: Chat, reactor: Reactor) -> None:
        self._config = config
        self._chat = chat
        self._reactor = reactor
        self._sessions: dict[Member, LineSession] = {}
        """Line sessions by member; reactor thread only."""
        chat.add_door(self)

    async def run(self, process: asyncssh.SSHServerProcess[bytes], identity: Identity,
                  avatar: str | None) -> None:
        """Serve one line-mode session to its end (on the SSH loop)."""
        loop = asyncio.get_running_loop()
        session = LineSession(process, identity, loop, self._config.queue_limit,
                              self._overflowed)
        self._reactor.call_soon_threadsafe(lambda: self._arrive(session, avatar))
        reader = asyncio.create_task(self._read(session))
        try:
            await session.done.wait()
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            self._reactor.call_soon_threadsafe(
                lambda: self._leave(session, LeaveReason.QUIT, "the SSH session closed"))

    async def _read(self, session: LineSession) -> None:
        """Stdin lines to the chat; the end of input (or of the connection) leaves. A line
        longer than ``MAX_LINE_BYTES`` is refused, never buffered whole."""
        room = self._config.default_room
        pending = b""
        skipping = False
        try:
            while not session.done.is_set():
                chunk = await session.process.stdin.read(READ_CHUNK)
                if not chunk:
                    break
                *lines, pending = (pending + chunk).split(b"\n")
                for raw in lines:
                    if not skipping:
                        self._say(session, room, raw.decode("utf-8", "replace").rstrip("\r"))
                    skipping = False
                if len(pending) > MAX_LINE_BYTES:
                    if not skipping:
                        session.error(f"Not sent: a line is over {MAX_LINE_BYTES:,} bytes.")
                    pending, skipping = b"", True
            if pending and not skipping:
                self._say(session, room, pending.decode("utf-8", "replace").rstrip("\r"))
        except (OSError, asyncssh.Error, asyncssh.BreakReceived, asyncssh.SignalReceived,
                asyncssh.TerminalSizeChanged) as exc:
            log.debug("line session of %s: input ended: %s", session.identity.name, exc)
        finally:
            self._reactor.call_soon_threadsafe(
                lambda: self._leave(session, LeaveReason.QUIT, "end of input"))

    def _overflowed(self, session: LineSession) -> None:
        self._reactor.call_soon_threadsafe(lambda: self._shed(session))

    def _say(self, session: LineSession, room: str, line: str) -> None:
        if not line.strip():
            return
        action = line.startswith(ACTION_PREFIX)
        text = line[len(ACTION_PREFIX):] if action else line
        try:
            say = Say(room, text, action=action)
        except RequestError as exc:
            session.error(f"Not sent: {exc}.")
            return
        self._reactor.call_soon_threadsafe(lambda: self._handle(session, say))

    # -- on the reactor thread -------------------------------------------------------------

    def _arrive(self, session: LineSession, avatar: str | None) -> None:
        identity = session.identity
        member = Member(identity.name, identity.address, identity.address, session)
        member.fingerprint = identity.fingerprint
        try:
            arrival = Arrival(identity.name, password=self._config.password, avatar=avatar)
        except RequestError as exc:
            session.finish(1, f"Not let in: {exc}.")
            return
        refusal = self._chat.arrive(member, arrival, self)
        if refusal is not None:
            session.finish(1, f"Not let in: {refusal.text}.")
            return
        self._sessions[member] = session
        session.member = member
        if identity.admin:
            self._chat.hub.set_admin(member)

    def _handle(self, session: LineSession, say: Say) -> None:
        if session.member is not None:
            self._chat.handle(session.member, say)

    def _leave(self, session: LineSession, reason: LeaveReason, why: str) -> None:
        if session.member is not None and not session.member.ended:
            self._chat.leave(session.member, reason, why)

    def _shed(self, session: LineSession) -> None:
        """A bot that does not read its output: cut off, as a native slow reader is."""
        if session.member is None or session.member.ended or session.cut_off:
            return
        session.cut_off = True
        why = f"outgoing queue over {self._config.queue_limit:,} bytes"
        log.info("%s (SSH line mode): cut off: %s", session.identity.name, why)
        self._chat.leave(session.member, LeaveReason.ERROR, why)

    def deliver(self, event: Event, members: Collection[Member]) -> None:
        """Show ``event`` to the line sessions of ``members`` (reactor thread)."""
        lobby = self._chat.hub.lobby
        for member in members:
            session = self._sessions.get(member)
            if session is None:
                continue
            match event:
                case Ended():
                    del self._sessions[member]
                    session.finish(*ending(event, session.cut_off))
                case ShutDown():
                    del self._sessions[member]
                    session.finish(0, event.text)
                case Noticed(room=room) if room is None or room is lobby:
                    session.error(event.text)
                case _:
                    line = render(event, member, lobby)
                    if line is not None:
                        session.write(f"{line}\n".encode())


def ending(event: Ended, cut_off: bool) -> tuple[int, str | None]:
    """The exit status of a session that ``event`` ended, and what it is told on stderr:
    0 and nothing when it left by itself (the end of its input), else 1 and why."""
    if cut_off:
        return 1, "Disconnected: you were not reading your output."
    if event.refusal is not None:
        return 1, f"Disconnected: {event.refusal.text}."
    return (0, None) if event.reason is LeaveReason.QUIT else (1, None)


def render(event: Event, member: Member, lobby: object) -> str | None:
    """The line ``member`` is shown for ``event`` in the default room ``lobby``, if any."""
    match event:
        case Said(room=room, message=message) if room is lobby and event.origin is not member:
            sender, text = message.sender, one_line(message.text)
            return f"* {sender} {text}" if message.action else f"{sender}: {text}"
        case Joined(room=room) if room is lobby and event.member is not member:
            if event.renamed_from is not None:
                return f"* {event.renamed_from} is now {event.member.name}"
            return f"* {event.member.name} joined"
        case Left(room=room) if room is lobby and event.renamed_to is None:
            return f"* {event.name} left"
        case PrivateSaid() if event.target is member:
            return f"[private] {event.sender.name}: {one_line(event.text)}"
        case Announced():
            return f"Console: {one_line(event.text)}"
    return None


def one_line(text: str) -> str:
    """``text`` on one output line: its line breaks shown as ``\\n``."""
    return text.replace("\r", "").replace("\n", "\\n")
