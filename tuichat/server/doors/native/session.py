"""A native session: the token that binds three connections, and the door's state of it
(keep-alive, an avatar upload being checked); the chat's side is its ``Member``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tuichat.net.frames import Channel

if TYPE_CHECKING:
    from collections import deque
    from collections.abc import Iterator

    from tuichat.net.codec import Decoded
    from tuichat.server.core.model import Member
    from tuichat.server.doors.native.peer import Peer


@dataclass(eq=False)
class Session:
    """One user from ``welcome`` until ``leave``. Owned by the reactor thread."""

    token: str
    member: Member
    recv: Peer
    last_heard: float
    send: Peer | None = None
    image: Peer | None = None
    pings_sent: int = 0
    last_ping: float = 0.0
    checking_upload: bool = False
    ticketed: bool = False
    """Let in by a ticket (the SSH door's client): its connections come from loopback and
    are counted against the member's own address once bound to the session."""
    image_backlog: deque[Decoded] | None = field(default=None, repr=False)

    @property
    def ended(self) -> bool:
        """True once the chat has ended the member's session."""
        return self.member.ended

    def peers(self) -> list[Peer]:
        """The session's open connections, recv first."""
        return [peer for peer in (self.recv, self.send, self.image) if peer is not None]

    def peer(self, channel: Channel) -> Peer | None:
        """The connection bound for ``channel``, if any."""
        return {Channel.RECV: self.recv, Channel.SEND: self.send, Channel.IMAGE: self.image}[
            channel
        ]


class Sessions:
    """The door's sessions, by member and by token."""

    def __init__(self) -> None:
        self._by_member: dict[Member, Session] = {}
        self._by_token: dict[str, Session] = {}

    def __iter__(self) -> Iterator[Session]:
        return iter(list(self._by_member.values()))

    def __len__(self) -> int:
        return len(self._by_member)

    def add(self, session: Session) -> None:
        """Count ``session`` in (before its member arrives: its welcome names the token)."""
        self._by_member[session.member] = session
        self._by_token[session.token] = session

    def remove(self, session: Session) -> None:
        """Stop counting ``session`` (harmless to repeat)."""
        if self._by_member.get(session.member) is session:
            del self._by_member[session.member]
        if self._by_token.get(session.token) is session:
            del self._by_token[session.token]

    def of(self, member: Member) -> Session | None:
        """The session of ``member``, if it is this door's and still open."""
        return self._by_member.get(member)

    def with_token(self, token: object) -> Session | None:
        """The session whose token is ``token``, if any."""
        return self._by_token.get(token) if isinstance(token, str) else None

    def clear(self) -> None:
        """Forget every session (the server stops)."""
        self._by_member.clear()
        self._by_token.clear()
