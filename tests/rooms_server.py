"""A small stand-in server speaking the rooms protocol of issue 13, for the client's tests.

The real server learns rooms in another branch; until then the client's room tests need
something that speaks the frames the brief specifies, over real loopback sockets, so the
real ``Connection``, ``ChatLink`` and session are what is tested. This one keeps rooms
(members, topic, a history with its own seq and epoch each), handles hello (with
``rooms`` to rejoin), attach, say, private, command, join_room, part_room, topic,
list_rooms, nick, away and bye, and lets a test put users in rooms who are not
connected (``add_user``) and speak as them (``say_as``). Frames about the default room
carry no ``room`` key, as the brief says. Everything it reads is kept (``received``) to
be waited on.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tests.conftest import WAIT
from tuichat.net.codec import FrameDecoder, ProtocolError, encode
from tuichat.net.frames import Frame
from tuichat.net.rooms import DEFAULT_ROOM, normalize_room, room_problem

EXTENSIONS = ["attached", "replay", "user_changed", "private", "action", "rename", "away",
              "whois", "motd", "rooms"]
START = 1_764_000_000.0 - 3_600.0
"""The time of the first message a test seeds: an hour before the client's clock."""


class Ports(NamedTuple):
    send: int
    recv: int
    image: int


@dataclass
class Room:
    """One room: who is in it, its topic, and its history (seqs from 1, its own epoch)."""

    name: str
    members: list[str] = field(default_factory=list)
    topic: str | None = None
    history: list[Frame] = field(default_factory=list)
    epoch: str = field(default_factory=lambda: secrets.token_hex(8))


