"""Registration: PASS, NICK, USER and CAP negotiation, then the arrival in the chat.

A client is let in once it has given a nick and a user and is not negotiating
capabilities (``CAP LS``/``REQ`` open a negotiation, ``CAP END`` closes it). PASS is the
join password. A refusal the client can mend (a nick in use or not allowed) leaves it
unregistered to try another; any other refusal closes it with an ERROR. As IRC clients
expect, a new client is in no channel: it joins ``#lobby`` (or any room) itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuichat.server.core.events import RefusalKind
from tuichat.server.core.model import Member
from tuichat.server.core.requests import Arrival, Rename, RequestError
from tuichat.server.doors.irc import replies as r
from tuichat.server.doors.irc.message import encode
from tuichat.server.doors.irc.nicks import nick_of, nick_problem
from tuichat.server.doors.irc.session import CAPABILITIES

if TYPE_CHECKING:
    from tuichat.server.doors.irc.host import DoorHost
    from tuichat.server.doors.irc.message import Line
    from tuichat.server.doors.irc.session import IrcSession


class Registration:
    """The commands of registration, for the door's table."""

    def __init__(self, door: DoorHost) -> None:
        self._door = door
        self._replies = door.replies

    def cap(self, session: IrcSession, line: Line) -> None:
        """CAP LS, LIST, REQ, END."""
        sub = line.param(0).upper()
        replies, target = self._replies, session.target
        if sub == "LS":
            if not session.registered:
                session.negotiating = True
            replies.server(session, "CAP", target, "LS", " ".join(CAPABILITIES))
        elif sub == "LIST":
            replies.server(session, "CAP", target, "LIST", " ".join(sorted(session.caps)))
        elif sub == "REQ":
            if not session.registered:
                session.negotiating = True
            wanted = line.param(1).split()
            adding = [cap for cap in wanted if not cap.startswith("-")]
            removing = [cap[1:] for cap in wanted if cap.startswith("-")]
            if all(cap in CAPABILITIES for cap in adding + removing):
                session.caps.update(adding)
                session.caps.difference_update(removing)
                replies.server(session, "CAP", target, "ACK", line.param(1))
            else:
                replies.server(session, "CAP", target, "NAK", line.param(1))
        elif sub == "END":
            if session.negotiating:
                session.negotiating = False
                self.try_arrival(session)
        else:
            replies.numeric(session, r.ERR_INVALIDCAPCMD, sub or "*", "Invalid CAP command")

    def password(self, session: IrcSession, line: Line) -> None:
        """PASS: the join password (before registration only)."""
        if session.registered:
            self._replies.numeric(session, r.ERR_ALREADYREGISTERED,
                                  "You may not reregister")
        elif not line.params:
            self._replies.need_params(session, "PASS")
        else:
            session.password = line.params[0]

    def nick(self, session: IrcSession, line: Line) -> None:
        """NICK: the nick to register with, or a rename once in."""
        replies = self._replies
        nick = line.param(0)
        if not nick:
            replies.numeric(session, r.ERR_NONICKNAMEGIVEN, "No nickname given")
            return
        problem = nick_problem(nick)
        if problem is None:
            try:
                Rename(nick)
            except RequestError as exc:
                problem = str(exc)
        if problem is not None:
            replies.numeric(session, r.ERR_ERRONEUSNICKNAME, nick,
                            f"Erroneous nickname: {problem}")
            return
        holder = self._door.people.find(nick)
        member = session.member
        if member is not None:
            if holder is not None and holder is not member:
                replies.numeric(session, r.ERR_NICKNAMEINUSE, nick,
                                "Nickname is already in use")
            elif nick != member.name:
                old = member.name
                self._door.chat.handle(member, Rename(nick))
                if member.name != old:
                    self._door.people.remember(member, nick_of(old))
                    if not member.rooms:  # no room to show it in: the client is told here
                        source = f"{nick_of(old)}!{self._door.people.user(member)}@tuichat"
                        session.conn.write(encode(source, "NICK", nick_of(member.name)))
            return
        if holder is not None:
            replies.numeric(session, r.ERR_NICKNAMEINUSE, nick, "Nickname is already in use")
            return
        session.nick = nick
        self.try_arrival(session)

    def user(self, session: IrcSession, line: Line) -> None:
        """USER name mode unused :real name."""
        if session.registered:
            self._replies.numeric(session, r.ERR_ALREADYREGISTERED,
                                  "You may not reregister")
            return
        if len(line.params) < 4 or not line.params[0] or not line.params[3]:
            self._replies.need_params(session, "USER")
            return
        session.user = "".join(char for char in line.params[0] if char.isalnum())[:10] or "u"
        session.realname = line.params[3]
        self.try_arrival(session)

    def try_arrival(self, session: IrcSession) -> None:
        """Let ``session`` in when it has all it needs; a refusal it can mend leaves it
        unregistered, any other closes it."""
        if (session.registered or session.negotiating or session.nick is None
                or session.user is None):
            return
        door, conn = self._door, session.conn
        member = Member(session.nick, conn.host, conn.address, conn)
        try:
            arrival = Arrival(session.nick, password=session.password,
                              enter_default_room=False)
        except RequestError as exc:
            self._replies.numeric(session, r.ERR_ERRONEUSNICKNAME, session.nick,
                                  f"Erroneous nickname: {exc}")
            session.nick = None
            return
        door.admitted(session, member)
        refusal = door.chat.arrive(member, arrival, door)
        if refusal is None:
            return
        session.member = None
        door.members.pop(member, None)
        nick, session.nick = session.nick, None
        if refusal.kind is RefusalKind.NAME_TAKEN:
            self._replies.numeric(session, r.ERR_NICKNAMEINUSE, nick,
                                  f"Nickname is already in use: {refusal.text}")
        elif refusal.kind is RefusalKind.BAD_NAME:
            self._replies.numeric(session, r.ERR_ERRONEUSNICKNAME, nick, refusal.text)
        else:
            code = {RefusalKind.BAD_PASSWORD: r.ERR_PASSWDMISMATCH,
                    RefusalKind.BANNED: r.ERR_YOUREBANNEDCREEP}.get(refusal.kind)
            if code is not None:
                self._replies.numeric(session, code, refusal.text)
            door.end(session, refusal.text)
