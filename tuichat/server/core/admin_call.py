"""One admin line being run: who typed it, in which room, its argument, and how it is
answered and logged. Every admin handler takes one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tuichat.net.commands import AdminCommand, usage_text

if TYPE_CHECKING:
    from tuichat.server.core.events import Level
    from tuichat.server.core.hub import Hub
    from tuichat.server.core.model import Member, Room

log = logging.getLogger("tuichat.server")


@dataclass(frozen=True, slots=True)
class AdminCall:
    """``command`` typed by ``member`` in ``room``, with ``rest`` after its flag."""

    hub: Hub
    member: Member
    room: Room
    command: AdminCommand
    rest: str

    @property
    def of_room(self) -> str:
        """`` of #dev`` for a room other than the default one, else nothing: what a reply
        adds to name the room it acted on."""
        return "" if self.room is self.hub.lobby else f" of {self.room.name}"

    @property
    def in_room(self) -> str:
        """`` in #dev`` outside the default room, else nothing."""
        return "" if self.room is self.hub.lobby else f" in {self.room.name}"

    def reply(self, text: str, level: Level = "info") -> None:
        """Answer the admin (a notice about the room the line was typed in)."""
        self.hub.notice(self.member, text, level, room=self.room)

    def usage(self, problem: str) -> None:
        """Tell the admin what was wrong with the line (nothing, for a plain ``admin``),
        then the usage of every command."""
        self.reply(problem + usage_text(), "error" if problem else "info")

    def log(self, outcome: str) -> None:
        """Log what the command did, with who ran it and where."""
        log.info("admin %s by %s (%s)%s: %s", self.command.flag, self.member.name,
                 self.member.address, self.in_room, outcome)
