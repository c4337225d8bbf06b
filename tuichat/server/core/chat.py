"""The chat as a door sees it: arrivals, the requests of members, and departures.

A door builds a ``Member`` and an ``Arrival`` for a user who asks to come in, and calls
``arrive``; then it hands each of the member's requests to ``handle`` and calls ``leave``
when its session ends for a reason of the door's (a lost connection, a timeout). Every
line a member sends counts against its allowance first (``limits.LineLimit``): over the
rate it is refused, and a member that keeps flooding is removed.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tuichat.net.commands import is_admin_line
from tuichat.net.frames import LeaveReason
from tuichat.server.core.admin import Admin, Shutdown
from tuichat.server.core.admission import Admission, taken
from tuichat.server.core.events import PrivateSaid, Refusal, UserChanged, WhoisAnswered
from tuichat.server.core.hub import Hub
from tuichat.server.core.key_claims import claim_problem
from tuichat.server.core.requests import (
    AddKeeper,
    Arrival,
    Command,
    JoinRoom,
    LimitRoom,
    ListRooms,
    PartRoom,
    Private,
    Ref,
    RemoveFromRoom,
    Rename,
    Request,
    Say,
    SetAway,
    SetTopic,
    Unreadable,
    Whois,
)
from tuichat.server.core.room_rules import RoomRules
from tuichat.server.limits import LineLimit, Verdict
from tuichat.server.passwords import PasswordGate

if TYPE_CHECKING:
    from tuichat.server.bans import BanList
    from tuichat.server.config import ServerConfig
    from tuichat.server.core.events import Door
    from tuichat.server.core.identity import Identity
    from tuichat.server.core.key_claims import NameClaims
    from tuichat.server.core.model import Member, Room
    from tuichat.server.core.ports import Scheduler, Stores
    from tuichat.server.store.saves import SaveDir

log = logging.getLogger("tuichat.server")

_WITH_REF = (Say, Command, Private, Unreadable)
"""The requests that carry a client's ``ref`` (a tuple: ``isinstance`` is fastest so)."""


