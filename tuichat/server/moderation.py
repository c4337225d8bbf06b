"""Kicks and bans (``admin -k``, ``-b``, ``-ub``): whom a line names, and removing them.

A ban is on an address or on a name. ``admin -b NAME`` bans NAME's address unless
someone else present (the admin too) comes from it, and then only the name, so people who
share a machine or a NAT are not shut out with the one who is banned; ``name:NAME`` and
``ip:ADDRESS`` choose. Runs on the reactor thread, for ``Admin``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tuichat.net.commands import ADMIN_BY_FLAG, AdminCommand
from tuichat.net.frames import ErrorCode, text_problem
from tuichat.net.names import name_problem, normalize_name
from tuichat.server.bans import MAX_BAN_MINUTES, Ban, BanKind, canonical_address

if TYPE_CHECKING:
    from tuichat.server.room import Room
    from tuichat.server.session import Session

Usage = Callable[["Session", str], None]
"""Tells a session what was wrong with its line, then the admin usage."""
LogCommand = Callable[["Session", AdminCommand, str], None]
"""Logs what an admin command did, with who ran it."""


class Moderation:
    """The kick and ban commands, bound into ``Admin``'s table."""

    def __init__(self, room: Room, usage: Usage, log: LogCommand) -> None:
        self._room = room
        self._usage = usage
        self._log = log

    def kick(self, session: Session, rest: str) -> None:
        """``admin -k NAME [REASON]``."""
        command = ADMIN_BY_FLAG["-k"]
        words = rest.split(maxsplit=1)
        if not words:
            self._usage(session, "admin -k needs a name, e.g. admin -k bob stop shouting\n")
            return
        reason = words[1] if len(words) == 2 else None
        problem = None if reason is None else text_problem(reason)
        target = self._room.find(words[0])
        if problem is not None:
            self._room.notice(session, f"Not kicked: the reason: {problem}.", "error")
        elif target is None:
            self._room.notice(session, f"No one named {words[0]!r} is here.", "error")
        elif target is session:
            self._room.notice(session, "You cannot kick yourself.", "error")
        else:
            why = f"kicked by {session.name}"
            text = f"You were {why}: {reason}" if reason else f"You were {why}."
            self._room.remove(target, (ErrorCode.KICKED, text), why,
                              {"by": session.name, "text": reason})
            self._room.notice(session, f"Kicked {target.name}.")
            self._log(session, command, f"kicked {target.name} ({target.address})")

    def ban(self, session: Session, rest: str) -> None:
        """``admin -b [NAME|name:NAME|ip:ADDRESS [MINUTES]]``: choose what to ban, or list."""
        words = rest.split()
        if not words:
            self._list_bans(session)
            return
        minutes = _minutes(words[1]) if len(words) == 2 else None
        if len(words) > 2 or (len(words) == 2 and minutes is None):
            self._usage(session, "admin -b takes a name or address, then MINUTES as a whole "
                        f"number from 1 to {MAX_BAN_MINUTES:,}, e.g. admin -b bob 30\n")
            return
        word = words[0]
        explicit = _explicit_target(word)
        if isinstance(explicit, str):
            self._room.notice(session, f"Not banned: {explicit}.", "error")
        elif explicit is not None:
            kind, target = explicit
            if kind is BanKind.NAME:
                self._ban_name(session, target, minutes)
            else:
                self._ban_address(session, target, None, minutes)
        elif (present := self._room.find(word)) is not None:
            sharing = [other for other in self._room.sessions_from(present.host)
                       if other is not present]
            if present is session or not sharing:
                self._ban_address(session, present.host, present.name, minutes)
            else:
                names = ", ".join("you" if other is session else other.name
                                  for other in sharing)
                self._ban_name(session, present.name, minutes,
                               f", not the address {present.host} (shared with {names})")
        elif (address := canonical_address(word)) is not None:
            self._ban_address(session, address, None, minutes)
        else:
            self._room.notice(session, f"No one named {word!r} is here, and it is not an "
                              f"address. To ban the name anyway: admin -b name:{word}", "error")

    def _ban_address(self, session: Session, address: str, name: str | None,
                     minutes: int | None) -> None:
        """Ban ``address`` and end every session from it; never the admin's own."""
        if address == session.host:
            self._room.notice(session, f"That would ban your own address ({address}).", "error")
            return
        ban = self._room.bans.ban_address(address, name, session.name, minutes)
        self._ban_sessions(session, ban, minutes, self._room.sessions_from(address))

    def _ban_name(self, session: Session, name: str, minutes: int | None,
                  why: str = "") -> None:
        """Ban the name ``name`` from every address and end its session if it is here;
        ``why`` follows the ban in the admin's reply."""
        present = self._room.find(name)
        if present is session:
            self._room.notice(session, "You cannot ban yourself.", "error")
            return
        ban = self._room.bans.ban_name(present.name if present else name, session.name, minutes)
        self._ban_sessions(session, ban, minutes, [present] if present else [], why)

    def _ban_sessions(self, session: Session, ban: Ban, minutes: int | None,
                      ended: list[Session], why: str = "") -> None:
        """End the sessions ``ban`` shuts out and tell the admin."""
        duration = f" (for {_minutes_text(minutes)})" if minutes is not None else ""
        whose = "address" if ban.kind is BanKind.ADDRESS else "name"
        text = f"Your {whose} is banned by {session.name}{duration}."
        for victim in ended:
            self._room.remove(victim, (ErrorCode.BANNED, text), f"banned by {session.name}",
                              {"by": session.name, "banned": True})
        until = f"until {ban.until_text}"
        if minutes is not None:
            until = f"for {_minutes_text(minutes)} ({until})"
        gone = f"; disconnected {', '.join(victim.name for victim in ended)}" if ended else ""
        self._room.notice(session, f"Banned {ban.subject} {until}{why}{gone}."
                          + _unsaved(self._room.bans.unsaved, "It holds"))
        self._log(session, ADMIN_BY_FLAG["-b"], f"banned {ban.subject} until {ban.until_text}")

    def _list_bans(self, session: Session) -> None:
        """``admin -b`` alone: every ban in force, oldest first."""
        bans = self._room.bans.active()
        if not bans:
            self._room.notice(session, "No one is banned.")
            return
        lines = [f"  {ban.kind:<7}  {_banned(ban)}  by {ban.by}  until {ban.until_text}"
                 for ban in bans]
        self._room.notice(session, "Bans:\n" + "\n".join(lines))

    def unban(self, session: Session, rest: str) -> None:
        """``admin -ub ADDRESS|NAME``."""
        command = ADMIN_BY_FLAG["-ub"]
        if len(rest.split()) != 1:
            self._usage(session, "admin -ub needs one address or name, e.g. "
                        "admin -ub 192.0.2.7 or admin -ub name:bob\n")
            return
        bans = self._room.bans
        explicit = _explicit_target(rest)
        if isinstance(explicit, str):
            self._room.notice(session, f"Not unbanned: {explicit}.", "error")
            return
        if explicit is not None:
            kind, target = explicit
            ban = bans.on_name(target) if kind is BanKind.NAME else bans.on_address(target)
        else:
            address = canonical_address(rest)
            ban = (bans.on_address(address) if address is not None
                   else bans.on_name(rest) or bans.aimed_at(rest))
        if ban is None:
            self._room.notice(session, f"{rest} is not banned.", "error")
            return
        bans.lift(ban)
        self._room.notice(session, f"Unbanned {ban.subject}."
                          + _unsaved(bans.unsaved, "The ban is lifted"))
        self._log(session, command, f"unbanned {ban.subject}")