@dataclass
class Peer:
    """A connected client: its name, its recv socket (where everything goes), the other
    two, and its picture."""

    name: str
    recv: socket.socket
    attached: list[socket.socket] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    away: str | None = None
    avatar: str | None = None

    def send(self, frame: Frame, payload: bytes | None = None) -> None:
        with self.lock, contextlib.suppress(OSError):  # on its way out
            self.recv.sendall(encode(frame, payload))

    def end(self) -> None:
        """Close all three connections (the readers then see the end)."""
        for sock in (self.recv, *self.attached):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class RoomsServer:
    """The stand-in server; ``stop()`` closes everything."""

    def __init__(self, default_room: str = DEFAULT_ROOM,
                 clock: Callable[[], float] = time.time) -> None:
        self.default_room = default_room
        self.clock = clock
        """The time of live messages (a fixed one makes pictures the same every run)."""
        self.rooms: dict[str, Room] = {default_room: Room(default_room)}
        self.peers: dict[str, Peer] = {}
        self.tokens: dict[str, str] = {}
        self.received: list[Frame] = []
        self.avatars: dict[str, bytes] = {}
        self._cond = threading.Condition()
        self._listeners = [self._listen() for _ in range(3)]
        self._sockets: list[socket.socket] = []
        self._stopping = False
        for listener, serve in zip(self._listeners,
                                   (self._serve_send, self._serve_recv, self._serve_image),
                                   strict=True):
            threading.Thread(target=self._accept, args=(listener, serve), daemon=True).start()

    @property
    def ports(self) -> Ports:
        send, recv, image = (listener.getsockname()[1] for listener in self._listeners)
        return Ports(send, recv, image)

    def stop(self) -> None:
        self._stopping = True
        for sock in [*self._listeners, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    # -- what a test does ---------------------------------------------------------------

    def add_user(self, room: str, name: str) -> None:
        """``name`` (not connected) is in ``room``; its members are told."""
        with self._cond:
            target = self.rooms.setdefault(room, Room(room))
            target.members.append(name)
            self._to_room(target, {"type": "join", "name": name, "avatar": None, "admin": False,
                                   "away": None, **self._key(room)})

    def say_as(self, name: str, room: str, text: str, *, ts: float | None = None) -> Frame:
        """``name`` says ``text`` in ``room``: stored and sent to its members."""
        with self._cond:
            return self._store(self.rooms[room], name, text, ts=ts)

    def seed(self, room: str, lines: list[tuple[str, str]]) -> None:
        """Put ``lines`` (sender, text) in ``room``'s history, a minute apart."""
        with self._cond:
            target = self.rooms.setdefault(room, Room(room))
            for number, (sender, text) in enumerate(lines):
                self._store(target, sender, text, ts=START + 60 * number)

    def push(self, name: str, frame: Frame) -> None:
        """Send ``frame`` to the connected client ``name``."""
        self.peers[name].send(frame)

    def drop(self, name: str) -> None:
        """End ``name``'s session from this side, as a lost connection does."""
        with self._cond:
            self._gone(self.peers[name])

    def sent(self, kind: str, **fields: Any) -> list[Frame]:
        """The frames of ``kind`` (with ``fields``) the clients sent, so far."""
        with self._cond:
            return [frame for frame in self.received if frame.get("type") == kind
                    and all(frame.get(key) == value for key, value in fields.items())]

    def wait_for(self, kind: str, count: int = 1, **fields: Any) -> Frame:
        """The ``count``-th frame of ``kind`` (with ``fields``) a client sent; fails after
        WAIT seconds."""
        deadline = time.monotonic() + WAIT
        with self._cond:
            while len(found := self.sent(kind, **fields)) < count:
                if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                    raise AssertionError(f"no {kind} {fields}; got {self.received[-10:]}")
            return found[count - 1]

    # -- the protocol ---------------------------------------------------------------------

    def _key(self, room: str) -> Frame:
        return {} if room == self.default_room else {"room": room}

    def _record(self, name: str) -> Frame:
        peer = self.peers.get(name)
        return {"name": name, "avatar": peer.avatar if peer is not None else None,
                "admin": False, "away": peer.away if peer is not None else None}

    def _to_company(self, peer: Peer, frame: Frame) -> None:
        """Send ``frame`` to everyone sharing a room with ``peer``, and to ``peer``."""
        company = {name for room in self.rooms.values() if peer.name in room.members
                   for name in room.members} | {peer.name}
        for name in company:
            if name in self.peers:
                self.peers[name].send(frame)

    def _to_room(self, room: Room, frame: Frame, *, skip: str = "") -> None:
        for member in room.members:
            peer = self.peers.get(member)
            if peer is not None and member != skip:
                peer.send(frame)

    def _store(self, room: Room, sender: str, text: str, *, ts: float | None = None,
               ref: object = None, action: bool = False) -> Frame:
        frame: Frame = {"type": "message", "seq": len(room.history) + 1,
                        "ts": self.clock() if ts is None else ts, "from": sender,
                        "text": text, "avatar": None, **self._key(room.name)}
        if action:
            frame["action"] = True
        room.history.append(frame)
        for member in room.members:
            peer = self.peers.get(member)
            if peer is not None:
                peer.send({**frame, "ref": ref} if member == sender and ref is not None
                          else frame)
        return frame

    def _since(self, room: Room, asked: Frame) -> list[Frame]:
        since = asked.get("since")
        if not isinstance(since, int) or asked.get("epoch") not in (None, room.epoch):
            return [dict(frame) for frame in room.history[-200:]]
        return [dict(frame) for frame in room.history if frame["seq"] > since]

    def _welcome(self, peer: Peer, hello: Frame, token: str) -> None:
        room = self.rooms[self.default_room]
        room.members.append(peer.name)
        history = [{key: value for key, value in frame.items() if key != "room"}
                   for frame in self._since(room, hello)]
        peer.send({"type": "welcome", "version": 1, "session": token, "name": peer.name,
                   "server": "rooms-stand-in/1", "admin": False, "avatar": None,
                   "console_avatar": None, "history_truncated": False, "epoch": room.epoch,
                   "extensions": EXTENSIONS, "motd": None, "room": room.name,
                   "topic": room.topic, "users": [self._record(name) for name in room.members],
                   "history": history})
        self._to_room(room, {"type": "join", **self._record(peer.name)}, skip=peer.name)
        rejoin = hello.get("rooms")
        for name, asked in (rejoin.items() if isinstance(rejoin, dict) else ()):
            self._join(peer, name, asked if isinstance(asked, dict) else {})

    def _join(self, peer: Peer, name: str, asked: Frame) -> None:
        if room_problem(name) is not None:
            peer.send({"type": "notice", "level": "error",
                       "text": f"Room not joined: {room_problem(name)}."})
            return
        room = self.rooms.setdefault(name, Room(name))
        if peer.name in room.members:
            peer.send({"type": "notice", "level": "info", "text": f"You are already in {name}."})
            return
        room.members.append(peer.name)
        peer.send({"type": "room_joined", "room": name, "topic": room.topic, "motd": None,
                   "epoch": room.epoch, "history_truncated": False,
                   "users": [self._record(member) for member in room.members],
                   "history": self._since(room, asked)})
        self._to_room(room, {"type": "join", "room": name, **self._record(peer.name)},
                      skip=peer.name)

    def _on_send(self, peer: Peer, frame: Frame) -> None:
        """One frame from a client's send channel."""
        kind, room_name = frame.get("type"), frame.get("room", self.default_room)
        room = self.rooms.get(room_name) if isinstance(room_name, str) else None
        if kind == "say" and room is not None:
            if peer.name not in room.members:
                peer.send({"type": "notice", "level": "error", "ref": frame.get("ref"),
                           "text": f"You are not in {room_name}; /join {room_name} first."})
            else:
                self._store(room, peer.name, str(frame["text"]), ref=frame.get("ref"),
                            action=frame.get("action") is True)
        elif kind == "join_room":
            self._join(peer, normalize_room(str(frame.get("room"))), {})
        elif kind == "part_room" and room is not None and peer.name in room.members:
            room.members.remove(peer.name)
            peer.send({"type": "room_parted", "room": room.name})
            self._to_room(room, {"type": "leave", "name": peer.name, "reason": "quit",
                                 "parted": True, **self._key(room.name)})
        elif kind == "topic" and room is not None:
            room.topic = frame.get("text") or None
            self._to_room(room, {"type": "topic", "text": room.topic, "by": peer.name,
                                 **self._key(room.name)})
        elif kind == "list_rooms":
            peer.send({"type": "rooms", "rooms": [
                {"room": name, "members": len(self.rooms[name].members),
                 "topic": self.rooms[name].topic} for name in sorted(self.rooms)]})
        elif kind == "private":
            to = str(frame.get("to"))
            copy = {"type": "private", "from": peer.name, "to": to, "text": frame.get("text"),
                    "ts": self.clock(), "avatar": None}
            if to in self.peers:
                self.peers[to].send(copy)
            peer.send({**copy, "ref": frame.get("ref")})
        elif kind == "command":
            peer.send({"type": "notice", "level": "info",
                       "text": f"ran {frame.get('line')!r} in {room_name}",
                       **self._key(str(room_name))})
        elif kind == "away":
            peer.away = frame.get("text") or None
            self._to_company(peer, {"type": "user_changed", **self._record(peer.name)})

    # -- sockets ---------------------------------------------------------------------------

    @staticmethod
    def _listen() -> socket.socket:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.listen()
        return listener

    def _accept(self, listener: socket.socket, serve: Any) -> None:
        while not self._stopping:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            self._sockets.append(sock)
            threading.Thread(target=self._read, args=(sock, serve), daemon=True).start()

    def _read(self, sock: socket.socket, serve: Any) -> None:
        decoder = FrameDecoder()
        state: dict[str, Any] = {}
        try:
            while data := sock.recv(65_536):
                for decoded in decoder.feed(data):
                    with self._cond:
                        self.received.append(decoded.frame)
                        self._cond.notify_all()
                        serve(sock, decoded.frame, decoded.payload, state)
        except (OSError, ProtocolError):
            pass
        with self._cond:  # one connection ends, and with it the session
            peer: Peer | None = state.get("peer")
            if peer is not None and self.peers.get(peer.name) is peer:
                self._gone(peer)
        sock.close()

    def _gone(self, peer: Peer) -> None:
        del self.peers[peer.name]
        peer.end()
        for room in self.rooms.values():
            if peer.name in room.members:
                room.members.remove(peer.name)
                self._to_room(room, {"type": "leave", "name": peer.name, "reason": "quit",
                                     **self._key(room.name)})

    def _serve_recv(self, sock: socket.socket, frame: Frame, payload: bytes | None,
                    state: dict[str, Any]) -> None:
        if frame.get("type") != "hello":
            return
        peer = Peer(str(frame["name"]), sock)
        token = secrets.token_urlsafe(24)
        self.peers[peer.name] = peer
        self.tokens[token] = peer.name
        state["peer"] = peer
        self._welcome(peer, frame, token)

    def _serve_send(self, sock: socket.socket, frame: Frame, payload: bytes | None,
                    state: dict[str, Any]) -> None:
        if self._attach(sock, frame, state, "send"):
            return
        peer: Peer | None = state.get("peer")
        if peer is None or self.peers.get(peer.name) is not peer:
            return
        if frame.get("type") == "bye":
            self._gone(peer)
        else:
            self._on_send(peer, frame)

    def _serve_image(self, sock: socket.socket, frame: Frame, payload: bytes | None,
                     state: dict[str, Any]) -> None:
        if self._attach(sock, frame, state, "image"):
            return
        sha = str(frame.get("sha256"))
        if frame.get("type") == "get_avatar" and sha in self.avatars:
            sock.sendall(encode({"type": "avatar", "sha256": sha}, self.avatars[sha]))
        elif frame.get("type") == "get_avatar":
            sock.sendall(encode({"type": "error", "code": "not_found",
                                 "text": "no avatar with that hash", "sha256": sha}))
        elif frame.get("type") == "avatar" and payload is not None and "peer" in state:
            peer = state["peer"]
            self.avatars[sha], peer.avatar = payload, sha
            self._to_company(peer, {"type": "avatar_changed", "name": peer.name,
                                    "avatar": sha})

    def _attach(self, sock: socket.socket, frame: Frame, state: dict[str, Any],
                channel: str) -> bool:
        """Take an ``attach``; False for any other frame."""
        if frame.get("type") != "attach":
            return False
        peer = self.peers[self.tokens[str(frame["session"])]]
        state["peer"] = peer
        peer.attached.append(sock)
        sock.sendall(encode({"type": "attached", "channel": channel}))
        return True
