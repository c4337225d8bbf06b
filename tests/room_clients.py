"""Speaking the rooms extension from tests: its frames sent by a joined client, each
answer awaited (never slept for), and bare-socket sessions whose ``hello`` says anything.

A room of ``None`` is the default room: frames about it carry no ``room`` key, so
``matching("message", room=None)`` picks them out as surely as ``room="#dev"`` picks
out those of ``#dev``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from tests.conftest import Client, FramePredicate, RawChannel, matching
from tuichat.net.frames import Channel, Frame
from tuichat.net.rooms import DEFAULT_ROOM
from tuichat.server.app import Server

_refs = itertools.count(1)


def _room_key(room: str | None) -> dict[str, str]:
    """The ``room`` key a frame about ``room`` carries (none for the default room)."""
    return {} if room is None else {"room": room}


def after(client: Client, predicate: FramePredicate, action: Callable[[], object]) -> Frame:
    """Do ``action`` and return the first frame matching ``predicate`` that ``client``
    gets after it."""
    before = len(client.inbox.all(predicate))
    action()
    return client.inbox.wait_for(predicate, count=before + 1)


def send(client: Client, frame: Frame) -> None:
    """Send ``frame`` on the client's send channel."""
    client.conn.send_frame(Channel.SEND, frame)


def notice_after(client: Client, frame: Frame) -> Frame:
    """Send ``frame`` and return the next notice the client gets."""
    return after(client, matching("notice"), lambda: send(client, frame))


def _answer(frame_type: str, room: str, default: str) -> FramePredicate:
    """A predicate for the answer of type ``frame_type`` about ``room``; an answer about
    the default room may name it or carry no ``room`` at all."""

    def predicate(frame: Frame) -> bool:
        return frame.get("type") == frame_type and frame.get("room", default) == room

    return predicate


def join_room(client: Client, room: str, default: str = DEFAULT_ROOM) -> Frame:
    """Join ``room`` and return the ``room_joined`` that answers it."""
    return after(client, _answer("room_joined", room.lower(), default),
                 lambda: send(client, {"type": "join_room", "room": room}))


def part_room(client: Client, room: str, default: str = DEFAULT_ROOM) -> Frame:
    """Part ``room`` and return the ``room_parted`` that answers it."""
    return after(client, _answer("room_parted", room, default),
                 lambda: send(client, {"type": "part_room", "room": room}))


def say_in(client: Client, room: str | None, text: str) -> Frame:
    """Say ``text`` in ``room`` and return the sender's echo of it."""
    ref = f"r-{next(_refs)}"
    send(client, {"type": "say", "text": text, "ref": ref, **_room_key(room)})
    return client.inbox.wait_for(matching("message", ref=ref))


def refused_say(client: Client, room: str | None, text: str) -> Frame:
    """Say ``text`` in ``room`` and return the notice refusing it (it carries the ref)."""
    ref = f"r-{next(_refs)}"
    send(client, {"type": "say", "text": text, "ref": ref, **_room_key(room)})
    return client.inbox.wait_for(matching("notice", ref=ref))


def command_in(client: Client, room: str | None, line: str) -> Frame:
    """Run the command ``line`` typed in ``room`` and return the notice it produced."""
    return notice_after(client, {"type": "command", "line": line, **_room_key(room)})


def set_topic(client: Client, room: str | None, text: str | None) -> Frame:
    """Set the topic of ``room`` and return the ``topic`` frame the setter gets back."""
    frame: Frame = {"type": "topic", "text": text, **_room_key(room)}
    return after(client, matching("topic", room=room), lambda: send(client, frame))


def list_rooms(client: Client) -> list[dict[str, Any]]:
    """The ``rooms`` list the server answers ``list_rooms`` with."""
    answer = after(client, matching("rooms"), lambda: send(client, {"type": "list_rooms"}))
    rooms: list[dict[str, Any]] = answer["rooms"]
    return rooms


def barrier(sender: Client, room: str | None, *receivers: Client) -> None:
    """Wait until each receiver has every frame ``sender``'s earlier frames caused in
    ``room``: the sender's frames are handled in order, so a line said after them and
    seen by a receiver comes after all their effects on that receiver's recv."""
    text = f"barrier {time.monotonic_ns()}"
    say_in(sender, room, text)
    for receiver in receivers:
        receiver.inbox.wait_for(matching("message", text=text))


def frames_after(client: Client, index: int) -> list[Frame]:
    """The frames ``client`` got after its first ``index`` frames."""
    return [frame for _, frame, _ in client.inbox.frames[index:]]


def room_of(frame: Frame) -> str | None:
    """The room a frame is about: its ``room`` key, None for the default room."""
    room = frame.get("room")
    return room if isinstance(room, str) else None


class RawSession:
    """A session on bare sockets whose ``hello`` carries whatever a test gives; its recv
    channel is read in order by the test (the frames after ``welcome`` included)."""

    def __init__(self, server: Server, name: str, **hello: Any) -> None:
        """Say hello as ``name`` with the extra keys ``hello`` and attach send and image."""
        ports = server.ports
        self.recv = RawChannel(ports.recv)
        self.recv.send({"type": "hello", "version": 1, "name": name, "client": "test",
                        **hello})
        self.welcome = self.recv.read_frame()
        assert self.welcome["type"] == "welcome", self.welcome
        self.send = RawChannel(ports.send)
        self.image = RawChannel(ports.image)
        for channel in (self.send, self.image):
            channel.send({"type": "attach", "session": self.welcome["session"]})
            assert channel.read_frame()["type"] == "attached"
        self.received: list[Frame] = []

    def read_until(self, predicate: FramePredicate) -> list[Frame]:
        """Read recv up to and including the first frame matching ``predicate``; every
        frame read is also kept in ``received``."""
        frames: list[Frame] = []
        while True:
            frame = self.recv.read_frame()
            frames.append(frame)
            self.received.append(frame)
            if predicate(frame):
                return frames

    def say(self, text: str, ref: str, **keys: Any) -> list[Frame]:
        """Say ``text`` and read recv up to its echo; the frames read are returned."""
        self.send.send({"type": "say", "text": text, "ref": ref, **keys})
        return self.read_until(matching("message", ref=ref))

    def close(self) -> None:
        for channel in (self.recv, self.send, self.image):
            channel.close()


class Sessions:
    """Opens RawSessions and closes every one of them at the end of a ``with``."""

    def __init__(self) -> None:
        self.opened: list[RawSession] = []

    def __call__(self, server: Server, name: str, **hello: Any) -> RawSession:
        session = RawSession(server, name, **hello)
        self.opened.append(session)
        return session

    def __enter__(self) -> Sessions:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for session in self.opened:
            session.close()
