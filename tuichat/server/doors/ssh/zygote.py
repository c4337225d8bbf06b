"""The zygote: a warm process the SSH door forks each session's client from.

The door starts it once (``python -m tuichat.server.doors.ssh.zygote FD``, a fresh
interpreter, so no thread of the server's is ever forked). It imports the client's
modules, freezes what it holds out of the garbage collector's reach (``gc.freeze``: the
children never write to those pages, so they stay shared), and then serves the door over
one ``SOCK_SEQPACKET`` socket, one JSON message a packet:

- door → zygote: ``{"spawn": ID, ...}`` with the PTY's slave end as the packet's one
  file descriptor; ``{"signal": ID, "number": N}``.
- zygote → door: ``{"started": ID, "pid": PID, "home": PATH}``, ``{"exited": ID,
  "code": CODE}`` (the exit status, ``-N`` for signal N), ``{"failed": ID, "error": TEXT}``.

Each child makes the PTY its controlling terminal (``setsid``, ``TIOCSCTTY``) and its
stdin, stdout and stderr, takes the session's environment, and runs the client
(``tuichat.tui.main.run_served``) with a private temporary home, removed once the child
is reaped. The zygote reaps every child itself; when the door goes away (end of file) it
hangs up on every child and ends.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import gc
import io
import json
import os
import random
import selectors
import shutil
import signal
import socket
import sys
import tempfile
import termios
from pathlib import Path
from typing import Any

from tuichat.server.doors.ssh.spawner import PACKET

PRELOAD = (
    "tuichat.tui.main", "tuichat.tui.app", "tuichat.tui.chat_screen", "tuichat.tui.link",
    "tuichat.tui.ignore", "tuichat.tui.debug_pane", "tuichat.tui.update_pacing",
    "tuichat.tui.render_turns", "tuichat.net.client", "textual.drivers.linux_driver",
    "textual.drivers.linux_inline_driver", "textual.layouts.horizontal",
    "textual.layouts.stream", "textual.scrollbar", "rich.rule", "linkify_it",
    "encodings.idna", "PIL.PngImagePlugin", "PIL.JpegImagePlugin", "PIL.GifImagePlugin",
    "PIL.BmpImagePlugin", "PIL.PpmImagePlugin", "PIL.ImageChops", "PIL.ImageSequence",
    "textual.layouts.factory",
)
"""The modules a session's client imports, imported (with the Markdown kit made) before
any fork: the children share them instead of each importing them again (113 modules, the
Markdown parser and pygments among them, were imported by every session after its fork;
a room's first formatted line had every session import them at once)."""

def preload() -> None:
    """Import what every session's client needs, so children share it."""
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)
    from rich.cells import cell_len

    from tuichat.tui.log_markdown import prepare

    prepare()
    cell_len("字")  # rich loads its table of character widths at the first wide text


