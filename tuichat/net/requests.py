"""What a client can ask of the server: one method per client-to-server frame on send.

``Connection`` has these; each builds its frame (with the ``room`` key the session
gives, none for the default room) and hands it to ``_send``.
"""

from __future__ import annotations

import itertools

from tuichat.net.frames import Channel, Frame, FrameType
from tuichat.net.session import ClientSession


class Requests:
    """The send-channel requests of one session; ``_send`` writes a frame."""

    session: ClientSession
    _refs: itertools.count[int]
    """Numbers the refs of this session's lines."""

    def _send(self, kind: Channel, frame: Frame, payload: bytes | None = None) -> None:
        raise NotImplementedError

    def _next_ref(self) -> str:
        return f"c-{next(self._refs)}"

    def say(self, text: str, ref: str | None = None, *, action: bool = False,
            room: str | None = None) -> str:
        """Send a chat line (an emote, ``/me``, with ``action``) to ``room`` (None: the
        default room); returns the ``ref`` its echo will carry."""
        ref = ref if ref is not None else self._next_ref()
        frame: Frame = {"type": FrameType.SAY, "text": text, "ref": ref,
                        **self.session.room_key(room)}
        if action:
            frame["action"] = True
        self._send(Channel.SEND, frame)
        return ref

    def private(self, to: str, text: str, ref: str | None = None) -> str:
        """Send a private message to ``to``; returns the ``ref`` of the sender's copy (and
        of a refusal)."""
        ref = ref if ref is not None else self._next_ref()
        self._send(Channel.SEND, {"type": FrameType.PRIVATE, "to": to, "text": text,
                                  "ref": ref})
        return ref

    def nick(self, name: str) -> None:
        """Ask to be renamed; success comes as ``leave`` + ``join`` with ``renamed_*``."""
        self._send(Channel.SEND, {"type": FrameType.NICK, "name": name})

    def away(self, text: str | None) -> None:
        """Set the away text, or come back with None."""
        self._send(Channel.SEND, {"type": FrameType.AWAY, "text": text})

    def whois(self, name: str) -> None:
        """Ask about ``name``; the answer is a ``whois`` frame (or an error notice)."""
        self._send(Channel.SEND, {"type": FrameType.WHOIS, "name": name})

    def command(self, line: str, room: str | None = None) -> None:
        """Send a command line (e.g. ``admin -s``) exactly as typed, about ``room``."""
        self.session.offer_admin(line)  # before sending: the grant can come back at once
        self._send(Channel.SEND, {"type": FrameType.COMMAND, "line": line,
                                  **self.session.room_key(room)})

    def join_room(self, room: str) -> None:
        """Enter ``room`` (extension ``rooms``); ``room_joined`` answers."""
        self._send(Channel.SEND, {"type": FrameType.JOIN_ROOM, "room": room})

    def part_room(self, room: str) -> None:
        """Leave ``room`` (extension ``rooms``); ``room_parted`` answers."""
        self._send(Channel.SEND, {"type": FrameType.PART_ROOM, "room": room})

    def set_topic(self, room: str, text: str | None) -> None:
        """Set ``room``'s topic, or clear it with None (extension ``rooms``)."""
        self._send(Channel.SEND, {"type": FrameType.TOPIC, "room": room, "text": text})

    def list_rooms(self) -> None:
        """Ask for every room (extension ``rooms``); a ``rooms`` frame answers."""
        self._send(Channel.SEND, {"type": FrameType.LIST_ROOMS})
