"""The longer answers: the welcome burst (001 to 005, LUSERS, MOTD), a channel's JOIN
burst (topic and NAMES), WHO, WHOIS and LUSERS, read from the chat's state."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tuichat import __version__
from tuichat.net.frames import MAX_NAME_CHARS, MAX_TOPIC_CHARS
from tuichat.server.doors.irc import replies as r
from tuichat.server.doors.irc.message import encode
from tuichat.server.doors.irc.nicks import nick_of
from tuichat.server.doors.irc.people import HIDDEN_HOST

if TYPE_CHECKING:
    from tuichat.server.core.chat import Chat
    from tuichat.server.core.model import Member, Room
    from tuichat.server.doors.irc.people import People
    from tuichat.server.doors.irc.session import IrcSession

NAMES_PER_LINE = 20
NETWORK = "tuichat"


def isupport(default_room: str, nick_length: int, topic_length: int,
             channels: int) -> list[str]:
    """The ISUPPORT (005) tokens of the door."""
    limit = f"#:{channels}" if channels else "#:"
    return [f"NETWORK={NETWORK}", "CASEMAPPING=ascii", "CHANTYPES=#", "PREFIX=(o)@",
            "CHANMODES=b,,,", f"NICKLEN={nick_length}", "CHANNELLEN=32",
            f"TOPICLEN={topic_length}", f"CHANLIMIT={limit}", "MODES=1", "AWAYLEN=200",
            "KICKLEN=300", "TARGMAX=PRIVMSG:1,NOTICE:1,KICK:1,WHOIS:1,NAMES:1",
            "CHATHISTORY=100", f"DEFAULTROOM={default_room}"]


class Greeter:
    """Writes the multi-line answers for the door."""

    def __init__(self, chat: Chat, replies: r.Replies, people: People,
                 unregistered: Callable[[], int]) -> None:
        """``unregistered()``: how many connections have not registered yet."""
        self._chat = chat
        self._unregistered = unregistered
        self._most = 0
        """The most users seen here at once (LUSERS)."""
        self._replies = replies
        self._people = people
        self.lobby = chat.hub.lobby
        self._started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())

    def welcome(self, session: IrcSession) -> None:
        """001 to 005, LUSERS and the MOTD, once the chat let ``session`` in."""
        replies, name, nick = self._replies, self._replies.name, session.target
        replies.numeric(session, r.RPL_WELCOME, f"Welcome to tuichat, {nick}")
        replies.numeric(session, r.RPL_YOURHOST,
                        f"Your host is {name}, running tuichat-{__version__}")
        replies.numeric(session, r.RPL_CREATED, f"This server was created {self._started}")
        replies.numeric(session, r.RPL_MYINFO, name, f"tuichat-{__version__}", "o", "bo")
        tokens = isupport(self.lobby.name, MAX_NAME_CHARS, MAX_TOPIC_CHARS,
                          self._chat.config.max_rooms_per_user)
        for start in range(0, len(tokens), 12):
            replies.numeric(session, r.RPL_ISUPPORT, *tokens[start:start + 12],
                            "are supported by this server")
        self.lusers(session)
        self.motd(session)

    def lusers(self, session: IrcSession) -> None:
        """251 to 255, 265, 266: how many are here, and the most there were."""
        hub, replies = self._chat.hub, self._replies
        users = len(hub.members)
        self._most = most = max(self._most, users)
        ops = sum(1 for member in hub.members.values() if member.admin)
        replies.numeric(session, r.RPL_LUSERCLIENT,
                        f"There are {users} users and 0 invisible on 1 servers")
        replies.numeric(session, r.RPL_LUSEROP, str(ops), "operator(s) online")
        replies.numeric(session, r.RPL_LUSERUNKNOWN, str(self._unregistered()),
                        "unknown connection(s)")
        replies.numeric(session, r.RPL_LUSERCHANNELS, str(len(hub.rooms)), "channels formed")
        replies.numeric(session, r.RPL_LUSERME, f"I have {users} clients and 0 servers")
        replies.numeric(session, r.RPL_LOCALUSERS, str(users), str(most),
                        f"Current local users {users}, max {most}")
        replies.numeric(session, r.RPL_GLOBALUSERS, str(users), str(most),
                        f"Current global users {users}, max {most}")

    def motd(self, session: IrcSession) -> None:
        """375, 372 per line, 376: the default room's message of the day (or 422)."""
        replies, text = self._replies, self.lobby.motd
        if not text:
            replies.numeric(session, r.ERR_NOMOTD, "MOTD File is missing")
            return
        replies.numeric(session, r.RPL_MOTDSTART, f"- {replies.name} Message of the day - ")
        for line in text.splitlines() or [""]:
            replies.numeric(session, r.RPL_MOTD, f"- {line}")
        replies.numeric(session, r.RPL_ENDOFMOTD, "End of /MOTD command.")

    def joined(self, session: IrcSession, room: Room) -> None:
        """The JOIN burst: the JOIN itself, the topic, the names."""
        member = session.member
        assert member is not None
        session.conn.write(encode(self._people.source(member), "JOIN", room.name))
        self.topic(session, room, quiet=True)
        self.names(session, room)

    def topic(self, session: IrcSession, room: Room, *, quiet: bool = False) -> None:
        """332 (and 333) with ``room``'s topic, or 331 (unless ``quiet``)."""
        if room.topic is None:
            if not quiet:
                self._replies.numeric(session, r.RPL_NOTOPIC, room.name, "No topic is set")
            return
        self._replies.numeric(session, r.RPL_TOPIC, room.name, room.topic.replace("\n", " "))

    def names(self, session: IrcSession, room: Room | None, name: str = "") -> None:
        """353 lines and 366 for ``room`` (366 alone when there is none)."""
        channel = room.name if room is not None else name
        if room is not None:
            names = self._people.names(room, full="userhost-in-names" in session.caps)
            for start in range(0, len(names), NAMES_PER_LINE):
                self._replies.numeric(session, r.RPL_NAMREPLY, "=", channel,
                                      " ".join(names[start:start + NAMES_PER_LINE]))
        self._replies.numeric(session, r.RPL_ENDOFNAMES, channel, "End of /NAMES list.")

    def who_line(self, session: IrcSession, member: Member, room: Room | None) -> None:
        """One 352 for ``member`` (in ``room``, or ``*``)."""
        flags = "G" if member.away is not None else "H"
        if member.admin:
            flags += "*"
        if room is not None:
            flags += self._people.prefix(member, room)
        self._replies.numeric(session, r.RPL_WHOREPLY, room.name if room else "*",
                              self._people.user(member), HIDDEN_HOST, self._replies.name,
                              nick_of(member.name), flags,
                              f"0 {self._people.realname(member)}")

    def whois(self, session: IrcSession, target: Member, address: str | None) -> None:
        """311, 319, 312, 301, 313, 378 (to admins), 317 and 318 about ``target``."""
        replies, nick = self._replies, nick_of(target.name)
        replies.numeric(session, r.RPL_WHOISUSER, nick, self._people.user(target),
                        HIDDEN_HOST, "*", self._people.realname(target))
        rooms = [self._people.prefix(target, room) + room.name
                 for room in target.rooms.values()]
        if rooms:
            replies.numeric(session, r.RPL_WHOISCHANNELS, nick, " ".join(rooms))
        replies.numeric(session, r.RPL_WHOISSERVER, nick, replies.name, "tuichat")
        if target.away is not None:
            replies.numeric(session, r.RPL_AWAY, nick, target.away)
        if target.admin:
            replies.numeric(session, r.RPL_WHOISOPERATOR, nick, "is a tuichat admin")
        if address is not None:
            replies.numeric(session, r.RPL_WHOISHOST, nick,
                            f"is connecting from {address}")
        idle_since = int(target.joined)
        replies.numeric(session, r.RPL_WHOISIDLE, nick, "0", str(idle_since),
                        "seconds idle, signon time")
        replies.numeric(session, r.RPL_ENDOFWHOIS, nick, "End of /WHOIS list.")
