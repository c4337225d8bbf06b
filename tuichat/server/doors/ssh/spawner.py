"""The door's end of the zygote (``zygote``): start it, ask it for children, learn their
ends, all on the SSH door's asyncio loop; start it again when it dies (at once, unless it
died young, which looks like a fault that a restart would only repeat: then at the next
session's start)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("tuichat.server")

PACKET = 65_536
"""The largest message either side sends (a spawn request is well under 1 kB)."""

STOP_TIMEOUT = 5.0
"""Seconds ``stop`` gives the zygote to hang up on its children and end."""
YOUNG = 5.0
"""Seconds a zygote must have lived to be started again the moment it dies."""


class SpawnError(Exception):
    """The zygote could not start a child (or is gone)."""


@dataclass(eq=False)
class Child:
    """A session's client process, as the zygote reports it."""

    ident: int
    started: asyncio.Future[int]
    """Its pid, once forked."""
    exited: asyncio.Future[int]
    """Its exit status (``-N`` for signal N), once reaped."""
    pid: int = field(default=0)
    home: str | None = None
    """Its temporary home, which the zygote removes when it reaps it (the door removes it
    too once the session is over, in case the zygote died first)."""


class Spawner:
    """The zygote process and the children it forked for this door."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ids = itertools.count(1)
        self._children: dict[int, Child] = {}
        self._stopping = False
        self._started = 0.0
        """When the running zygote was started (monotonic clock)."""

    def start(self) -> None:
        """Start the zygote (it warms up while the first logins authenticate)."""
        self._started = time.monotonic()
        door_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with zygote_end:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tuichat.server.doors.ssh.zygote",
                 str(zygote_end.fileno())],
                pass_fds=[zygote_end.fileno()], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, start_new_session=True)
        door_end.setblocking(False)
        self._sock = door_end
        if self._loop is not None:
            self._loop.add_reader(door_end, self._readable)

    @property
    def pid(self) -> int | None:
        """The zygote's pid, while it runs."""
        return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        """End the zygote (any thread): it hangs up on every child, reaps them (their
        ends are reported to the loop), and exits."""
        sock, process = self._sock, self._process
        if sock is None or process is None:
            return
        self._stopping = True
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            log.warning("the SSH door's zygote did not end within %g s; killed", STOP_TIMEOUT)
            process.kill()
            process.wait()

    async def spawn(self, request: dict[str, Any], slave: int) -> Child:
        """Fork a child running the client on the PTY whose slave end is ``slave`` (the
        caller closes its copy); SpawnError when it cannot be."""
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            if self._sock is not None:
                loop.add_reader(self._sock, self._readable)
        child = Child(next(self._ids), loop.create_future(), loop.create_future())
        message = json.dumps({"spawn": child.ident, **request}).encode()
        for attempt in (1, 2):  # a second time after a zygote found dead (and restarted)
            if self._sock is None and self._process is not None and not self._stopping:
                log.warning("starting the SSH door's zygote again")
                self.start()
            if self._sock is None:
                raise SpawnError("the SSH door's zygote is not running")
            self._children[child.ident] = child
            try:
                socket.send_fds(self._sock, [message], [slave])
                break
            except OSError as exc:
                del self._children[child.ident]
                if attempt == 2:
                    raise SpawnError(f"the SSH door's zygote is gone: {exc}") from exc
                self._gone()  # found dead before its end of file was read
        child.pid = await child.started
        return child

    def signal(self, child: Child, number: int = signal.SIGHUP) -> None:
        """Send signal ``number`` to ``child`` (through the zygote, which alone may reap
        it, so the pid is never another process's)."""
        if self._sock is None or child.exited.done():
            return
        with contextlib.suppress(OSError):
            self._sock.send(json.dumps({"signal": child.ident, "number": number}).encode())

    def _readable(self) -> None:
        """Messages from the zygote: children started, failed, exited; or its end."""
        assert self._sock is not None and self._loop is not None
        while True:
            try:
                data = self._sock.recv(PACKET)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._gone()
                return
            self._handle(json.loads(data))

    def _handle(self, message: dict[str, Any]) -> None:
        if "started" in message:
            child = self._children.get(message["started"])
            if child is not None and not child.started.done():
                child.home = str(message.get("home") or "") or None
                child.started.set_result(int(message["pid"]))
        elif "failed" in message:
            child = self._children.pop(message["failed"], None)
            if child is not None and not child.started.done():
                child.started.set_exception(SpawnError(str(message["error"])))
        elif "exited" in message:
            child = self._children.pop(message["exited"], None)
            if child is not None and not child.exited.done():
                child.exited.set_result(int(message["code"]))

    def _gone(self) -> None:
        """The zygote ended: every child it had is over as far as the door can tell."""
        assert self._sock is not None and self._loop is not None
        self._loop.remove_reader(self._sock)
        self._sock.close()
        self._sock = None
        for child in self._children.values():
            if not child.started.done():
                child.started.set_exception(SpawnError("the SSH door's zygote ended"))
            if not child.exited.done():
                child.exited.set_result(-signal.SIGHUP)
        self._children.clear()
        if self._stopping:
            return
        assert self._process is not None
        with contextlib.suppress(OSError):
            self._process.kill()  # if it only closed its end
        status = None
        with contextlib.suppress(subprocess.TimeoutExpired):  # dead, or dying: at once
            status = self._process.wait(1.0)
        lived = time.monotonic() - self._started
        log.warning("the SSH door's zygote (pid %d) ended (status %s) after %.0f s; the "
                    "sessions it started run on, out of its reach", self._process.pid,
                    status, lived)
        if lived >= YOUNG:
            log.warning("starting the SSH door's zygote again")
            self.start()
