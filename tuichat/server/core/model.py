"""The chat's two kinds of thing, which refer to each other: members and rooms.

A member is one user of the chat, from whichever door it came in by; a room has members
and a history (with its topic and message of the day). A member's ``outlet`` is where its
door writes what it makes of the events for it: the core keeps it and never calls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from tuichat.net.names import name_key
from tuichat.server.limits import LineLimit

if TYPE_CHECKING:
    from tuichat.server.store.history import History


class Outlet(Protocol):
    """Where a door writes for one member (the native door: its recv connection)."""

    def write(self, data: bytes, /) -> None:
        """Queue ``data`` for the member."""


@dataclass(eq=False, slots=True)
class Member:
    """A user from its arrival until it leaves; owned by the loop thread.

    ``host`` is the address it comes from (what bans and limits match), ``address`` the
    same with the port, for logs.
    """

    name: str
    host: str
    address: str
    outlet: Outlet
    joined: float = 0.0
    """Wall-clock time of arrival (Unix seconds), for ``whois``."""
    admin: bool = False
    avatar: str | None = None
    away: str | None = None
    rooms: dict[str, Room] = field(default_factory=dict)
    """The rooms the member is in, by name, in the order it joined them."""
    lines: LineLimit = field(default_factory=lambda: LineLimit(0, 0, 0))
    """Its allowance of lines (the core sets the server's limits on arrival)."""
    moves: LineLimit = field(default_factory=lambda: LineLimit(0, 0, 0))
    """Its allowance of room joins and parts, apart from its lines: an IRC client joins
    its channels in one burst on connecting."""
    ended: bool = False
    fingerprint: str | None = None
    """``SHA256:...`` of the SSH key it came in with (through a ticket), if it did."""
    key: str = field(init=False)
    """The name as compared for uniqueness: case, width and look-alikes ignored."""

    def __post_init__(self) -> None:
        self.key = name_key(self.name)

    def rename(self, name: str) -> None:
        """Take ``name`` (its key with it)."""
        self.name = name
        self.key = name_key(name)


class Room:
    """One room; members are kept by key, in the order they joined."""

    __slots__ = ("__weakref__", "file_work", "history", "keepers", "member_limit", "members",
                 "motd", "name")

    def __init__(self, name: str, history: History, motd: str | None) -> None:
        self.name = name
        self.history = history
        self.members: dict[str, Member] = {}
        self.motd = motd
        """The message of the day shown on joining the room."""
        self.file_work: str | None = None
        """The usage of the admin file command at work on the room (``admin -s``), if one is."""
        self.member_limit: int | None = None
        """Members the room takes at most, as a keeper set it (while the room is open);
        None: only the server's limit."""
        self.keepers: set[Member] = set()
        """Members who keep the room while they are in it: whoever made it, and those a
        keeper named. A keeper (or an admin) may remove members from the room."""

    def __repr__(self) -> str:
        return f"<Room {self.name} ({len(self.members)} members)>"

    def kept_by(self, member: Member) -> bool:
        """True when ``member`` may remove others from the room: a keeper, or an admin."""
        return member.admin or member in self.keepers

    @property
    def topic(self) -> str | None:
        """The room's topic, kept with its history."""
        return self.history.topic

    @property
    def unused(self) -> bool:
        """True when nothing keeps the room: no member, no message, no topic, no motd."""
        return (not self.members and self.topic is None and self.motd is None
                and not self.history.has_messages)
