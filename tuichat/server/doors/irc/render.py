"""Events out, IRC lines on the wire: each event the core hands over becomes its lines,
encoded once for the clients without tags and once for those with them (server-time,
message-tags), and the same bytes go to every session they are for.

A message of several lines goes out as several PRIVMSGs, and a line too long for IRC as
several too (cut between characters, at most ``TEXT_BYTES`` bytes of text each);
Markdown stays as typed. An emote is a CTCP ACTION. A rename or a departure reaches each
client once, however many rooms it shares with the one who left.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tuichat.server.core.events import (
    Announced,
    Ended,
    Event,
    Joined,
    Left,
    Noticed,
    PrivateSaid,
    RoomJoined,
    RoomParted,
    RoomsListed,
    Said,
    ShutDown,
    TopicSet,
    UserChanged,
    Welcomed,
    WhoisAnswered,
)
from tuichat.server.doors.irc import replies as r
from tuichat.server.doors.irc.message import encode
from tuichat.server.doors.irc.nicks import nick_of
from tuichat.server.doors.irc.people import CONSOLE_SOURCE

if TYPE_CHECKING:
    from tuichat.net.frames import Message
    from tuichat.server.core.model import Member
    from tuichat.server.doors.irc.greeter import Greeter
    from tuichat.server.doors.irc.people import People
    from tuichat.server.doors.irc.session import IrcSession

TEXT_BYTES = 500
"""The most text one PRIVMSG carries: any line an IRC client may send (512 bytes with
its command and target) is relayed whole, so a relayed line may pass 512 bytes with its
source, as Ergo's do; longer tuichat lines are cut."""
ACTION = "\x01ACTION "

Sessions = Callable[[Collection["Member"]], list["IrcSession"]]