def _unsaved(problem: str | None, change: str) -> str:
    """What the admin must know when the ban list could not be written ("" when it was):
    the ``change`` holds only until the server restarts."""
    if problem is None:
        return ""
    return f" {change} only until the server restarts: {problem}."


def _minutes(text: str) -> int | None:
    """A ban's MINUTES: a whole number from 1 to ``MAX_BAN_MINUTES``, else None."""
    if not (text.isascii() and text.isdigit()):
        return None
    minutes = int(text)
    return minutes if 1 <= minutes <= MAX_BAN_MINUTES else None


def _explicit_target(word: str) -> tuple[BanKind, str] | str | None:
    """What ``name:NAME`` or ``ip:ADDRESS`` names: (kind, the name or canonical address);
    why it names nothing (a string); or None for a word without either prefix."""
    prefix, colon, value = word.partition(":")
    kind = _PREFIXES.get(prefix.casefold()) if colon else None
    if kind is None:
        return None
    if kind is BanKind.ADDRESS:
        address = canonical_address(value)
        return (kind, address) if address is not None else f"{value!r} is not an IP address"
    name = normalize_name(value)
    problem = name_problem(name)
    return (kind, name) if problem is None else f"{value!r} is not a name: {problem}"


_PREFIXES = {"ip": BanKind.ADDRESS, "name": BanKind.NAME}


def _banned(ban: Ban) -> str:
    """A ban's target in the list: the address (and who was on it), or the name."""
    if ban.kind is BanKind.NAME:
        return str(ban.name)
    return f"{ban.target} ({ban.name})" if ban.name else ban.target


def _minutes_text(count: int) -> str:
    return "1 minute" if count == 1 else f"{count:,} minutes"
