"""The IRC commands that only ask: NAMES, WHO, WHOIS, WHOWAS, USERHOST, ISON, LIST,
MOTD, LUSERS, INFO and TIME, answered from the chat's state (WHOIS and LIST through the
chat, whose answers come back as events)."""

from __future__ import annotations

import fnmatch
import time
from typing import TYPE_CHECKING

from tuichat import __version__
from tuichat.server.core.requests import ListRooms, Whois
from tuichat.server.doors.irc import replies as r
from tuichat.server.doors.irc.nicks import nick_of
from tuichat.server.doors.irc.people import HIDDEN_HOST

if TYPE_CHECKING:
    from tuichat.server.core.model import Member
    from tuichat.server.doors.irc.host import CommandHost, DoorHost
    from tuichat.server.doors.irc.message import Line
    from tuichat.server.doors.irc.session import IrcSession

INFO = (f"tuichat {__version__}: a terminal chat with pictures, and its IRC door.",
        "Rooms are channels; tuichat users and IRC users share them.")


class Queries:
    """The asking commands, for the door's table."""

    def __init__(self, door: DoorHost, commands: CommandHost) -> None:
        self._commands = commands
        self._replies = door.replies
        self._people = door.people
        self._greeter = door.greeter
        self._chat = door.chat
        self._members = door.members

    def names(self, session: IrcSession, line: Line) -> None:
        """NAMES [#room,...]: the members of each (of the client's rooms without one)."""
        if not line.params:
            for room in self._commands.me(session).rooms.values():
                self._greeter.names(session, room)
            self._greeter.names(session, None, "*")
            return
        for name in line.params[0].split(","):
            found = self._commands.channel(session, name, joined=False, quiet=True)
            self._greeter.names(session, found, name)

    def who(self, session: IrcSession, line: Line) -> None:
        """WHO #room, WHO nick, WHO * (everyone sharing a room with the client), or a
        nick mask (``ali*``: everyone here whose nick matches)."""
        mask = line.param(0, "*")
        greeter = self._greeter
        if mask.startswith("#"):
            room = self._commands.channel(session, mask, joined=False, quiet=True)
            if room is not None:
                for member in room.members.values():
                    greeter.who_line(session, member, room)
        elif mask in ("*", "0"):
            me = self._commands.me(session)
            seen = {me: None}
            for room in me.rooms.values():
                seen.update(dict.fromkeys(room.members.values()))
            for member in seen:
                greeter.who_line(session, member, None)
        elif "*" in mask or "?" in mask:
            pattern = mask.casefold()
            me = self._commands.me(session)
            for member in list(self._chat.hub.members.values()):
                if (fnmatch.fnmatchcase(nick_of(member.name).casefold(), pattern)
                        and self._visible(member, me)):
                    greeter.who_line(session, member, None)
        else:
            found = self._people.find(mask)
            if found is not None:
                greeter.who_line(session, found, None)
        self._replies.numeric(session, r.RPL_ENDOFWHO, mask, "End of WHO list")

    def _visible(self, member: Member, viewer: Member) -> bool:
        """False for an invisible (``+i``) IRC user who shares no room with ``viewer``."""
        other = self._members.get(member)
        if other is None or not other.invisible or member is viewer:
            return True
        return any(name in viewer.rooms for name in member.rooms)

    def whois(self, session: IrcSession, line: Line) -> None:
        """WHOIS [server] nick: asked of the chat (an admin sees the address)."""
        nick = line.params[-1].split(",")[0]
        target = self._people.find(nick)
        if target is None:
            self._replies.numeric(session, r.ERR_NOSUCHNICK, nick, "No such nick/channel")
            self._replies.numeric(session, r.RPL_ENDOFWHOIS, nick, "End of /WHOIS list.")
            return
        self._commands.ask(session, Whois(target.name))

    def whowas(self, session: IrcSession, line: Line) -> None:
        """WHOWAS nick [count]: who had the nick among the last IRC users to leave."""
        nick, replies = line.params[0], self._replies
        try:
            count = int(line.param(1, "0"))
        except ValueError:
            count = 0
        found = self._people.was(nick)
        if count > 0:
            found = found[:count]
        if not found:
            replies.numeric(session, r.ERR_WASNOSUCHNICK, nick, "There was no such nickname")
        for gone in found:
            replies.numeric(session, r.RPL_WHOWASUSER, gone.nick, gone.user, HIDDEN_HOST, "*",
                            gone.realname)
            replies.numeric(session, r.RPL_WHOISSERVER, gone.nick, replies.name,
                            time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(gone.left)))
        replies.numeric(session, r.RPL_ENDOFWHOWAS, nick, "End of WHOWAS")

    def userhost(self, session: IrcSession, line: Line) -> None:
        """USERHOST nick...: ``nick[*]=[+-]user@host`` for each one here."""
        entries = []
        for nick in line.params[:5]:
            member = self._people.find(nick)
            if member is not None:
                oper = "*" if member.admin else ""
                away = "-" if member.away is not None else "+"
                entries.append(f"{nick_of(member.name)}{oper}={away}"
                               f"{self._people.user(member)}@{HIDDEN_HOST}")
        self._replies.numeric(session, r.RPL_USERHOST, " ".join(entries))

    def ison(self, session: IrcSession, line: Line) -> None:
        """ISON nick...: those of them here."""
        nicks = " ".join(line.params).split()
        here = [nick_of(member.name) for nick in nicks
                if (member := self._people.find(nick)) is not None]
        self._replies.numeric(session, r.RPL_ISON, " ".join(here))

    def list_channels(self, session: IrcSession, line: Line) -> None:
        """LIST: every room, asked of the chat."""
        self._commands.ask(session, ListRooms())

    def motd(self, session: IrcSession, line: Line) -> None:
        """MOTD: the default room's message of the day."""
        self._greeter.motd(session)

    def lusers(self, session: IrcSession, line: Line) -> None:
        """LUSERS: how many are here."""
        self._greeter.lusers(session)

    def info(self, session: IrcSession, line: Line) -> None:
        """INFO: what this server is."""
        for text in INFO:
            self._replies.numeric(session, r.RPL_INFO, text)
        self._replies.numeric(session, r.RPL_ENDOFINFO, "End of INFO list")

    def time(self, session: IrcSession, line: Line) -> None:
        """TIME: the server's clock."""
        now = time.time()
        self._replies.numeric(session, r.RPL_TIME, self._replies.name, str(int(now)), "0",
                              time.strftime("%A %B %d %Y -- %H:%M:%S +00:00",
                                            time.gmtime(now)))