def server_time(ts: float) -> str:
    """The ``time`` tag for Unix time ``ts``: ``2026-12-02T03:04:05.678Z``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def pieces(text: str) -> list[str]:
    """``text`` as IRC lines: one per line of it, each cut to ``TEXT_BYTES``."""
    out: list[str] = []
    for line in text.replace("\r", "").split("\n"):
        while len(line.encode()) > TEXT_BYTES:
            cut = TEXT_BYTES
            while len(line[:cut].encode()) > TEXT_BYTES:
                cut -= 1
            out.append(line[:cut])
            line = line[cut:]
        out.append(line or " ")
    return out


class Lines:
    """The lines of one event, encoded at most three times: plain, with its time (for
    server-time), and with every tag (for message-tags)."""

    def __init__(self, source: str, command: str, target: str, texts: Iterable[str],
                 tags: dict[str, str]) -> None:
        self._args = (source, command, target)
        self._texts = list(texts)
        self._tags = tags
        self._encoded: dict[int, bytes] = {}

    def with_tags(self, tags: dict[str, str]) -> bytes:
        """The bytes with exactly ``tags`` (for one client's own answer)."""
        return b"".join(encode(*self._args, text, tags=tags) for text in self._texts)

    def for_session(self, session: IrcSession) -> bytes:
        """The bytes for ``session`` (with the tags it asked for)."""
        level = session.tag_level
        data = self._encoded.get(level)
        if data is None:
            tags = ({} if level == 0 else self._tags if level == 2
                    else {"time": self._tags["time"]} if "time" in self._tags else {})
            data = b"".join(encode(*self._args, text, tags=tags) for text in self._texts)
            self._encoded[level] = data
        return data


class Renderer:
    """Delivers events to IRC sessions; ``end(session, text)`` closes one."""

    def __init__(self, replies: r.Replies, people: People, greeter: Greeter,
                 sessions: Sessions, end: Callable[[IrcSession, str | None], None]) -> None:
        self._replies = replies
        self._people = people
        self._greeter = greeter
        self._sessions = sessions
        self._end = end
        self.notice_next = False
        """Set by the door while a NOTICE is said: the next ``Said`` goes out as NOTICE."""
        self.away_of: Member | None = None
        """Set by the door while its client sends a private message to this member: the
        chat's note that it is away goes out as ``RPL_AWAY``."""
        self.client_tags: dict[str, str] = {}
        """Set by the door while its client says a line with client-only tags (``+x``):
        relayed to message-tags clients."""
        self._private_ids = itertools.count(1)
        self.part_text: str | None = None
        """Set by the door while its client parts: the part message the others see."""
        self.quit_text: str | None = None
        """Set by the door while its client quits: the QUIT message the others see."""
        self._known: dict[Member, tuple[bool, str | None]] = {}
        """The admin and away state last shown of each member, to tell what changed."""
        self._told: tuple[object, set[IrcSession]] = (None, set())
        """Who was told of the latest rename or departure (told once for all rooms)."""
        self._table: dict[type[Any], Callable[[Any, list[IrcSession]], None]] = {
            Said: self._said,
            Joined: self._joined,
            Left: self._left,
            Noticed: self._noticed,
            UserChanged: self._user_changed,
            PrivateSaid: self._private,
            WhoisAnswered: self._whois,
            Welcomed: self._welcomed,
            RoomJoined: self._room_joined,
            RoomParted: self._room_parted,
            TopicSet: self._topic,
            RoomsListed: self._rooms,
            Announced: self._announced,
            ShutDown: self._shut_down,
            Ended: self._ended,
        }

    def deliver(self, event: Event, members: Collection[Member]) -> None:
        """Turn ``event`` into lines for the sessions of ``members``."""
        handler = self._table.get(type(event))
        if handler is not None:
            handler(event, self._sessions(members))

    def _once(self, key: object, sessions: list[IrcSession]) -> list[IrcSession]:
        """Those of ``sessions`` not yet told about ``key`` (a rename, a departure)."""
        if self._told[0] != key:
            self._told = (key, set())
        told = self._told[1]
        fresh = [session for session in sessions if session not in told]
        told.update(fresh)
        return fresh

    # -- rooms' traffic --------------------------------------------------------------------

    def _said(self, event: Said, sessions: list[IrcSession]) -> None:
        message = event.message
        command = "NOTICE" if self.notice_next else "PRIVMSG"
        lines = message_lines(self._people.source_of_name(message.sender), command,
                              event.room.name, message, self.client_tags)
        origin = event.origin
        for session in sessions:
            if session.member is origin and "echo-message" not in session.caps:
                continue
            session.conn.write(lines.for_session(session))

    def _joined(self, event: Joined, sessions: list[IrcSession]) -> None:
        member = event.member
        if event.renamed_from is not None:
            old = f"{nick_of(event.renamed_from)}!{self._people.user(member)}@tuichat"
            data = encode(old, "NICK", nick_of(member.name))
            for session in self._once(("nick", member, member.name), sessions):
                session.conn.write(data)
            return
        source = self._people.source(member)
        data = encode(source, "JOIN", event.room.name)
        if self._people.prefix(member, event.room):
            data += encode(self._replies.name, "MODE", event.room.name, "+o",
                           nick_of(member.name))
        away = encode(source, "AWAY", member.away) if member.away is not None else b""
        for session in sessions:
            session.conn.write(data + away if "away-notify" in session.caps else data)

    def _left(self, event: Left, sessions: list[IrcSession]) -> None:
        if event.renamed_to is not None:
            return
        source = self._people.source_of_name(event.name)
        room = event.room.name
        if event.parted and event.by is not None:
            data = encode(self._people.source_of_name(event.by), "KICK", room,
                          nick_of(event.name), event.text or event.by)
        elif event.parted:
            data = encode(source, "PART", room, *[self.part_text] if self.part_text else [])
        else:
            data = encode(source, "QUIT", self.quit_text or quit_text(event))
            sessions = self._once(("quit", event.name), sessions)
            self._known = {m: state for m, state in self._known.items() if not m.ended}
        for session in sessions:
            session.conn.write(data)

    def _topic(self, event: TopicSet, sessions: list[IrcSession]) -> None:
        data = encode(self._people.source_of_name(event.by), "TOPIC", event.room.name,
                      event.text or "")
        for session in sessions:
            session.conn.write(data)

    def _announced(self, event: Announced, sessions: list[IrcSession]) -> None:
        for session in sessions:
            for text in pieces(event.text):
                session.conn.write(encode(CONSOLE_SOURCE, "NOTICE", session.target, text))

    # -- about users -----------------------------------------------------------------------

    def _user_changed(self, event: UserChanged, sessions: list[IrcSession]) -> None:
        member = event.member
        admin, away = self._known.get(member, (False, None))
        self._known[member] = (member.admin, member.away)
        source = self._people.source(member)
        data = b""
        if event.room is not None:
            data = encode(self._replies.name, "MODE", event.room.name, "+o",
                          nick_of(member.name))
        elif member.admin and not admin:
            data = b"".join(encode(self._replies.name, "MODE", room.name, "+o",
                                   nick_of(member.name)) for room in member.rooms.values())
        notify = b""
        if member.away != away:
            notify = (encode(source, "AWAY", member.away) if member.away is not None
                      else encode(source, "AWAY"))
        for session in sessions:
            viewer = session.member
            if data and viewer is not None:
                if event.room is not None or len(viewer.rooms) == 1 == len(member.rooms):
                    session.conn.write(data)
                else:
                    session.conn.write(b"".join(
                        encode(self._replies.name, "MODE", name, "+o", nick_of(member.name))
                        for name in member.rooms if name in viewer.rooms))
            if notify and "away-notify" in session.caps and viewer is not member:
                session.conn.write(notify)

    def _private(self, event: PrivateSaid, sessions: list[IrcSession]) -> None:
        source = self._people.source(event.sender)
        target = nick_of(event.target.name)
        tags = {"time": server_time(event.ts), "msgid": f"pm.{next(self._private_ids)}",
                **self.client_tags}
        body = event.text
        texts = ([f"{ACTION}{piece}\x01" for piece in pieces(body[len("/me "):])]
                 if body.startswith("/me ") else pieces(body))
        lines = Lines(source, "PRIVMSG", target, texts, tags)
        for session in sessions:
            if session.member is event.sender and "echo-message" not in session.caps:
                continue
            session.conn.write(lines.for_session(session))

    def _whois(self, event: WhoisAnswered, sessions: list[IrcSession]) -> None:
        for session in sessions:
            self._greeter.whois(session, event.target, event.address)

    # -- to one member ---------------------------------------------------------------------

    def _noticed(self, event: Noticed, sessions: list[IrcSession]) -> None:
        room = event.room
        if event.motd and room is not None and room is self._greeter.lobby:
            return  # shown as the MOTD on registration
        where = f"[{room.name}] " if room is not None and room is not self._greeter.lobby \
            else ""
        away = self.away_of
        if away is not None and event.text == f"{away.name} is away: {away.away}":
            for session in sessions:
                self._replies.numeric(session, r.RPL_AWAY, nick_of(away.name), away.away or "")
            return
        for session in sessions:
            for text in pieces(event.text):
                session.conn.write(encode(CONSOLE_SOURCE, "NOTICE", session.target,
                                          where + text))

    def _welcomed(self, event: Welcomed, sessions: list[IrcSession]) -> None:
        for session in sessions:
            self._greeter.welcome(session)
            if event.room.name in event.member.rooms:
                self._greeter.joined(session, event.room)

    def _room_joined(self, event: RoomJoined, sessions: list[IrcSession]) -> None:
        for session in sessions:
            self._greeter.joined(session, event.room)

    def _room_parted(self, event: RoomParted, sessions: list[IrcSession]) -> None:
        for session in sessions:
            member = session.member
            assert member is not None
            if event.by is not None:
                data = encode(self._people.source_of_name(event.by), "KICK",
                              event.room.name, session.target, event.text or event.by)
            else:
                data = encode(self._people.source(member), "PART", event.room.name,
                              *[self.part_text] if self.part_text else [])
            session.conn.write(data)

    def _rooms(self, event: RoomsListed, sessions: list[IrcSession]) -> None:
        replies = self._replies
        for session in sessions:
            replies.numeric(session, r.RPL_LISTSTART, "Channel", "Users  Name")
            for room in event.rooms:
                if room.members:  # an IRC channel exists while someone is in it
                    replies.numeric(session, r.RPL_LIST, room.name, str(room.members),
                                    (room.topic or "").replace("\n", " "))
            replies.numeric(session, r.RPL_LISTEND, "End of /LIST")

    def _shut_down(self, event: ShutDown, sessions: list[IrcSession]) -> None:
        for session in sessions:
            self._end(session, event.text)

    def _ended(self, event: Ended, sessions: list[IrcSession]) -> None:
        for session in sessions:
            self._end(session, event.refusal.text if event.refusal is not None else None)


def message_lines(source: str, command: str, target: str, message: Message,
                  client_tags: dict[str, str] | None = None) -> Lines:
    """The lines of a stored message to ``target`` (tagged with its time and id, and
    the sender's ``client_tags``)."""
    tags = {"time": server_time(message.ts), "msgid": f"{target}.{message.seq}",
            **(client_tags or {})}
    texts = ([f"{ACTION}{piece}\x01" for piece in pieces(message.text)] if message.action
             else pieces(message.text))
    return Lines(source, command, target, texts, tags)


def quit_text(event: Left) -> str:
    """The QUIT message others see for a session that ended."""
    if event.by is not None:
        why = f": {event.text}" if event.text else ""
        return f"{'Banned' if event.banned else 'Kicked'} by {event.by}{why}"
    return {"quit": "Quit", "timeout": "Ping timeout", "kicked": "Kicked",
            "error": "Connection lost"}[event.reason.value] + (
                f": {event.text}" if event.text else "")
