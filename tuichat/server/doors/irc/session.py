"""One IRC client's state: its connection, what it said at registration, the
capabilities it asked for, and its member once it is in."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tuichat.server.core.model import Member
    from tuichat.server.doors.irc.connection import IrcConnection

CAPABILITIES = ("away-notify", "batch", "draft/chathistory", "echo-message",
                "message-tags", "multi-prefix", "server-time", "userhost-in-names")
"""The IRCv3 capabilities the door offers (``CAP LS``)."""


@dataclass(eq=False)
class IrcSession:
    """A client from its connection until it closes; reactor thread only."""

    conn: IrcConnection
    nick: str | None = None
    user: str | None = None
    realname: str = ""
    password: str | None = None
    caps: set[str] = field(default_factory=set)
    negotiating: bool = False
    """Between ``CAP LS``/``REQ`` and ``CAP END``: registration waits."""
    member: Member | None = None
    invisible: bool = False
    """User mode ``+i``: left out of WHO masks by those sharing no channel with it."""
    quitting: str | None = None
    """The QUIT message the client gave, shown to the others."""
    last_heard: float = field(default_factory=time.monotonic)
    last_ping: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def registered(self) -> bool:
        """True once the chat let the client in."""
        return self.member is not None

    @property
    def target(self) -> str:
        """What numerics name the client by: its nick, or ``*`` before it has one."""
        return self.nick or "*"

    @property
    def tag_level(self) -> int:
        """Which tags lines to this client carry: 0 none, 1 ``time`` (server-time),
        2 all (message-tags)."""
        if "message-tags" in self.caps:
            return 2
        return 1 if "server-time" in self.caps else 0
