"""The IRC commands of operators: KICK, MODE, INVITE, OPER and KILL. A channel's operators are
its keepers and the admins (the chat's rules decide; the numerics are checked here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuichat.server.core.requests import (
    AddKeeper,
    Command,
    LimitRoom,
    Private,
    RemoveFromRoom,
    RequestError,
)
from tuichat.server.core.room_rules import ADMIN_ONLY
from tuichat.server.doors.irc import replies as r
from tuichat.server.doors.irc.message import encode
from tuichat.server.doors.irc.nicks import nick_of

if TYPE_CHECKING:
    from tuichat.server.core.model import Room
    from tuichat.server.doors.irc.host import CommandHost, DoorHost
    from tuichat.server.doors.irc.message import Line
    from tuichat.server.doors.irc.session import IrcSession


class Operators:
    """The operators' commands, for the door's table."""

    def __init__(self, door: DoorHost, commands: CommandHost) -> None:
        self._commands = commands
        self._replies = door.replies
        self._people = door.people
        self._lobby = door.greeter.lobby.name
        self._modes = "+nt" if door.config.topic_setting == ADMIN_ONLY else "+n"
        self._door_session = door.members.get

    def kick(self, session: IrcSession, line: Line) -> None:
        """KICK #room nick [:reason]: a keeper (or admin) removes a member from a room."""
        room = self._commands.channel(session, line.params[0])
        if room is None:
            return
        me = self._commands.me(session)
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
            self._commands.note(session, f"Not kicked: {exc}.")
            return
        self._commands.ask(session, request)

    def mode(self, session: IrcSession, line: Line) -> None:
        """Channel modes: ``+o NICK`` (name a keeper) and the list of bans (empty); the
        rest are answered with what the channel has (``+n``, ``+nt`` when only admins set
        topics). User modes: ``+i`` is taken quietly, ``+o`` is an admin."""
        replies, target = self._replies, line.params[0]
        if not target.startswith("#"):
            member = self._people.find(target)
            if member is None:
                replies.numeric(session, r.ERR_NOSUCHNICK, target, "No such nick/channel")
            elif member is not self._commands.me(session):
                replies.numeric(session, r.ERR_USERSDONTMATCH,
                                "Can't change mode for other users")
            elif len(line.params) > 1:
                self._user_mode(session, line.params[1])
            else:
                modes = ("o" if member.admin else "") + ("i" if session.invisible else "")
                replies.numeric(session, r.RPL_UMODEIS, f"+{modes}")
            return
        room = self._commands.channel(session, target, joined=False)
        if room is None:
            return
        modes = line.param(1)
        if not modes:
            limit = room.member_limit
            shown = (self._modes,) if limit is None else (f"{self._modes}l", str(limit))
            replies.numeric(session, r.RPL_CHANNELMODEIS, room.name, *shown)
        elif modes.lstrip("+") == "b":
            replies.numeric(session, r.RPL_ENDOFBANLIST, room.name, "End of channel ban list")
        elif modes in ("+l", "-l"):
            self._limit(session, room, line)
        elif modes == "+o" and len(line.params) > 2:
            if self._commands.channel(session, target) is None:
                return
            if not room.kept_by(self._commands.me(session)):
                replies.numeric(session, r.ERR_CHANOPRIVSNEEDED, room.name,
                                "You're not channel operator")
                return
            member = self._people.find(line.params[2])
            if member is None:
                replies.numeric(session, r.ERR_NOSUCHNICK, line.params[2],
                                "No such nick/channel")
                return
            if member.key not in room.members:
                replies.numeric(session, r.ERR_USERNOTINCHANNEL, line.params[2], room.name,
                                "They aren't on that channel")
                return
            self._commands.ask(session, AddKeeper(room.name, member.name))
        elif not room.kept_by(self._commands.me(session)):
            replies.numeric(session, r.ERR_CHANOPRIVSNEEDED, room.name,
                            "You're not channel operator")
        else:
            replies.numeric(session, r.ERR_UNKNOWNMODE, modes.lstrip("+-")[:1] or "?",
                            "is unknown mode char to me")

    def _limit(self, session: IrcSession, room: Room, line: Line) -> None:
        """``MODE #room +l N`` / ``-l``: the room's member limit, shown to its IRC users."""
        replies = self._replies
        if self._commands.channel(session, room.name) is None:
            return
        if not room.kept_by(self._commands.me(session)):
            replies.numeric(session, r.ERR_CHANOPRIVSNEEDED, room.name,
                            "You're not channel operator")
            return
        adding = line.params[1] == "+l"
        value = line.param(2)
        try:
            request = LimitRoom(room.name, int(value) if adding else None)
        except (ValueError, RequestError):
            replies.numeric(session, r.ERR_INVALIDMODEPARAM, room.name, "l", value or "*",
                            "the limit is a number of members, 1 or more")
            return
        self._commands.ask(session, request)
        if room.member_limit != request.limit:
            return
        params = ("+l", str(request.limit)) if adding else ("-l",)
        data = encode(self._people.source(self._commands.me(session)), "MODE", room.name,
                      *params)
        for member in room.members.values():
            other = self._door_session(member)
            if other is not None:
                other.conn.write(data)

    def _user_mode(self, session: IrcSession, modes: str) -> None:
        """``+i``/``-i``: hidden from WHO masks of those sharing no channel (``w`` is
        taken and ignored); other letters get 501."""
        if modes.strip("+-").replace("w", "") not in ("", "i"):
            self._replies.numeric(session, r.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag")
            return
        if "i" in modes and session.invisible != (not modes.startswith("-")):
            session.invisible = not modes.startswith("-")
            change = "+i" if session.invisible else "-i"
            session.conn.write(encode(session.target, "MODE", session.target, change))

    def oper(self, session: IrcSession, line: Line) -> None:
        """OPER NAME PASSWORD: admin rights with the admin password (as ``admin -a``)."""
        me = self._commands.me(session)
        if me.admin:
            self._replies.numeric(session, r.RPL_YOUREOPER, "You are now an IRC operator")
            return
        self._commands.ask(session, Command(self._lobby, f"admin -a {line.params[1]}"))
        if me.admin:
            self._replies.numeric(session, r.RPL_YOUREOPER, "You are now an IRC operator")
            session.conn.write(encode(session.target, "MODE", session.target, "+o"))
        else:
            self._replies.numeric(session, r.ERR_PASSWDMISMATCH, "Password incorrect")

    def kill(self, session: IrcSession, line: Line) -> None:
        """KILL nick [:reason]: an admin disconnects a user (``admin -k``)."""
        me = self._commands.me(session)
        if not me.admin:
            self._replies.numeric(session, r.ERR_NOPRIVILEGES,
                                  "Permission Denied- You're not an IRC operator")
            return
        target = self._people.find(line.params[0])
        if target is None:
            self._replies.numeric(session, r.ERR_NOSUCHNICK, line.params[0],
                                  "No such nick/channel")
            return
        reason = line.param(1)
        self._commands.ask(session, Command(self._lobby,
                                            f"admin -k {target.name} {reason}".rstrip()))

    def invite(self, session: IrcSession, line: Line) -> None:
        """INVITE nick #room: the invited is told (an IRC user by an INVITE, a tuichat
        user by a private message); rooms here are open, so it needs no rights."""
        replies, nick = self._replies, line.params[0]
        target = self._people.find(nick)
        if target is None:
            replies.numeric(session, r.ERR_NOSUCHNICK, nick, "No such nick/channel")
            return
        room = self._commands.channel(session, line.params[1])
        if room is None:
            return
        if target.key in room.members:
            replies.numeric(session, r.ERR_USERONCHANNEL, nick_of(target.name), room.name,
                            "is already on channel")
            return
        replies.numeric(session, r.RPL_INVITING, nick_of(target.name), room.name)
        invited = self._door_session(target)
        me = self._commands.me(session)
        if invited is not None:
            invited.conn.write(encode(self._people.source(me), "INVITE",
                                      nick_of(target.name), room.name))
        else:
            self._commands.ask(session, Private(target.name, f"/join {room.name} — "
                                                f"{me.name} invites you there"))
