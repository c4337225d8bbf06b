"""Record a real tuichat session as the markdown transcript shown in docs/PROTOCOL.md.

Starts a server in-process on free loopback ports and drives two clients over raw sockets
(``socket`` plus the project's codec), so every frame in both directions appears as it
travelled; only session tokens and avatar bytes are abbreviated. Every wait ends on a
condition (a frame or a close) or after at most 10 s. Run from the repository root:

    .venv/bin/python scripts/protocol_transcript.py > /tmp/t.md          # the session
    .venv/bin/python scripts/protocol_transcript.py --rooms > /tmp/r.md  # rooms
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import socket
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

from PIL import Image

from tuichat.net.codec import Decoded, FrameDecoder, encode
from tuichat.net.frames import Frame
from tuichat.server.app import Server
from tuichat.server.config import ServerConfig

TIMEOUT = 10.0
"""Upper bound of every wait, in seconds."""
HOST = "127.0.0.1"


def wire_line(frame: Frame) -> str:
    """A received frame as it was on the wire: the codec's compact JSON, UTF-8 as is."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class Transcript:
    """Frames in the order the script handled them, grouped into numbered steps."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.tokens: list[str] = []

    def step(self, title: str) -> None:
        if self.lines:
            self.lines.append("```")
        number = sum(line.startswith("### ") for line in self.lines) + 1
        self.lines += ["", f"### {number}. {title}", "", "```text"]

    def record(self, who: str, channel: str, direction: str, text: str) -> None:
        self.lines.append(f"{who:<5}  {channel:<5}  {direction}  {text}")

    def markdown(self) -> str:
        text = "\n".join([*self.lines, "```"]).lstrip("\n")
        for token in self.tokens:
            text = text.replace(token, "<session token>")
        return text + "\n"


class Wire:
    """One client connection on one channel; logs every frame it sends or takes."""

    def __init__(self, log: Transcript, who: str, channel: str, port: int) -> None:
        self.log, self.who, self.channel = log, who, channel
        self.sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
        self.decoder = FrameDecoder()
        self.pending: deque[Decoded] = deque()
        self.received = 0
        self.shown = 0

    def send(self, frame: Frame, payload: bytes | None = None) -> None:
        data = encode(frame, payload)
        self.sock.sendall(data)
        self._show("C→S", data[: data.index(b"\n")].decode(), payload)

    def expect(self, kind: str) -> Decoded:
        """Take frames until one of type ``kind`` has come, logging each one."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            while self.pending:
                decoded = self.pending.popleft()
                self._show("S→C", wire_line(decoded.frame), decoded.payload)
                if decoded.frame["type"] == kind:
                    return decoded
            if not self._fill(deadline):
                raise ConnectionError(f"{self.who}/{self.channel} closed while waiting for {kind}")

    def expect_close(self) -> None:
        """Take every remaining frame until the server closes the connection."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            while self.pending:
                decoded = self.pending.popleft()
                self._show("S→C", wire_line(decoded.frame), decoded.payload)
            if not self._fill(deadline):
                break
        self.log.record(self.who, self.channel, "S→C", "(end of stream: closed by the server)")
        self.sock.close()
        assert self.shown == self.received, "the transcript must hold every byte received"

    def _fill(self, deadline: float) -> bool:
        """Read once more (False at end of stream); TimeoutError past the deadline."""
        self.sock.settimeout(max(0.001, deadline - time.monotonic()))
        data = self.sock.recv(65_536)
        self.received += len(data)
        self.pending.extend(self.decoder.feed(data))
        return bool(data)

    def _show(self, direction: str, line: str, payload: bytes | None) -> None:
        self.log.record(self.who, self.channel, direction, line)
        if payload is not None:
            self.log.record(self.who, self.channel, direction, f"<{len(payload)} bytes of PNG>")
        if direction == "S→C":
            self.shown += len(line.encode()) + 1 + len(payload or b"")


class Client:
    """A user's three wires, joined the way the contract orders it."""

    def __init__(self, log: Transcript, name: str, server: Server, **hello: Any) -> None:
        """Join as ``name``; ``hello`` holds the hello's optional keys (since, rooms)."""
        ports = server.ports
        self.recv = Wire(log, name, "recv", ports.recv)
        self.recv.send({"type": "hello", "version": 1, "name": name, "client": "transcript/1",
                        **hello})
        self.welcome = self.recv.expect("welcome").frame
        token = self.welcome["session"]
        log.tokens.append(token)
        self.send = Wire(log, name, "send", ports.send)
        self.send.send({"type": "attach", "session": token})
        self.send.expect("attached")
        self.image = Wire(log, name, "image", ports.image)
        self.image.send({"type": "attach", "session": token})
        self.image.expect("attached")

    def expect_closed(self) -> None:
        for wire in (self.recv, self.send, self.image):
            wire.expect_close()


