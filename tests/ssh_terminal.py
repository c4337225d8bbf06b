"""Real ``ssh -tt`` sessions for the interactive SSH tests and the benchmark: in tmux
(a screen to read, a window to resize) or on a PTY of our own (the raw bytes)."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.ssh_client import ssh_args

WAIT = 15.0
"""Upper bound for any wait on a session's screen."""


class TmuxSsh:
    """``ssh -tt`` in a window of a tmux server of our own; the status it exits with is
    printed after it (``EXIT=N``) and the window stays open to read it."""

    def __init__(self, socket: str, port: int, user: str, key: Path, *options: str,
                 size: tuple[int, int] = (100, 30), term: str = "xterm-256color") -> None:
        self.socket = socket
        command = " ".join(f"'{part}'" for part in ssh_args(port, user, key, "-tt", *options))
        script = f"TERM={term} {command}; echo EXIT=$?; sleep 600"
        self.run("-f", "/dev/null", "new-session", "-d", "-s", "chat", "-x", str(size[0]),
                 "-y", str(size[1]), script)

    def run(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], check=True,
                              capture_output=True, text=True, timeout=WAIT)
        return done.stdout

    def screen(self, colours: bool = False) -> str:
        return self.run("capture-pane", "-p", *(["-e"] if colours else []), "-t", "chat")

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "chat", "-l", text)

    def keys(self, *names: str) -> None:
        self.run("send-keys", "-t", "chat", *names)

    def pane_pid(self) -> int:
        """The shell running ``ssh`` in the window."""
        return int(self.run("display-message", "-p", "-t", "chat", "#{pane_pid}").strip())

    def wait_for(self, predicate: Callable[[str], bool], what: str) -> str:
        """The screen once ``predicate`` holds for it; fails after WAIT seconds."""
        deadline = time.monotonic() + WAIT
        while not predicate(screen := self.screen()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen}")
            time.sleep(0.05)  # polling the screen: tmux has nothing to wait on
        return screen

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True,
                       timeout=WAIT)


class PtySsh:
    """``ssh -tt`` on a PTY opened here: every byte the session draws, as it came."""

    def __init__(self, port: int, user: str, key: Path, *options: str,
                 env: dict[str, str] | None = None, size: tuple[int, int] = (100, 30)) -> None:
        self.started = time.monotonic()
        master, slave = pty.openpty()
        self.master = master
        os.set_blocking(master, False)
        _set_size(slave, size)
        self.process = subprocess.Popen(ssh_args(port, user, key, "-tt", *options),
                                        stdin=slave, stdout=slave, stderr=slave,
                                        env=env, start_new_session=True)
        os.close(slave)
        self.output = bytearray()

    def read_until(self, wanted: bytes, timeout: float = WAIT) -> float:
        """Read until ``wanted`` has been drawn; when it was, on the monotonic clock."""
        deadline = time.monotonic() + timeout
        while wanted not in self.output:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{wanted!r} not drawn; last bytes: "
                                     f"{bytes(self.output[-400:])!r}")
            self.pump(remaining)
        return time.monotonic()

    def pump(self, timeout: float) -> bool:
        """Read what is there (waiting up to ``timeout``); False at the end."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65_536)
        except BlockingIOError:
            return True
        except OSError:
            return False
        self.output += data
        return bool(data)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(WAIT)
        os.close(self.master)


def _set_size(fd: int, size: tuple[int, int]) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))


def children(pid: int) -> list[int]:
    """The pids of ``pid``'s children, read from ``/proc``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found
