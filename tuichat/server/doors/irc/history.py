"""CHATHISTORY (IRCv3 ``draft/chathistory``): a room's stored messages, fetched by a
client that reconnects, in a ``chathistory`` batch when it asked for ``batch``.

Served: ``LATEST``, ``BEFORE``, ``AFTER`` and ``BETWEEN`` with ``timestamp=`` points
(and ``*`` for LATEST), over the room's newest ``SINCE_HISTORY`` messages, at most
``LIMIT`` at once.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import TYPE_CHECKING

from tuichat.net.frames import SINCE_HISTORY
from tuichat.server.doors.irc.message import encode
from tuichat.server.doors.irc.render import message_lines, server_time

if TYPE_CHECKING:
    from tuichat.net.frames import Message
    from tuichat.server.doors.irc.host import DoorHost
    from tuichat.server.doors.irc.message import Line
    from tuichat.server.doors.irc.session import IrcSession

LIMIT = 100
_batches = itertools.count(1)


def point(text: str) -> float | None:
    """Unix time of a ``timestamp=...`` point, ``*`` as None; ValueError otherwise."""
    if text == "*":
        return None
    kind, _, value = text.partition("=")
    if kind != "timestamp":
        raise ValueError("only timestamp= points are served")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class History:
    """The CHATHISTORY command, for the door's table."""

    def __init__(self, door: DoorHost) -> None:
        self._door = door

    def run(self, session: IrcSession, line: Line) -> None:
        """CHATHISTORY SUBCOMMAND #room POINT [POINT] LIMIT."""
        sub = line.param(0).upper()
        room = self._door.commands.channel(session, line.param(1), quiet=True)
        try:
            if room is None:
                raise ValueError("no such channel, or you are not in it")
            limit = min(int(line.params[-1]), LIMIT)
            points = [point(text) for text in line.params[2:-1]]
            messages = room.history.recent(SINCE_HISTORY)
            picked = select(sub, messages, points, limit)
        except (ValueError, IndexError) as exc:
            self._door.replies.server(session, "FAIL", "CHATHISTORY", "INVALID_PARAMS",
                                      *line.params[:2], str(exc) or "invalid parameters")
            return
        self._send(session, room.name, picked)

    def _send(self, session: IrcSession, channel: str, messages: list[Message]) -> None:
        people, conn, name = self._door.people, session.conn, self._door.replies.name
        batch = f"h{next(_batches)}" if "batch" in session.caps else None
        if batch is not None:
            conn.write(encode(name, "BATCH", f"+{batch}", "chathistory", channel))
        for message in messages:
            lines = message_lines(people.source_of_name(message.sender), "PRIVMSG",
                                  channel, message)
            tags = {"time": server_time(message.ts)} if session.tag_level else {}
            if session.tag_level == 2:
                tags["msgid"] = f"{channel}.{message.seq}"
            if batch is not None:
                tags["batch"] = batch
            conn.write(lines.with_tags(tags))
        if batch is not None:
            conn.write(encode(name, "BATCH", f"-{batch}"))


def select(sub: str, messages: list[Message], points: list[float | None],
           limit: int) -> list[Message]:
    """The messages (oldest first) that ``sub`` with ``points`` asks for."""
    if sub == "LATEST" and len(points) == 1:
        after = points[0]
        kept = [m for m in messages if after is None or m.ts > after]
        return kept[-limit:]
    if sub == "BEFORE" and len(points) == 1 and points[0] is not None:
        return [m for m in messages if m.ts < points[0]][-limit:]
    if sub == "AFTER" and len(points) == 1 and points[0] is not None:
        return [m for m in messages if m.ts > points[0]][:limit]
    if sub == "BETWEEN" and len(points) == 2 and None not in points:
        low, high = sorted(p for p in points if p is not None)
        return [m for m in messages if low < m.ts < high][:limit]
    raise ValueError(f"unknown subcommand or points: {sub}")