def tiny_png() -> bytes:
    """An 8x8 avatar, two colours in a checker pattern."""
    image = Image.new("RGB", (8, 8), (40, 90, 200))
    for x in range(8):
        for y in range(x % 2, 8, 2):
            image.putpixel((x, y), (240, 200, 60))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def run(data_dir: Path) -> str:
    """Run the session against a fresh server and return the transcript."""
    log = Transcript()
    config = ServerConfig(
        host=HOST,
        port_send=0,
        port_recv=0,
        data_dir=data_dir,
        admin_password="secret",
        ping_interval=0.5,
    )
    server = Server(config)
    server.start()
    try:
        log.step("alice joins: recv, hello, welcome; then send and image, each attached")
        alice = Client(log, "alice", server)
        log.step("bob joins; alice is told")
        bob = Client(log, "bob", server)
        alice.recv.expect("join")
        log.step("alice says hello; everyone gets the stored message, alice's copy with her ref")
        alice.send.send({"type": "say", "text": "hello", "ref": "a-1"})
        alice.recv.expect("message")
        bob.recv.expect("message")
        log.step("bob uploads an 8x8 PNG avatar; everyone is told its hash")
        png = tiny_png()
        sha = hashlib.sha256(png).hexdigest()
        bob.image.send({"type": "avatar", "sha256": sha}, png)
        bob.recv.expect("avatar_changed")
        alice.recv.expect("avatar_changed")
        log.step("alice fetches bob's avatar by its hash")
        alice.image.send({"type": "get_avatar", "sha256": sha})
        alice.image.expect("avatar")
        log.step("bob becomes admin (user_changed goes to everyone, the notice to bob only)")
        bob.send.send({"type": "command", "line": "admin -a secret"})
        bob.recv.expect("user_changed")
        bob.recv.expect("notice")
        alice.recv.expect("user_changed")
        log.step("bob saves the history")
        bob.send.send({"type": "command", "line": "admin -s"})
        bob.recv.expect("notice")
        log.step(f"both stay quiet for {config.ping_interval} s: ping, pong")
        for client in (alice, bob):
            ping = client.recv.expect("ping").frame
            client.send.send({"type": "pong", "n": ping["n"]})
        log.step("bob sends a frame type the server does not know; the error comes back on send")
        bob.send.send({"type": "dance"})
        bob.send.expect("error")
        log.step("bob says bye and leaves; the server closes his three connections")
        bob.send.send({"type": "say", "text": "bye", "ref": "b-1"})
        bob.send.send({"type": "bye"})
        bob.expect_closed()
        alice.recv.expect("message")
        alice.recv.expect("leave")
        log.step("the server is stopped; alice gets shutdown and her connections close")
        server.stop()
        alice.expect_closed()
    finally:
        server.stop()
        server.wait(TIMEOUT)
    return log.markdown()


def run_rooms(data_dir: Path) -> str:
    """Run a session with rooms against a fresh server and return the transcript."""
    log = Transcript()
    server = Server(ServerConfig(host=HOST, port_send=0, port_recv=0, data_dir=data_dir))
    server.start()
    try:
        log.step("alice and bob join; welcome names the default room and the extension")
        alice = Client(log, "alice", server)
        bob = Client(log, "bob", server)
        alice.recv.expect("join")
        log.step("alice joins #dev, which does not exist yet: it is made")
        alice.send.send({"type": "join_room", "room": "#dev"})
        dev_epoch = alice.recv.expect("room_joined").frame["epoch"]
        log.step("alice says something in #dev; bob, in #lobby only, gets nothing")
        alice.send.send({"type": "say", "room": "#dev", "text": "the build is green",
                         "ref": "a-1"})
        dev_seq = alice.recv.expect("message").frame["seq"]
        log.step("bob lists the rooms")
        bob.send.send({"type": "list_rooms"})
        bob.recv.expect("rooms")
        log.step("bob joins #dev and gets its history; alice is told, with the room")
        bob.send.send({"type": "join_room", "room": "#dev"})
        bob.recv.expect("room_joined")
        alice.recv.expect("join")
        log.step("alice sets the topic of #dev; every member gets it")
        alice.send.send({"type": "topic", "room": "#dev", "text": "release friday"})
        alice.recv.expect("topic")
        bob.recv.expect("topic")
        log.step("bob parts #dev; alice sees a leave marked parted")
        bob.send.send({"type": "part_room", "room": "#dev"})
        bob.recv.expect("room_parted")
        alice.recv.expect("leave")
        log.step("bob says hello in #lobby: no room key, as before rooms")
        bob.send.send({"type": "say", "text": "hello", "ref": "b-1"})
        bob.recv.expect("message")
        lobby_seq = alice.recv.expect("message").frame["seq"]
        log.step("alice says bye; bob shares only #lobby with her, so he gets one leave")
        alice.send.send({"type": "bye"})
        alice.expect_closed()
        bob.recv.expect("leave")
        log.step("while alice is away, bob talks in #lobby, joins #dev again and talks there")
        bob.send.send({"type": "say", "text": "are you there?", "ref": "b-2"})
        bob.recv.expect("message")
        bob.send.send({"type": "join_room", "room": "#dev"})
        bob.recv.expect("room_joined")
        bob.send.send({"type": "say", "room": "#dev", "text": "see you friday", "ref": "b-3"})
        bob.recv.expect("message")
        log.step("alice comes back with a since for #lobby and one for #dev in hello.rooms: "
                 "each room's history starts right after what she saw")
        rooms = {"#dev": {"since": dev_seq, "epoch": dev_epoch}}
        back = Client(log, "alice", server, since=lobby_seq, epoch=alice.welcome["epoch"],
                      rooms=rooms)
        back.recv.expect("room_joined")
        bob.recv.expect("join")
        bob.recv.expect("join")
    finally:
        server.stop()
        server.wait(TIMEOUT)
    return log.markdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rooms", action="store_true",
                        help="record the session with rooms instead of the first one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tuichat-transcript-") as data_dir:
        print((run_rooms if args.rooms else run)(Path(data_dir)), end="")


if __name__ == "__main__":
    main()