class Zygote:
    """Forks children on the door's requests and reports their ends."""

    def __init__(self, control: socket.socket) -> None:
        self._control = control
        self._children: dict[int, tuple[int, Path]] = {}
        """pid -> (the door's id of the session, its temporary home)."""
        self._by_id: dict[int, int] = {}
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)

    def serve(self) -> None:
        """Serve until the door closes its end; then hang up on every child."""
        signal.set_wakeup_fd(self._wake_w)
        signal.signal(signal.SIGCHLD, lambda number, frame: None)
        selector = selectors.DefaultSelector()
        selector.register(self._control, selectors.EVENT_READ, "control")
        selector.register(self._wake_r, selectors.EVENT_READ, "child")
        self._send({"ready": True})
        while True:
            for key, _ in selector.select():
                if key.data == "child":
                    with contextlib.suppress(BlockingIOError):
                        os.read(self._wake_r, 4096)
                    self._reap()
                elif not self._message():
                    self._hang_up()
                    return

    def _message(self) -> bool:
        """Handle one message from the door; False at its end of file."""
        try:
            data, fds, _flags, _address = socket.recv_fds(self._control, PACKET, 1)
        except ConnectionResetError:
            return False
        if not data:
            return False
        request: dict[str, Any] = json.loads(data)
        if "spawn" in request:
            self._spawn(request, fds[0] if fds else -1)
        elif "signal" in request:
            pid = self._by_id.get(request["signal"])
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, int(request["number"]))
        for fd in fds[1:]:
            os.close(fd)
        return True

    def _spawn(self, request: dict[str, Any], slave: int) -> None:
        ident = int(request["spawn"])
        if slave < 0:
            self._send({"failed": ident, "error": "no terminal came with the request"})
            return
        home = Path(tempfile.mkdtemp(prefix="tuichat-ssh-"))
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(slave)
            shutil.rmtree(home, ignore_errors=True)
            self._send({"failed": ident, "error": str(exc)})
            return
        if pid == 0:
            _child(request, slave, home)
        os.close(slave)
        self._children[pid] = (ident, home)
        self._by_id[ident] = pid
        self._send({"started": ident, "pid": pid, "home": str(home)})

    def _reap(self) -> None:
        while self._children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            ident, home = self._children.pop(pid)
            del self._by_id[ident]
            shutil.rmtree(home, ignore_errors=True)
            self._send({"exited": ident, "code": os.waitstatus_to_exitcode(status)})

    def _hang_up(self) -> None:
        """The door is gone: SIGHUP to every child, then reap them all."""
        for pid in self._children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGHUP)
        for pid, (ident, home) in list(self._children.items()):
            code = -signal.SIGHUP
            with contextlib.suppress(ChildProcessError):
                code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            shutil.rmtree(home, ignore_errors=True)
            self._send({"exited": ident, "code": code})

    def _send(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):  # the door is gone: the next read says so
            self._control.send(json.dumps(message).encode())


def _child(request: dict[str, Any], slave: int, home: Path) -> None:
    """In the forked child: take the terminal, the environment, run the client; never
    returns. Every descriptor of the zygote's is closed (the objects that held them are
    never finalised: the child ends with ``os._exit``)."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
            signal.signal(number, signal.SIG_DFL)
        os.setsid()  # the client runs below the server once its screen is up (run_served)
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        random.seed()
        _reopen_stdio()
        os.environ.clear()
        os.environ.update(_environment(request["env"], home))
        from tuichat.tui.main import run_served

        send, recv, image = request["ports"]
        picture = None
        if request.get("picture"):
            picture = home / "picture.png"
            picture.write_bytes(base64.b64decode(request["picture"]))
        code = run_served(request["name"], request["host"], (send, recv, image),
                          request["ticket"], request["tls"], home, Path(request["avatars"]),
                          picture, Path(request["turns"]) if request.get("turns") else None)
    except BaseException as exc:  # the user sees one line, not the server's paths
        with contextlib.suppress(Exception):
            print(f"tuichat: the session's client failed: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _reopen_stdio() -> None:
    """New stdin, stdout and stderr on fds 0-2 (the PTY), UTF-8 whatever the zygote had
    (Textual writes to ``sys.__stderr__``, so those are replaced too)."""
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        raw = io.FileIO(fd, "r" if fd == 0 else "w", closefd=False)
        stream = io.TextIOWrapper(raw, encoding="utf-8", line_buffering=fd > 0,
                                  errors="surrogateescape" if fd == 0 else "replace")
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _environment(given: dict[str, str], home: Path) -> dict[str, str]:
    """The child's environment: the session's (TERM, NO_COLOR, COLORTERM, LANG) and a
    home of its own for every file the client might keep."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    for name in ("CONFIG", "STATE", "CACHE", "DATA"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    env.update(given)
    return env


def main(argv: list[str]) -> int:
    """Run the zygote on the socket whose descriptor is ``argv[0]``."""
    control = socket.socket(fileno=int(argv[0]))
    preload()
    gc.collect()
    gc.freeze()
    Zygote(control).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
