"""One interactive session's bytes: the SSH channel and the PTY master, pumped both ways
on the SSH door's loop, until the client ends or the channel drops.

Output is read from the master only as fast as the channel drains, so a slow SSH client
holds its own client back and nobody else. A window change becomes ``TIOCSWINSZ`` on the
master (the kernel signals the client, which redraws). The client's exit closes the
channel with its status; a dropped channel is told to the chat first (``dropped``: the
others see a dropped connection, not a quit), then hangs up on the client (SIGHUP, then
SIGKILL if it lingers) and waits until it is reaped.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import struct
import termios
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import asyncssh

from tuichat.server.doors.screen_size import bounded
from tuichat.server.doors.ssh.pty_reader import PtyReader

if TYPE_CHECKING:
    from tuichat.server.doors.ssh.spawner import Child, Spawner

log = logging.getLogger("tuichat.server")

READ_SIZE = 65_536
BACKED_UP = 65_536
"""Bytes waiting in the channel past which the client's screen is not read until they
have gone: a slow SSH client holds back its own client and nobody else."""
HANG_UP_GRACE = 3.0
"""Seconds a client has to end after SIGHUP before it is killed."""


def set_size(fd: int, size: tuple[int, int, int, int]) -> None:
    """Set the terminal size on ``fd`` from ``(columns, rows, width px, height px)``;
    sizes of 0 (none given) become 80x24, larger than a screen the largest (``bounded``)."""
    columns, rows, width, height = size
    columns, rows = bounded(columns, rows)
    packed = struct.pack("HHHH", rows, columns, min(height, 0xFFFF), min(width, 0xFFFF))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, packed)


class PtySession:
    """Pumps one session; ``run`` returns the client's exit status."""

    def __init__(self, process: asyncssh.SSHServerProcess[bytes], master: int, child: Child,
                 spawner: Spawner, dropped: Callable[[], Awaitable[None]]) -> None:
        """``dropped()``: the channel dropped before the client ended (awaited before the
        client is hung up on)."""
        self._process = process
        self._dropped = dropped
        self._master = master
        self._child = child
        self._spawner = spawner
        os.set_blocking(master, False)
        self._reader = PtyReader(master, asyncio.get_running_loop())

    async def run(self) -> int:
        """Pump until the client has exited and its last output is sent; its status."""
        self._reader.start()
        output = asyncio.create_task(self._output())
        keys = asyncio.create_task(self._input())
        try:
            await asyncio.wait({output, keys}, return_when=asyncio.FIRST_COMPLETED)
            if not (output.done() and output.result()):  # the channel dropped
                await self._dropped()
                await self._hang_up()
            code = await self._child.exited
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(output), 1.0)
            return code
        finally:
            for task in (output, keys):
                task.cancel()
            await self._reader.stop()
            with contextlib.suppress(OSError):
                os.close(self._master)

    async def _output(self) -> bool:
        """Master -> channel: True once the client's side of the PTY is closed, False
        when the channel fails first."""
        stdout = self._process.stdout
        while True:
            data = await self._reader.read()
            if not data:
                return True
            try:
                stdout.write(data)
                if self._process.channel.get_write_buffer_size() > BACKED_UP:
                    self._reader.pause()
                    await stdout.drain()
                    self._reader.resume()
            except (asyncssh.Error, OSError):
                return False

    async def _input(self) -> None:
        """Channel -> master, and window changes, until the channel's end of file."""
        stdin = self._process.stdin
        while True:
            try:
                data = await stdin.read(READ_SIZE)
            except asyncssh.TerminalSizeChanged as change:
                with contextlib.suppress(OSError):
                    set_size(self._master, (change.width, change.height, change.pixwidth,
                                            change.pixheight))
                continue
            except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            except (asyncssh.Error, OSError):
                return
            if not data:
                return
            await self._write(data)

    async def _write(self, data: bytes) -> None:
        """All of ``data`` to the master, waiting while the client does not read."""
        loop = asyncio.get_running_loop()
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._master, view):]
            except BlockingIOError:
                writable = loop.create_future()
                loop.add_writer(self._master, writable.set_result, None)
                try:
                    await writable
                finally:
                    loop.remove_writer(self._master)
            except OSError:
                return

    async def _hang_up(self) -> None:
        """The channel is gone: SIGHUP, then SIGKILL if the client outlives the grace."""
        self._spawner.signal(self._child, signal.SIGHUP)
        try:
            await asyncio.wait_for(asyncio.shield(self._child.exited), HANG_UP_GRACE)
        except TimeoutError:
            log.warning("an SSH session's client outlived SIGHUP; killed")
            self._spawner.signal(self._child, signal.SIGKILL)