class Chat:
    """Members, rooms and their rules; on the loop thread only."""

    def __init__(self, config: ServerConfig, stores: Stores, scheduler: Scheduler, *,
                 bans: BanList, saves: SaveDir, console_avatar: str, admin_password: str,
                 motd: str | None, stop: Callable[[str], None],
                 claims: NameClaims | None = None) -> None:
        """``stop(text)`` stops the server (``admin -sd``, after its countdown);
        ``claims``: the names SSH keys hold, for ``admin -rk``."""
        self.config = config
        self.hub = Hub(config, stores, console_avatar=console_avatar, motd=motd)
        passwords = PasswordGate(config.auth_max_failures, config.auth_lockout,
                                 config.auth_budget)
        self._admission = Admission(self.hub, bans, passwords, admin_password, claims)
        self._claims = claims
        self.bans = bans
        self._rooms = RoomRules(self.hub)
        self.admin = Admin(self.hub, self._admission, bans, saves, scheduler,
                           Shutdown(config.sde, config.countdown_step, stop), claims)

    def add_door(self, door: Door) -> None:
        """Deliver to ``door``'s members from now on."""
        self.hub.add_door(door)

    def find(self, name: object) -> Member | None:
        """The member here under ``name`` or a look-alike of it, if any."""
        return self.hub.find(name)

    # -- arrival and departure -------------------------------------------------------------

    def address_refusal(self, host: str) -> Refusal | None:
        """Why nobody from ``host`` may come in (checked before anything a user says)."""
        return self._admission.address_refusal(host)

    def join_password_problem(self, name: str, host: str, given: str) -> str | None:
        """Why ``given`` is not the join password for ``name`` from ``host`` (wrong, or not
        checked while throttled); None when it is right or the server has none. For doors
        that check it before the arrival (the SSH door's keyboard-interactive login)."""
        expected = self.config.password
        if expected is None:
            return None
        return self._admission.join_password_problem(name, host, given, expected)

    def arrive(self, member: Member, arrival: Arrival, door: Door) -> Refusal | None:
        """Let ``member`` in by ``door`` as ``arrival`` asks, or say why not (and nothing
        happens). It is put in the default room, then in the rooms ``arrival`` names."""
        identity, refusal = self._admission.vouch(member, arrival)
        refusal = refusal or self._admission.refusal(
            arrival, member.host, vouched=identity is not None and identity.checked,
            fingerprint=member.fingerprint)
        if refusal is not None:
            return refusal
        if arrival.ticket is not None:
            self._admission.tickets.hold(arrival.ticket, member)
        config = self.config
        member.admin, admin_problem = self._admission.admin_rights(arrival, member.host,
                                                                   identity)
        member.avatar = arrival.avatar
        member.joined = time.time()
        member.lines = LineLimit(config.rate_burst, config.rate_per_second,
                                 config.rate_abuse_limit)
        member.moves = LineLimit(max(config.rate_burst, config.max_rooms_per_user)
                                 if config.rate_burst else 0, config.rate_per_second,
                                 config.rate_abuse_limit)
        hub = self.hub
        hub.arrive(member, door, arrival.resume, enter=arrival.enter_default_room)
        if admin_problem is not None:
            hub.notice(member, admin_problem, "error")
        warning = self.admin.shutdown_warning()
        if warning is not None:
            hub.notice(member, warning, "error")
        log.info("%s joined from %s%s (%d here)", member.name, member.address,
                 " as admin" if member.admin else "", len(hub.members))
        for entry in arrival.rooms:
            self._rooms.join(member, entry)
        return None

    def leave(self, member: Member, reason: LeaveReason, why: str) -> None:
        """``member``'s session ended for a reason of its door's."""
        self.hub.end(member, reason, why)

    def issue_ticket(self, identity: Identity) -> str:
        """A one-time ticket that lets a client in as ``identity`` (``Arrival.ticket``)."""
        return self._admission.tickets.issue(identity)

    def issue_standing_ticket(self, identity: Identity) -> str:
        """A ticket that lets a client in from ``identity``'s address, under any name and
        any number of times, until ``revoke_ticket``."""
        return self._admission.tickets.issue_standing(identity)

    def revoke_ticket(self, ticket: str) -> None:
        """``ticket`` lets nobody in from now on."""
        self._admission.tickets.revoke(ticket)

    def ticket_in_use(self, ticket: str) -> bool:
        """Whether the member ``ticket`` let in last is here."""
        return self._admission.tickets.holder(ticket) is not None

    def drop_ticketed(self, ticket: str, why: str) -> None:
        """The door of ``ticket`` lost its user's connection: the member it let in (if
        still here) leaves as a dropped connection does (``error``)."""
        member = self._admission.tickets.holder(ticket)
        if member is not None:
            self.hub.end(member, LeaveReason.ERROR, why)

    @property
    def recent_tickets(self) -> int:
        """Tickets issued within their lifetime: sessions that may still be connecting."""
        return self._admission.tickets.recent

    def set_avatar(self, member: Member, avatar: str) -> None:
        """``member`` has a new avatar (its door checked and stored the picture)."""
        self.hub.set_avatar(member, avatar)
        log.info("%s set avatar %s", member.name, avatar[:12])

    def close(self, text: str) -> None:
        """The server stops: everyone is told ``text``, and every session is over."""
        self.hub.close(text)

    # -- requests --------------------------------------------------------------------------

    def handle(self, member: Member, request: Request) -> None:
        """Run one request of ``member``'s, after counting it against its allowance."""
        if member.ended:
            return
        ref = request.ref if isinstance(request, _WITH_REF) else None
        if not self._within_rate(member, ref, moving=isinstance(request, JoinRoom | PartRoom)):
            return
        match request:
            case Say():
                self._say(member, request)
            case Command():
                self._command(member, request)
            case Private():
                self._private(member, request)
            case Rename():
                self._rename(member, request)
            case SetAway():
                self._set_away(member, request)
            case Whois():
                self._whois(member, request)
            case JoinRoom():
                self._rooms.join(member, request)
            case PartRoom():
                self._rooms.part(member, request)
            case SetTopic():
                self._rooms.set_topic(member, request)
            case RemoveFromRoom():
                self._rooms.remove(member, request)
            case AddKeeper():
                self._rooms.add_keeper(member, request)
            case LimitRoom():
                self._rooms.limit(member, request)
            case ListRooms():
                self._rooms.list_rooms(member)
            case Unreadable():
                room = member.rooms.get(request.room) if request.room is not None else None
                self.hub.notice(member, request.reply, "error", ref=request.ref, room=room)

    def _within_rate(self, member: Member, ref: Ref | None, *, moving: bool) -> bool:
        """Spend ``member``'s allowance for one line (``moving``: for one room join or
        part, an allowance of its own, as large as the rooms one member may be in); over
        the rate, refuse it, and end a session that keeps flooding (reason ``kicked``)."""
        verdict = (member.moves if moving else member.lines).check()
        if verdict is Verdict.PASS:
            return True
        config = self.config
        if moving:
            burst = max(config.rate_burst, config.max_rooms_per_user)
            what = f"{burst} room join{'s' if burst != 1 else ''} or parts"
        else:
            what = f"{config.rate_burst} line{'s' if config.rate_burst != 1 else ''}"
        self.hub.notice(member, f"Slow down: at most {what} at once and "
                        f"{config.rate_per_second:g} per second.", "error", ref=ref)
        if verdict is Verdict.CUT_OFF:
            why = f"{config.rate_abuse_limit} lines refused within a minute"
            log.warning("%s (%s) flooded: %s", member.name, member.address, why)
            self.hub.notice(member, f"Disconnected for flooding: {why}.", "error")
            self.hub.end(member, LeaveReason.KICKED, f"flooding: {why}")
        return False

    def _room_of(self, member: Member, name: str, ref: Ref | None = None) -> Room | None:
        """The room ``name`` if ``member`` is in it; else None, and it is told so."""
        room = member.rooms.get(name)
        if room is None:
            self.hub.notice(member, f"You are not in {name}; /join {name} first.", "error",
                            ref=ref)
        return room

    def _say(self, member: Member, say: Say) -> None:
        room = self._room_of(member, say.room, say.ref)
        if room is None:
            return
        try:
            self.hub.post(room, member.name, say.text, member.avatar, origin=member,
                          ref=say.ref, action=say.action)
        except sqlite3.Error as exc:
            log.error("could not store a message from %s: %s", member.name, exc)
            self.hub.notice(member, "Message not sent: the server could not store it.",
                            "error", ref=say.ref, room=room)

    def _command(self, member: Member, command: Command) -> None:
        lobby = self.hub.lobby
        if command.room == lobby.name and lobby.name not in member.rooms:
            room: Room | None = lobby  # one who need not be in the default room types there
        else:
            room = self._room_of(member, command.room)
        if room is None:
            return
        if is_admin_line(command.line):
            self.admin.run(member, room, command.line)
            return
        words = command.line.split(maxsplit=1)
        first = words[0] if words else command.line
        self.hub.notice(member, f"Unknown command {first!r}. Admin commands: admin -h",
                        "error", room=room)

    def _private(self, member: Member, private: Private) -> None:
        """A private message to both parties (the sender's copy with ``ref``); the
        sender is told when the recipient is away. Never stored, its text never logged."""
        hub, ref = self.hub, private.ref
        target = hub.find(private.to)
        if target is None:
            hub.notice(member, f"No one named {quoted(private.to)} is here; your message was "
                       "not sent.", "error", ref=ref)
        elif target is member:
            hub.notice(member, "You cannot send a private message to yourself.", "error",
                       ref=ref)
        else:
            hub.deliver(PrivateSaid(member, target, private.text, time.time(), ref),
                        (target, member))
            if target.away is not None:
                hub.notice(member, f"{target.name} is away: {target.away}")

    def _rename(self, member: Member, rename: Rename) -> None:
        hub, name = self.hub, rename.name
        holder = hub.find(name)
        ban = self.bans.on_name(name)
        if name == member.name:
            hub.notice(member, f"You are already {name}.")
        elif holder is not None and holder is not member:
            hub.notice(member, f"Name not changed: {taken(name, holder)}.", "error")
        elif ban is not None:
            hub.notice(member, f"Name not changed: {ban.refusal}.", "error")
        elif (problem := claim_problem(self._claims, name, member.fingerprint)) is not None:
            hub.notice(member, f"Name not changed: {problem}.", "error")
        else:
            old = member.name
            hub.rename(member, name)
            log.info("%s (%s) is now %s", old, member.address, name)

    def _set_away(self, member: Member, away: SetAway) -> None:
        if away.text == member.away:
            return
        member.away = away.text
        self.hub.to_sharing(member, UserChanged(member))
        log.info("%s is %s", member.name, "away" if away.text is not None else "back")

    def _whois(self, member: Member, whois: Whois) -> None:
        target = self.hub.find(whois.name)
        if target is None:
            self.hub.notice(member, f"No one named {quoted(whois.name)} is here.", "error")
            return
        address = target.host if member.admin else None
        self.hub.tell(member, WhoisAnswered(target, address))


def quoted(name: object) -> str:
    """A name from a request (or any value a client sent) as shown in a notice: quoted,
    cut short."""
    return repr(name[:40] if isinstance(name, str) else name)[:60]
