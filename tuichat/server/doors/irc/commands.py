"""The IRC commands: one table, each row a command's name, whether it needs
registration, its fewest parameters, and its handler.

A handler checks what IRC has error numerics for (no such channel, not on it, not an
operator) against the chat's state, then hands the request to the chat, whose rules
decide; what the chat answers comes back as events (``render``). Admin lines typed in a
channel (``admin -s``) run as in tuichat's entry box and are answered by Console.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tuichat.net.commands import is_admin_line
from tuichat.net.frames import LeaveReason
from tuichat.net.rooms import normalize_room, room_problem
from tuichat.server.core.requests import (
    AddKeeper,
    Command,
    JoinRoom,
    ListRooms,
    PartRoom,
    Private,
    RemoveFromRoom,
    Request,
    RequestError,
    Say,
    SetAway,
    SetTopic,
    Whois,
)
from tuichat.server.doors.irc import replies as r
from tuichat.server.doors.irc.history import History
from tuichat.server.doors.irc.registration import Registration

if TYPE_CHECKING:
    from tuichat.server.core.model import Member, Room
    from tuichat.server.doors.irc.door import IrcDoor
    from tuichat.server.doors.irc.message import Line
    from tuichat.server.doors.irc.session import IrcSession

Handler = Callable[["IrcSession", "Line"], None]
ACTION_START, ACTION_END = "\x01ACTION ", "\x01"


@dataclass(frozen=True, slots=True)
class Row:
    """One command: its handler, whether it needs registration, its fewest params."""

    handler: Handler
    registered: bool = True
    params: int = 0


class Commands:
    """The table of IRC commands and their handlers."""

    def __init__(self, door: IrcDoor) -> None:
        self._door = door
        self._chat = door.chat
        self._replies = door.replies
        self._people = door.people
        self._greeter = door.greeter
        registration = Registration(door)
        history = History(door)
        self.table: dict[str, Row] = {
            "CAP": Row(registration.cap, False, 1),
            "PASS": Row(registration.password, False),
            "NICK": Row(registration.nick, False),
            "USER": Row(registration.user, False),
            "PING": Row(self._ping, False, 1),
            "PONG": Row(self._pong, False),
            "QUIT": Row(self._quit, False),
            "JOIN": Row(self._join, params=1),
            "PART": Row(self._part, params=1),
            "NAMES": Row(self._names),
            "WHO": Row(self._who),
            "WHOIS": Row(self._whois, params=1),
            "TOPIC": Row(self._topic, params=1),
            "LIST": Row(self._list),
            "MOTD": Row(self._motd),
            "LUSERS": Row(self._lusers),
            "AWAY": Row(self._away),
            "PRIVMSG": Row(self._privmsg),
            "NOTICE": Row(self._notice),
            "KICK": Row(self._kick, params=2),
            "MODE": Row(self._mode, params=1),
            "OPER": Row(self._oper, params=2),
            "CHATHISTORY": Row(history.run, params=1),
        }

    def run(self, session: IrcSession, line: Line) -> None:
        """Run ``line``'s row, or answer why not."""
        row = self.table.get(line.command)
        replies = self._replies
        if row is None:
            if session.registered:
                replies.numeric(session, r.ERR_UNKNOWNCOMMAND, line.command,
                                "Unknown command")
            return
        if row.registered and not session.registered:
            replies.numeric(session, r.ERR_NOTREGISTERED, "You have not registered")
        elif len(line.params) < row.params:
            replies.need_params(session, line.command)
        else:
            row.handler(session, line)

    # -- helpers ---------------------------------------------------------------------------

    def _me(self, session: IrcSession) -> Member:
        assert session.member is not None
        return session.member

    def _ask(self, session: IrcSession, request: Request) -> None:
        self._chat.handle(self._me(session), request)

    def channel(self, session: IrcSession, name: str, *, joined: bool = True,
                 quiet: bool = False) -> Room | None:
        """The room ``name`` names (IRC case ignored), if it exists and (``joined``) the
        client is in it; else None, and the error numeric (unless ``quiet``)."""
        room_name = normalize_room(name) if name.startswith("#") else name
        room = self._chat.hub.room(room_name) if room_problem(room_name) is None else None
        if room is None:
            if not quiet:
                self._replies.numeric(session, r.ERR_NOSUCHCHANNEL, name, "No such channel")
            return None
        if joined and room.name not in self._me(session).rooms:
            if not quiet:
                self._replies.numeric(session, r.ERR_NOTONCHANNEL, room.name,
                                      "You're not on that channel")
            return None
        return room

    # -- connection ------------------------------------------------------------------------

    def _ping(self, session: IrcSession, line: Line) -> None:
        self._replies.server(session, "PONG", self._replies.name, line.params[0])

    def _pong(self, session: IrcSession, line: Line) -> None:
        """Any line counts as heard; a PONG needs nothing more."""

    def _quit(self, session: IrcSession, line: Line) -> None:
        text = line.param(0)
        session.quitting = f"Quit: {text}" if text else "Quit"
        if session.member is None:
            self._door.end(session, session.quitting)
        else:
            self._door.leave(session, LeaveReason.QUIT, session.quitting)

    # -- channels --------------------------------------------------------------------------

    def _join(self, session: IrcSession, line: Line) -> None:
        if line.params[0] == "0":
            for name in list(self._me(session).rooms)[1:]:
                self._ask(session, PartRoom(name))
            return
        for name in line.params[0].split(","):
            room_name = normalize_room(name)
            try:
                request = JoinRoom(room_name)
            except RequestError as exc:
                self._replies.numeric(session, r.ERR_BADCHANNAME, name, str(exc))
                continue
            if room_name not in self._me(session).rooms:
                self._ask(session, request)

    def _part(self, session: IrcSession, line: Line) -> None:
        renderer = self._door.renderer
        for name in line.params[0].split(","):
            room = self.channel(session, name)
            if room is not None:
                renderer.part_text = line.param(1) or None
                try:
                    self._ask(session, PartRoom(room.name))
                finally:
                    renderer.part_text = None

    def _names(self, session: IrcSession, line: Line) -> None:
        if not line.params:
            for room in self._me(session).rooms.values():
                self._greeter.names(session, room)
            self._greeter.names(session, None, "*")
            return
        for name in line.params[0].split(","):
            self._greeter.names(session, self.channel(session, name, joined=False,
                                                       quiet=True), name)

    def _who(self, session: IrcSession, line: Line) -> None:
        mask = line.param(0, "*")
        if mask.startswith("#"):
            room = self.channel(session, mask, joined=False, quiet=True)
            if room is not None:
                for member in room.members.values():
                    self._greeter.who_line(session, member, room)
        else:
            found = self._people.find(mask)
            if found is not None:
                self._greeter.who_line(session, found, None)
        self._replies.numeric(session, r.RPL_ENDOFWHO, mask, "End of WHO list")

    def _whois(self, session: IrcSession, line: Line) -> None:
        nick = line.params[-1].split(",")[0]
        target = self._people.find(nick)
        if target is None:
            self._replies.numeric(session, r.ERR_NOSUCHNICK, nick, "No such nick/channel")
            self._replies.numeric(session, r.RPL_ENDOFWHOIS, nick, "End of /WHOIS list.")
            return
        self._ask(session, Whois(target.name))

    def _topic(self, session: IrcSession, line: Line) -> None:
        room = self.channel(session, line.params[0])
        if room is None:
            return
        if len(line.params) == 1:
            self._greeter.topic(session, room)
            return
        try:
            request = SetTopic(room.name, line.params[1])
        except RequestError as exc:
            self._notice(session, f"Topic not set: {exc}.")
            return
        self._ask(session, request)

    def _list(self, session: IrcSession, line: Line) -> None:
        self._ask(session, ListRooms())

    def _motd(self, session: IrcSession, line: Line) -> None:
        self._greeter.motd(session)

    def _lusers(self, session: IrcSession, line: Line) -> None:
        self._greeter.lusers(session)

    def _away(self, session: IrcSession, line: Line) -> None:
        text = line.param(0)
        try:
            request = SetAway(text)
        except RequestError as exc:
            self._notice(session, f"Away not set: {exc}.")
            return
        self._ask(session, request)
        if request.text is None:
            self._replies.numeric(session, r.RPL_UNAWAY, "You are no longer marked as away")
        else:
            self._replies.numeric(session, r.RPL_NOWAWAY, "You have been marked as away")

    # -- messages --------------------------------------------------------------------------

    def _privmsg(self, session: IrcSession, line: Line) -> None:
        self._message(session, line, notice=False)

    def _notice(self, session: IrcSession, line: Line | str) -> None:
        if isinstance(line, str):  # a note from the door itself
            self._replies.server(session, "NOTICE", session.target, line)
            return
        self._message(session, line, notice=True)

    def _message(self, session: IrcSession, line: Line, *, notice: bool) -> None:
        """PRIVMSG or NOTICE to a channel or a user (errors only for PRIVMSG)."""
        replies, command = self._replies, line.command
        if not line.params:
            if not notice:
                replies.numeric(session, r.ERR_NORECIPIENT, f"No recipient given ({command})")
            return
        if len(line.params) < 2 or not line.params[1]:
            if not notice:
                replies.numeric(session, r.ERR_NOTEXTTOSEND, "No text to send")
            return
        target, text = line.params[0].split(",")[0], line.params[1]
        action = text.startswith(ACTION_START)
        if action:
            text = text[len(ACTION_START):].removesuffix(ACTION_END)
        elif text.startswith("\x01"):
            return  # other CTCP queries: tuichat has nobody to answer them
        if target.startswith("#"):
            self._to_channel(session, target, text, action=action, notice=notice)
            return
        member = self._people.find(target)
        if member is None:
            if not notice:
                replies.numeric(session, r.ERR_NOSUCHNICK, target, "No such nick/channel")
            return
        try:
            request = Private(member.name, f"/me {text}" if action else text)
        except RequestError as exc:
            if not notice:
                self._notice(session, f"Not sent: {exc}.")
            return
        renderer = self._door.renderer
        renderer.away_of = None if notice else member
        try:
            self._ask(session, request)
        finally:
            renderer.away_of = None

    def _to_channel(self, session: IrcSession, target: str, text: str, *, action: bool,
                    notice: bool) -> None:
        room = self.channel(session, target, joined=False, quiet=notice)
        if room is None:
            return
        if room.name not in self._me(session).rooms:
            if not notice:
                self._replies.numeric(session, r.ERR_CANNOTSENDTOCHAN, room.name,
                                      "Cannot send to channel")
            return
        if not action and is_admin_line(text):
            self._ask(session, Command(room.name, text))
            return
        try:
            request = Say(room.name, text, action=action)
        except RequestError as exc:
            if not notice:
                self._notice(session, f"Not sent: {exc}.")
            return
        renderer = self._door.renderer
        renderer.notice_next = notice
        try:
            self._ask(session, request)
        finally:
            renderer.notice_next = False

    # -- operators -------------------------------------------------------------------------

    def _kick(self, session: IrcSession, line: Line) -> None:
        room = self.channel(session, line.params[0])
        if room is None:
            return
        me = self._me(session)
        if not room.kept_by(me):
            self._replies.numeric(session, r.ERR_CHANOPRIVSNEEDED, room.name,
                                  "You're not channel operator")
            return
        nick = line.params[1].split(",")[0]
        target = self._people.find(nick)
        if target is None or target.key not in room.members:
            self._replies.numeric(session, r.ERR_USERNOTINCHANNEL, nick, room.name,
                                  "They aren't on that channel")
            return
        try:
            request = RemoveFromRoom(room.name, target.name, line.param(2) or None)
        except RequestError as exc:
            self._notice(session, f"Not kicked: {exc}.")
            return
        self._ask(session, request)

    def _mode(self, session: IrcSession, line: Line) -> None:
        """Channel modes: ``+o NICK`` (name a keeper) and the list of bans (empty); the
        rest are answered with what the channel has (``+nt``). User modes: none."""
        replies, target = self._replies, line.params[0]
        if not target.startswith("#"):
            member = self._people.find(target)
            if member is None:
                replies.numeric(session, r.ERR_NOSUCHNICK, target, "No such nick/channel")
            elif member is not self._me(session):
                replies.numeric(session, r.ERR_USERSDONTMATCH,
                                "Can't change mode for other users")
            elif len(line.params) > 1:
                if line.params[1].strip("+-") not in ("", "i", "w", "iw", "wi"):
                    replies.numeric(session, r.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag")
            else:
                replies.numeric(session, r.RPL_UMODEIS, "+o" if member.admin else "+")
            return
        room = self.channel(session, target, joined=False)
        if room is None:
            return
        modes = line.param(1)
        if not modes:
            replies.numeric(session, r.RPL_CHANNELMODEIS, room.name, "+nt")
        elif modes.lstrip("+") == "b":
            replies.numeric(session, r.RPL_ENDOFBANLIST, room.name, "End of channel ban list")
        elif modes == "+o" and len(line.params) > 2:
            if self.channel(session, target) is None:
                return
            if not room.kept_by(self._me(session)):
                replies.numeric(session, r.ERR_CHANOPRIVSNEEDED, room.name,
                                "You're not channel operator")
                return
            member = self._people.find(line.params[2])
            if member is None or member.key not in room.members:
                replies.numeric(session, r.ERR_USERNOTINCHANNEL, line.params[2], room.name,
                                "They aren't on that channel")
                return
            self._ask(session, AddKeeper(room.name, member.name))
        elif not room.kept_by(self._me(session)):
            replies.numeric(session, r.ERR_CHANOPRIVSNEEDED, room.name,
                            "You're not channel operator")
        else:
            replies.numeric(session, r.ERR_UNKNOWNMODE, modes.lstrip("+-")[:1] or "?",
                            "is unknown mode char to me")

    def _oper(self, session: IrcSession, line: Line) -> None:
        """OPER NAME PASSWORD: admin rights with the admin password (as ``admin -a``)."""
        me = self._me(session)
        if me.admin:
            self._replies.numeric(session, r.RPL_YOUREOPER, "You are now an IRC operator")
            return
        room = next(iter(me.rooms), self._greeter.lobby.name)
        self._ask(session, Command(room, f"admin -a {line.params[1]}"))
        if me.admin:
            self._replies.numeric(session, r.RPL_YOUREOPER, "You are now an IRC operator")
        else:
            self._replies.numeric(session, r.ERR_PASSWDMISMATCH, "Password incorrect")
