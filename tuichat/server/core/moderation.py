"""Kicks and bans (``admin -k``, ``-b``, ``-ub``): whom a line names, and removing them.

A ban is on an address or on a name. ``admin -b NAME`` bans NAME's address unless
someone else present (the admin too) comes from it, and then only the name, so people who
share a machine or a NAT are not shut out with the one who is banned; ``name:NAME`` and
``ip:ADDRESS`` choose. Both are server-wide: a kick or a ban ends the whole session, in
every room. Runs on the loop thread, for ``Admin``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuichat.net.frames import LeaveReason, text_problem
from tuichat.net.names import name_problem, normalize_name
from tuichat.server.bans import MAX_BAN_MINUTES, Ban, BanKind, BanList, canonical_address
from tuichat.server.core.events import Refusal, RefusalKind

if TYPE_CHECKING:
    from tuichat.server.core.admin_call import AdminCall
    from tuichat.server.core.hub import Hub
    from tuichat.server.core.model import Member


class Moderation:
    """The kick and ban commands, bound into ``Admin``'s table."""

    def __init__(self, hub: Hub, bans: BanList) -> None:
        self._hub = hub
        self._bans = bans

    def kick(self, call: AdminCall) -> None:
        """``admin -k NAME [REASON]``: end NAME's session, in every room."""
        words = call.rest.split(maxsplit=1)
        if not words:
            call.usage("admin -k needs a name, e.g. admin -k bob stop shouting\n")
            return
        reason = words[1] if len(words) == 2 else None
        problem = None if reason is None else text_problem(reason)
        target = self._hub.find(words[0])
        admin = call.member
        if problem is not None:
            call.reply(f"Not kicked: the reason: {problem}.", "error")
        elif target is None:
            call.reply(f"No one named {words[0]!r} is here.", "error")
        elif target is admin:
            call.reply("You cannot kick yourself.", "error")
        else:
            why = f"kicked by {admin.name}"
            text = f"You were {why}: {reason}" if reason else f"You were {why}."
            self._hub.end(target, LeaveReason.KICKED, why,
                          refusal=Refusal(RefusalKind.KICKED, text), by=admin.name, text=reason)
            call.reply(f"Kicked {target.name}.")
            call.log(f"kicked {target.name} ({target.address})")

    def ban(self, call: AdminCall) -> None:
        """``admin -b [NAME|name:NAME|ip:ADDRESS [MINUTES]]``: choose what to ban, or list."""
        words = call.rest.split()
        if not words:
            self._list_bans(call)
            return
        minutes = _minutes(words[1]) if len(words) == 2 else None
        if len(words) > 2 or (len(words) == 2 and minutes is None):
            call.usage("admin -b takes a name or address, then MINUTES as a whole "
                       f"number from 1 to {MAX_BAN_MINUTES:,}, e.g. admin -b bob 30\n")
            return
        word = words[0]
        admin = call.member
        explicit = _explicit_target(word)
        if isinstance(explicit, str):
            call.reply(f"Not banned: {explicit}.", "error")
        elif explicit is not None:
            kind, target = explicit
            if kind is BanKind.NAME:
                self._ban_name(call, target, minutes)
            else:
                self._ban_address(call, target, None, minutes)
        elif (present := self._hub.find(word)) is not None:
            sharing = [other for other in self._hub.members_from(present.host)
                       if other is not present]
            if present is admin or not sharing:
                self._ban_address(call, present.host, present.name, minutes)
            else:
                names = ", ".join("you" if other is admin else other.name
                                  for other in sharing)
                self._ban_name(call, present.name, minutes,
                               f", not the address {present.host} (shared with {names})")
        elif (address := canonical_address(word)) is not None:
            self._ban_address(call, address, None, minutes)
        else:
            call.reply(f"No one named {word!r} is here, and it is not an address. To ban the "
                       f"name anyway: admin -b name:{word}", "error")

    def _ban_address(self, call: AdminCall, address: str, name: str | None,
                     minutes: int | None) -> None:
        """Ban ``address`` and end every session from it; never the admin's own."""
        if address == call.member.host:
            call.reply(f"That would ban your own address ({address}).", "error")
            return
        ban = self._bans.ban_address(address, name, call.member.name, minutes)
        self._ban_members(call, ban, minutes, self._hub.members_from(address))

    def _ban_name(self, call: AdminCall, name: str, minutes: int | None,
                  why: str = "") -> None:
        """Ban the name ``name`` from every address and end its session if it is here;
        ``why`` follows the ban in the admin's reply."""
        present = self._hub.find(name)
        if present is call.member:
            call.reply("You cannot ban yourself.", "error")
            return
        ban = self._bans.ban_name(present.name if present else name, call.member.name, minutes)
        self._ban_members(call, ban, minutes, [present] if present else [], why)

    def _ban_members(self, call: AdminCall, ban: Ban, minutes: int | None,
                     ended: list[Member], why: str = "") -> None:
        """End the sessions ``ban`` shuts out and tell the admin."""
        by = call.member.name
        duration = f" (for {_minutes_text(minutes)})" if minutes is not None else ""
        whose = "address" if ban.kind is BanKind.ADDRESS else "name"
        refusal = Refusal(RefusalKind.BANNED, f"Your {whose} is banned by {by}{duration}.")
        for victim in ended:
            self._hub.end(victim, LeaveReason.KICKED, f"banned by {by}", refusal=refusal,
                          by=by, banned=True)
        until = f"until {ban.until_text}"
        if minutes is not None:
            until = f"for {_minutes_text(minutes)} ({until})"
        gone = f"; disconnected {', '.join(victim.name for victim in ended)}" if ended else ""
        call.reply(f"Banned {ban.subject} {until}{why}{gone}."
                   + _unsaved(self._bans.unsaved, "It holds"))
        call.log(f"banned {ban.subject} until {ban.until_text}")

    def _list_bans(self, call: AdminCall) -> None:
        """``admin -b`` alone: every ban in force, oldest first."""
        bans = self._bans.active()
        if not bans:
            call.reply("No one is banned.")
            return
        lines = [f"  {ban.kind:<7}  {_banned(ban)}  by {ban.by}  until {ban.until_text}"
                 for ban in bans]
        call.reply("Bans:\n" + "\n".join(lines))

    def unban(self, call: AdminCall) -> None:
        """``admin -ub ADDRESS|NAME``."""
        rest = call.rest
        if len(rest.split()) != 1:
            call.usage("admin -ub needs one address or name, e.g. "
                       "admin -ub 192.0.2.7 or admin -ub name:bob\n")
            return
        bans = self._bans
        explicit = _explicit_target(rest)
        if isinstance(explicit, str):
            call.reply(f"Not unbanned: {explicit}.", "error")
            return
        if explicit is not None:
            kind, target = explicit
            ban = bans.on_name(target) if kind is BanKind.NAME else bans.on_address(target)
        else:
            address = canonical_address(rest)
            ban = (bans.on_address(address) if address is not None
                   else bans.on_name(rest) or bans.aimed_at(rest))
        if ban is None:
            call.reply(f"{rest} is not banned.", "error")
            return
        bans.lift(ban)
        call.reply(f"Unbanned {ban.subject}." + _unsaved(bans.unsaved, "The ban is lifted"))
        call.log(f"unbanned {ban.subject}")


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
