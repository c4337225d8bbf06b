"""A joined user: a name, a token, and up to three bound peers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tuichat.net.frames import Channel, Frame
from tuichat.net.names import name_key

if TYPE_CHECKING:
    from collections import deque

    from tuichat.net.codec import Decoded
    from tuichat.server.peer import Peer


@dataclass(eq=False)
class Session:
    """One user from ``welcome`` until ``leave``. Owned by the reactor thread."""

    token: str
    name: str
    recv: Peer
    last_heard: float
    host: str = ""
    """The address the recv connection comes from, without the port (what bans match)."""
    joined: float = 0.0
    """Wall-clock time of ``welcome`` (Unix seconds), for ``whois``."""
    away: str | None = None
    send: Peer | None = None
    image: Peer | None = None
    admin: bool = False
    avatar: str | None = None
    pings_sent: int = 0
    last_ping: float = 0.0
    ended: bool = False
    checking_upload: bool = False
    image_backlog: deque[Decoded] | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        """The name as compared for uniqueness: case, width and look-alikes ignored."""
        return name_key(self.name)

    @property
    def address(self) -> str:
        """Where the user connects from, as ``host:port`` of the recv channel."""
        return self.recv.address

    def peers(self) -> list[Peer]:
        """The session's open connections, recv first."""
        return [peer for peer in (self.recv, self.send, self.image) if peer is not None]

    def peer(self, channel: Channel) -> Peer | None:
        """The connection bound for ``channel``, if any."""
        return {Channel.RECV: self.recv, Channel.SEND: self.send, Channel.IMAGE: self.image}[
            channel
        ]

    def user_record(self) -> Frame:
        """The user as listed in ``welcome``, ``join`` and ``user_changed``."""
        return {"name": self.name, "avatar": self.avatar, "admin": self.admin,
                "away": self.away}
