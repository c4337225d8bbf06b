"""An echo bot written against the original contract alone, with the standard library only.

It speaks protocol version 1 as the shared contract (PROTOCOL.md) states it and nothing
this implementation adds: ``hello`` and ``welcome`` on recv, ``attach`` on send and image,
``say``, ``message``, ``join``, ``leave``, ``ping``/``pong`` and ``bye``. It knows nothing
of rooms: the server puts it in the default room and never shows it another.

A message ``!echo TEXT`` from anyone else is answered with ``TEXT``. Every frame that
arrives on recv is printed as one JSON line on stdout (so a person with ``jq``, or a test,
sees exactly what the server sent). End of input says ``bye``.

    python examples/contract_bot.py echo [--host HOST] [--port-recv PORT] [--port-send PORT]
"""

from __future__ import annotations

import argparse
import json
import selectors
import socket
import sys
from collections import deque
from typing import Any

Frame = dict[str, Any]
ECHO = "!echo "


class Bot:
    """One session: three sockets, the contract's frames, a line buffer for recv."""

    def __init__(self, host: str, ports: tuple[int, int, int], name: str) -> None:
        """Connect recv, say hello, read welcome, then connect and attach send and image
        (the contract promises no answer to ``attach``, so none is awaited)."""
        port_recv, port_send, port_image = ports
        self.name = name
        self.recv = socket.create_connection((host, port_recv), timeout=10)
        self.buffer = b""
        self.pending: deque[Frame] = deque()
        self.write(self.recv, {"type": "hello", "version": 1, "name": name,
                               "client": "contract-bot/1"})
        welcome = self.read_frame()
        if welcome is None or welcome.get("type") != "welcome":
            raise ConnectionError(f"not welcomed: {welcome}")
        self.show(welcome)
        self.name = welcome["name"]
        self.send = socket.create_connection((host, port_send), timeout=10)
        self.image = socket.create_connection((host, port_image), timeout=10)
        for sock in (self.send, self.image):
            self.write(sock, {"type": "attach", "session": welcome["session"]})

    @staticmethod
    def write(sock: socket.socket, frame: Frame) -> None:
        """One frame: a JSON object on one line."""
        sock.sendall(json.dumps(frame, separators=(",", ":")).encode() + b"\n")

    def receive(self) -> bool:
        """Read once from recv and queue the frames it completes; False at end of stream."""
        data = self.recv.recv(65_536)
        if not data:
            return False
        *lines, self.buffer = (self.buffer + data).split(b"\n")
        self.pending.extend(json.loads(line) for line in lines)
        return True

    def read_frame(self) -> Frame | None:
        """The next frame on recv, waiting for it; None when the server closed recv."""
        while not self.pending:
            if not self.receive():
                return None
        return self.pending.popleft()

    @staticmethod
    def show(frame: Frame) -> None:
        """Print a received frame as one JSON line."""
        print(json.dumps(frame, ensure_ascii=False, separators=(",", ":")), flush=True)

    def handle(self, frame: Frame) -> None:
        """Answer what the contract asks an answer to: pings, and ``!echo`` lines."""
        if frame.get("type") == "ping":
            self.write(self.send, {"type": "pong", "n": frame.get("n")})
        elif frame.get("type") == "message" and frame.get("from") != self.name:
            text = str(frame.get("text", ""))
            if text.startswith(ECHO) and text[len(ECHO):].strip():
                self.write(self.send, {"type": "say", "text": text[len(ECHO):],
                                       "ref": f"echo-{frame.get('seq')}"})

    def run(self) -> int:
        """Serve until the server closes recv: 0 after our ``bye`` (stdin ended), else 1."""
        selector = selectors.DefaultSelector()
        selector.register(self.recv, selectors.EVENT_READ)
        selector.register(sys.stdin, selectors.EVENT_READ)
        self.recv.settimeout(None)
        said_bye = False
        while True:
            while self.pending:
                frame = self.pending.popleft()
                self.show(frame)
                self.handle(frame)
            for key, _ in selector.select():
                if key.fileobj is self.recv:
                    if not self.receive():
                        return 0 if said_bye else 1
                elif not sys.stdin.readline():
                    self.write(self.send, {"type": "bye"})
                    selector.unregister(sys.stdin)
                    said_bye = True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("name")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port-send", type=int, default=49153)
    parser.add_argument("--port-recv", type=int, default=49154)
    parser.add_argument("--port-image", type=int, default=None)
    args = parser.parse_args()
    port_image = args.port_image if args.port_image is not None else args.port_recv + 1
    try:
        bot = Bot(args.host, (args.port_recv, args.port_send, port_image), args.name)
    except (OSError, ValueError) as exc:
        print(f"cannot join: {exc}", file=sys.stderr)
        return 1
    return bot.run()


if __name__ == "__main__":
    sys.exit(main())
