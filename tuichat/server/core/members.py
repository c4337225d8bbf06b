"""A member: one user of the chat, from whichever door it came in by."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tuichat.net.names import name_key
from tuichat.server.limits import LineLimit

if TYPE_CHECKING:
    from tuichat.server.core.ports import Door, Outlet
    from tuichat.server.core.rooms import Room


@dataclass(eq=False, slots=True)
class Member:
    """A user from its arrival until it leaves; owned by the loop thread.

    ``door`` delivers the member's events; ``outlet`` is where that door writes them.
    ``host`` is the address it comes from (what bans and limits match), ``address`` the
    same with the port, for logs.
    """

    name: str
    host: str
    address: str
    door: Door
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
    ended: bool = False
    key: str = field(init=False)
    """The name as compared for uniqueness: case, width and look-alikes ignored."""

    def __post_init__(self) -> None:
        self.key = name_key(self.name)

    def rename(self, name: str) -> None:
        """Take ``name`` (its key with it)."""
        self.name = name
        self.key = name_key(name)
