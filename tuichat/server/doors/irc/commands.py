"""The IRC commands: one table, each row a command's name, whether it needs
registration, its fewest parameters, and its handler.

A handler checks what IRC has error numerics for (no such channel, not on it, not an
operator) against the chat's state, then hands the request to the chat, whose rules
decide; what the chat answers comes back as events (``render``). Admin lines typed in a
channel (``admin -s``) run as in tuichat's entry box and are answered by Console.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tuichat.net.commands import is_admin_line
from tuichat.net.frames import LeaveReason
from tuichat.net.rooms import normalize_room, room_problem
from tuichat.server.core.requests import (
    Command,
    JoinRoom,
    PartRoom,
    Private,
    Request,
    RequestError,
    Say,
    SetAway,
    SetTopic,
)
from tuichat.server.doors.irc import replies as r
from tuichat.server.doors.irc.history import History
from tuichat.server.doors.irc.message import encode
from tuichat.server.doors.irc.operators import Operators
from tuichat.server.doors.irc.queries import Queries
from tuichat.server.doors.irc.registration import Registration

if TYPE_CHECKING:
    from tuichat.server.core.model import Member, Room
    from tuichat.server.doors.irc.host import DoorHost
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

    def __init__(self, door: DoorHost) -> None:
        self._door = door
        self._chat = door.chat
        self._replies = door.replies
        self._people = door.people
        self._greeter = door.greeter
        self._tag_ids = itertools.count(1)
        registration = Registration(door)
        queries = Queries(door, self)
        operators = Operators(door, self)
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
            "TOPIC": Row(self._topic, params=1),
            "AWAY": Row(self._away),
            "PRIVMSG": Row(self._privmsg),
            "NOTICE": Row(self._notice),
            "TAGMSG": Row(self._tagmsg, params=1),
            "NAMES": Row(queries.names),
            "WHO": Row(queries.who),
            "WHOIS": Row(queries.whois, params=1),
            "WHOWAS": Row(queries.whowas, params=1),
            "USERHOST": Row(queries.userhost, params=1),
            "ISON": Row(queries.ison, params=1),
            "LIST": Row(queries.list_channels),
            "MOTD": Row(queries.motd),
            "LUSERS": Row(queries.lusers),
            "INFO": Row(queries.info),
            "TIME": Row(queries.time),
            "KICK": Row(operators.kick, params=2),
            "MODE": Row(operators.mode, params=1),
            "INVITE": Row(operators.invite, params=2),
            "OPER": Row(operators.oper, params=2),
            "KILL": Row(operators.kill, params=1),
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

    def me(self, session: IrcSession) -> Member:
        assert session.member is not None
        return session.member

    def ask(self, session: IrcSession, request: Request) -> None:
        self._chat.handle(self.me(session), request)

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
        if joined and room.name not in self.me(session).rooms:
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
            for name in list(self.me(session).rooms):
                self.ask(session, PartRoom(name))
            return
        for name in line.params[0].split(","):
            room_name = normalize_room(name)
            try:
                request = JoinRoom(room_name)
            except RequestError as exc:
                self._replies.numeric(session, r.ERR_BADCHANNAME, name, str(exc))
                continue
            room = self._chat.hub.rooms.get(room_name)
            if (room is not None and room.member_limit is not None
                    and len(room.members) >= room.member_limit
                    and room_name not in self.me(session).rooms):
                self._replies.numeric(session, r.ERR_CHANNELISFULL, room_name,
                                      "Cannot join channel (+l)")
            elif room_name not in self.me(session).rooms:
                self.ask(session, request)

    def _part(self, session: IrcSession, line: Line) -> None:
        renderer = self._door.renderer
        for name in line.params[0].split(","):
            room = self.channel(session, name)
            if room is not None:
                renderer.part_text = line.param(1) or None
                try:
                    self.ask(session, PartRoom(room.name))
                finally:
                    renderer.part_text = None

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
            self.note(session, f"Topic not set: {exc}.")
            return
        self.ask(session, request)

    def _away(self, session: IrcSession, line: Line) -> None:
        text = line.param(0)
        try:
            request = SetAway(text)
        except RequestError as exc:
            self.note(session, f"Away not set: {exc}.")
            return
        self.ask(session, request)
        if request.text is None:
            self._replies.numeric(session, r.RPL_UNAWAY, "You are no longer marked as away")
        else:
            self._replies.numeric(session, r.RPL_NOWAWAY, "You have been marked as away")

    # -- messages --------------------------------------------------------------------------

    def _privmsg(self, session: IrcSession, line: Line) -> None:
        self._message(session, line, notice=False)

    def _notice(self, session: IrcSession, line: Line) -> None:
        self._message(session, line, notice=True)

    def _tagmsg(self, session: IrcSession, line: Line) -> None:
        """TAGMSG target: client-only tags (a reaction, typing) to the message-tags
        clients of a channel or to one; never stored, nothing for tuichat users."""
        tags = {key: value for key, value in line.tags.items() if key.startswith("+")}
        target = line.params[0]
        me = self.me(session)
        if target.startswith("#"):
            room = self.channel(session, target)
            members = list(room.members.values()) if room is not None else []
        else:
            found = self._people.find(target)
            members = [found, me] if found is not None else []
            if found is None:
                self._replies.numeric(session, r.ERR_NOSUCHNICK, target, "No such nick/channel")
        if not tags or not members:
            return
        data = encode(self._people.source(me), "TAGMSG", target,
                      tags={**tags, "msgid": f"t.{next(self._tag_ids)}"})
        for member in members:
            other = self._door.members.get(member)
            if other is None or "message-tags" not in other.caps:
                continue
            if other is not session or "echo-message" in session.caps:
                other.conn.write(data)

    def note(self, session: IrcSession, text: str) -> None:
        """A NOTICE from the server itself (why a request was not made)."""
        self._replies.server(session, "NOTICE", session.target, text)

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
        renderer = self._door.renderer
        renderer.client_tags = {key: value for key, value in line.tags.items()
                                if key.startswith("+")}
        try:
            self._send_to(session, target, text, notice=notice)
        finally:
            renderer.client_tags = {}

    def _send_to(self, session: IrcSession, target: str, text: str, *, notice: bool) -> None:
        """A PRIVMSG or NOTICE's text to its target."""
        replies = self._replies
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
                self.note(session, f"Not sent: {exc}.")
            return
        renderer = self._door.renderer
        renderer.away_of = None if notice else member
        try:
            self.ask(session, request)
        finally:
            renderer.away_of = None

    def _to_channel(self, session: IrcSession, target: str, text: str, *, action: bool,
                    notice: bool) -> None:
        room = self.channel(session, target, joined=False, quiet=notice)
        if room is None:
            return
        if room.name not in self.me(session).rooms:
            if not notice:
                self._replies.numeric(session, r.ERR_CANNOTSENDTOCHAN, room.name,
                                      "Cannot send to channel")
            return
        if not action and is_admin_line(text):
            self.ask(session, Command(room.name, text))
            return
        try:
            request = Say(room.name, text, action=action)
        except RequestError as exc:
            if not notice:
                self.note(session, f"Not sent: {exc}.")
            return
        renderer = self._door.renderer
        renderer.notice_next = notice
        try:
            self.ask(session, request)
        finally:
            renderer.notice_next = False
