"""How members look on IRC: their nick, ``nick!user@host`` source, modes and channel
prefixes, and the lookup of a nick back to a member."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tuichat.net.frames import CONSOLE
from tuichat.server.doors.irc.nicks import nick_of

if TYPE_CHECKING:
    from tuichat.server.core.chat import Chat
    from tuichat.server.core.model import Member, Room
    from tuichat.server.doors.irc.session import IrcSession

HIDDEN_HOST = "tuichat"
"""The host every member shows (addresses are an admin's to see, in WHOIS)."""
OTHER_DOOR_USER = "tuichat"
"""The user name shown for members who came in by another door."""
CONSOLE_SOURCE = f"{CONSOLE}!{CONSOLE}@{HIDDEN_HOST}"
WHOWAS_KEPT = 200
"""Departed nicks kept for WHOWAS."""


@dataclass(frozen=True, slots=True)
class Gone:
    """A nick that left (or was given up), for WHOWAS."""

    nick: str
    user: str
    realname: str
    left: float


class People:
    """Nicks and sources of members, for the IRC door's sessions."""

    def __init__(self, chat: Chat, sessions: Mapping[Member, IrcSession]) -> None:
        self._chat = chat
        self._sessions = sessions
        self._gone: deque[Gone] = deque(maxlen=WHOWAS_KEPT)

    def remember(self, member: Member, nick: str | None = None) -> None:
        """Keep ``member`` (under ``nick``, the one it gives up) for WHOWAS."""
        self._gone.appendleft(Gone(nick or nick_of(member.name), self.user(member),
                                   self.realname(member), time.time()))

    def was(self, nick: str) -> list[Gone]:
        """Who had ``nick`` (case ignored), the latest first."""
        folded = nick.casefold()
        return [gone for gone in self._gone if gone.nick.casefold() == folded]

    def user(self, member: Member) -> str:
        """The user name shown for ``member`` (its own, ``~``-marked, on IRC)."""
        session = self._sessions.get(member)
        if session is None or session.user is None:
            return OTHER_DOOR_USER
        return f"~{session.user}"

    def realname(self, member: Member) -> str:
        """The real name given at registration, or the door a member came by."""
        session = self._sessions.get(member)
        return session.realname if session is not None else "tuichat user"

    def source(self, member: Member) -> str:
        """``nick!user@host`` of ``member``."""
        return f"{nick_of(member.name)}!{self.user(member)}@{HIDDEN_HOST}"

    def source_of_name(self, name: str) -> str:
        """The source of whoever is called ``name`` (here or gone)."""
        member = self._chat.find(name)
        if member is not None and member.name == name:
            return self.source(member)
        if name == CONSOLE:
            return CONSOLE_SOURCE
        for gone in self._sessions:  # one of the door's own, on its way out
            if gone.name == name:
                return self.source(gone)
        return f"{nick_of(name)}!{OTHER_DOOR_USER}@{HIDDEN_HOST}"

    def find(self, nick: str) -> Member | None:
        """The member IRC users know as ``nick``: by its name (case and look-alikes
        ignored), or by its mapped nick."""
        member = self._chat.find(nick)
        if member is not None:
            return member
        if "|" in nick:
            folded = nick.casefold()
            for member in self._chat.hub.members.values():
                if nick_of(member.name).casefold() == folded:
                    return member
        return None

    @staticmethod
    def prefix(member: Member, room: Room) -> str:
        """``@`` for a channel operator (an admin, or a keeper of ``room``)."""
        return "@" if room.kept_by(member) else ""

    def names(self, room: Room, *, full: bool = False) -> list[str]:
        """The NAMES entries of ``room``: prefix and nick of each member (``full``:
        ``nick!user@host``, for userhost-in-names)."""
        if full:
            return [self.prefix(member, room) + self.source(member)
                    for member in room.members.values()]
        return [self.prefix(member, room) + nick_of(member.name)
                for member in room.members.values()]
