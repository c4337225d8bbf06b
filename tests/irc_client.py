"""A bare IRC client over a real socket, for the IRC door's tests: it sends lines and
waits (with a bounded deadline, never a sleep) for a line that matches."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable

WAIT = 10.0


class IrcClient:
    """One connection to the IRC door, with every line it received."""

    def __init__(self, port: int | None, source: str = "127.0.0.1",
                 sock: socket.socket | None = None) -> None:
        """Connect to ``port`` from ``source`` (or speak over ``sock``, already open)."""
        if sock is None:
            assert port is not None
            sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT,
                                            source_address=(source, 0))
        self.sock = sock
        self.lines: list[str] = []
        self._buffer = b""
        self._read = 0
        self.closed = False

    @classmethod
    def over(cls, sock: socket.socket) -> IrcClient:
        """A client over an open socket (a TLS one)."""
        return cls(None, sock=sock)

    def send(self, *lines: str) -> None:
        self.sock.sendall("".join(f"{line}\r\n" for line in lines).encode())

    def register(self, nick: str, *caps: str, password: str | None = None,
                 lobby: bool = True) -> None:
        """Register as ``nick`` (with ``caps``), waiting for the welcome's end, then join
        #lobby (unless not ``lobby``)."""
        if password is not None:
            self.send(f"PASS {password}")
        if caps:
            self.send("CAP LS 302", f"CAP REQ :{' '.join(caps)}")
        self.send(f"NICK {nick}", f"USER {nick} 0 * :Real {nick}")
        if caps:
            self.send("CAP END")
        self.wait_for(lambda line: " 376 " in line or " 422 " in line)
        if lobby:
            self.send("JOIN #lobby")
            self.wait_for(lambda line: " 366 " in line and "#lobby" in line)

    def _more(self, deadline: float) -> bool:
        """Read once; False when the server closed."""
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65_536)
        except (TimeoutError, ssl.SSLWantReadError):
            return True
        if not data:
            self.closed = True
            return False
        *done, self._buffer = (self._buffer + data).split(b"\r\n")
        self.lines.extend(line.decode("utf-8", "replace") for line in done)
        return True

    def wait_for(self, predicate: Callable[[str], bool]) -> str:
        """The first line not yet waited for that matches, reading until it comes."""
        deadline = time.monotonic() + WAIT
        while True:
            for index in range(self._read, len(self.lines)):
                if predicate(self.lines[index]):
                    self._read = index + 1
                    return self.lines[index]
            if time.monotonic() > deadline or not self._more(deadline):
                raise AssertionError(f"no such line; last lines: {self.lines[-15:]}")

    def wait_text(self, fragment: str) -> str:
        """The next line holding ``fragment``."""
        return self.wait_for(lambda line: fragment in line)

    def wait_closed(self) -> None:
        deadline = time.monotonic() + WAIT
        while self._more(deadline):
            if time.monotonic() > deadline:
                raise AssertionError("the server did not close the connection")

    def close(self) -> None:
        self.sock.close()
