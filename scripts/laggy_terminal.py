"""Run a program on a terminal whose keyboard is at the far end of a laggy link.

What is typed within ``--lag`` seconds is held back and written to the program in one
write, as a slow SSH connection delivers it; output passes straight through. Used to
check by hand (in tmux) that the client applies keys and pastes that arrive in one burst
exactly as typed:

    tmux new-session -d -s lag -x 80 -y 24 \\
        '.venv/bin/python scripts/laggy_terminal.py --lag 0.3 -- .venv/bin/tuichat --name bob'
    tmux send-keys -t lag -l 'ab'; tmux send-keys -t lag C-j; tmux send-keys -t lag -l 'cd'
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import selectors
import signal
import sys
import termios
import time
import tty


def _copy_size(source: int, target: int) -> None:
    """Give the program's terminal the size of ours."""
    size = fcntl.ioctl(source, termios.TIOCGWINSZ, b"\0" * 8)
    fcntl.ioctl(target, termios.TIOCSWINSZ, size)


def relay(command: list[str], lag: float) -> int:
    """Run ``command`` on a new pseudo-terminal until it exits; its exit status."""
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    _copy_size(stdin, master)
    signal.signal(signal.SIGWINCH, lambda *_: _copy_size(stdin, master))
    saved = termios.tcgetattr(stdin)
    tty.setraw(stdin)
    held, due = b"", 0.0
    selector = selectors.DefaultSelector()
    selector.register(stdin, selectors.EVENT_READ)
    selector.register(master, selectors.EVENT_READ)
    try:
        while True:
            timeout = max(0.0, due - time.monotonic()) if held else None
            for key, _ in selector.select(timeout):
                try:
                    data = os.read(key.fd, 65_536)
                except OSError:  # the program closed its terminal
                    data = b""
                if key.fd == master:
                    if not data:
                        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
                    os.write(stdout, data)
                elif data:
                    due = due if held else time.monotonic() + lag
                    held += data
            if held and time.monotonic() >= due:
                os.write(master, held)  # everything typed meanwhile, in one write
                held = b""
    finally:
        termios.tcsetattr(stdin, termios.TCSADRAIN, saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lag", type=float, default=0.3, help="seconds input is held")
    parser.add_argument("command", nargs="+", help="the program and its arguments")
    args = parser.parse_args()
    sys.exit(relay(args.command, args.lag))


if __name__ == "__main__":
    main()
