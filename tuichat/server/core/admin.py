"""The admin commands: one table, each row the shared description of a command (flag,
argument, help, rights: ``tuichat.net.commands``, which the client's help reads too) and
the server's handler; the one parser of admin lines; and the shutdown countdown.

``Admin.run`` parses a line, checks rights, and calls the row's handler with an
``AdminCall`` (who, in which room, the argument). The commands that act on a room (``-s``,
``-l``, ``-c``, ``-t``, ``-m``) act on the room the line was typed in and say so; the
others are server-wide. Adding a command is a row in ``ADMIN_COMMANDS`` and its handler
in ``Admin._handlers``; ``command_table`` refuses the two when they differ.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from tuichat.net.commands import ADMIN_COMMANDS, ADMIN_LINE, AdminCommand, usage_text
from tuichat.net.frames import text_problem
from tuichat.server.core.admin_call import AdminCall
from tuichat.server.core.events import Noticed
from tuichat.server.core.history_files import HistoryFiles, failure_text
from tuichat.server.core.key_claims import ClaimRelease
from tuichat.server.core.moderation import Moderation

if TYPE_CHECKING:
    from tuichat.server.bans import BanList
    from tuichat.server.core.admission import Admission
    from tuichat.server.core.hub import Hub
    from tuichat.server.core.key_claims import NameClaims
    from tuichat.server.core.model import Member, Room
    from tuichat.server.core.ports import Scheduler
    from tuichat.server.store.saves import SaveDir

log = logging.getLogger("tuichat.server")

COUNTDOWN_FIRST = 10
COUNTDOWN_FROM = 5
"""The countdown says "10", waits, then counts 5, 4, 3, 2, 1 one step apart."""

Handler = Callable[[AdminCall], None]


@dataclass(frozen=True, slots=True)
class AdminRow:
    """One admin command: its shared description and the handler that runs it."""

    command: AdminCommand
    handler: Handler


def command_table(handlers: Mapping[str, Handler]) -> dict[str, AdminRow]:
    """The rows of every command in ``ADMIN_COMMANDS``, by flag, each with its handler
    from ``handlers``; ValueError when a command has no handler or a handler no command."""
    described = {command.flag for command in ADMIN_COMMANDS}
    if described != handlers.keys():
        missing, extra = described - handlers.keys(), handlers.keys() - described
        raise ValueError(f"admin commands without a handler: {sorted(missing)}; "
                         f"handlers without a command: {sorted(extra)}")
    return {command.flag: AdminRow(command, handlers[command.flag])
            for command in ADMIN_COMMANDS}


@dataclass(frozen=True, slots=True)
class Shutdown:
    """How ``admin -sd`` stops the server: whether it may, the countdown's step, and
    what stops it."""

    enabled: bool
    step: float
    stop: Callable[[str], None]


class Admin:
    """Runs admin lines on the loop thread."""

    def __init__(self, hub: Hub, admission: Admission, bans: BanList, saves: SaveDir,
                 scheduler: Scheduler, shutdown: Shutdown,
                 claims: NameClaims | None = None) -> None:
        """``claims``: the names SSH keys hold (``admin -rk`` releases them)."""
        self._hub = hub
        self._admission = admission
        self._scheduler = scheduler
        self._shutdown = shutdown
        self._shutdown_at: float | None = None
        """When the countdown running stops the server (monotonic time), if one runs."""
        files = HistoryFiles(saves, scheduler)
        moderation = Moderation(hub, bans)
        self.table = command_table({
            "-a": self._become_admin,
            "-s": files.save,
            "-l": files.load,
            "-c": files.clear,
            "-t": self._console_text,
            "-k": moderation.kick,
            "-b": moderation.ban,
            "-ub": moderation.unban,
            "-rk": ClaimRelease(claims),
            "-m": self._motd,
            "-sd": self._start_shutdown,
            "-h": self._help,
        })

    def run(self, member: Member, room: Room, line: str) -> None:
        """Parse ``line`` (typed by ``member`` in ``room``), check rights, run it."""
        match = ADMIN_LINE.fullmatch(line)
        flag = match["flag"] if match else None
        rest = (match["rest"] or "") if match else ""
        row = self.table.get(flag) if flag is not None else None
        if row is None:
            problem = "" if flag is None else f"Unknown admin command {flag!r}.\n"
            self._hub.notice(member, problem + usage_text(), "error" if problem else "info",
                             room=room)
            return
        call = AdminCall(self._hub, member, room, row.command, rest)
        if row.command.needs_rights and not member.admin:
            call.reply(f"{row.command.usage} needs admin rights. Become admin with: "
                       "admin -a PASSWORD", "error")
            call.log("refused: not an admin")
            return
        row.handler(call)

    # -- the commands ----------------------------------------------------------------------

    def _become_admin(self, call: AdminCall) -> None:
        """``admin -a PASSWORD``."""
        member = call.member
        if not call.rest:
            call.usage("admin -a needs the admin password.\n")
            return
        if member.admin:
            call.reply("You are already an admin.")
            return
        problem = self._admission.become_admin(member, call.rest)
        if problem is not None:
            call.reply(problem, "error")
            return
        self._hub.set_admin(member)
        call.reply("You are now an admin. admin -h lists the commands.")
        log.info("%s (%s) became admin", member.name, member.address)

    def _console_text(self, call: AdminCall) -> None:
        """``admin -t : TEXT``: TEXT in the room, from Console."""
        if not call.rest.startswith(":"):
            call.usage("admin -t needs a colon before the text: admin -t : TEXT\n")
            return
        text = call.rest[1:].strip()
        problem = text_problem(text)
        if problem is not None:
            call.reply(f"Not sent: {problem}.", "error")
            return
        self._hub.console(call.room, text)
        call.log(f"said {text[:60]!r}")

    def _motd(self, call: AdminCall) -> None:
        """``admin -m [TEXT|-]``: show, set or clear the room's message of the day (the
        default room's is the server's)."""
        room, rest = call.room, call.rest
        of_room = call.of_room
        if not rest:
            call.reply(f"Message of the day{of_room}: {room.motd}" if room.motd
                       else f"There is no message of the day{call.in_room}.")
            return
        text = None if rest == "-" else rest
        problem = None if text is None else text_problem(text)
        if problem is not None:
            call.reply(f"Not set: {problem}.", "error")
            return
        try:
            self._hub.set_motd(room, text)
        except (OSError, sqlite3.Error) as exc:
            call.reply(f"Could not store the message of the day: {failure_text(exc)}",
                       "error")
            log.error("storing the message of the day failed: %s", exc)
            return
        if text is None:
            call.reply(f"Message of the day{of_room} cleared.")
            call.log("cleared the message of the day")
        else:
            self._hub.to_room(room, Noticed(text, "info", room=room, motd=True))
            call.log(f"set the message of the day to {text[:60]!r}")

    def _start_shutdown(self, call: AdminCall) -> None:
        """``admin -sd``: stop the server after a countdown everyone sees."""
        if call.rest:
            call.usage("admin -sd takes no argument.\n")
            return
        shutdown = self._shutdown
        if not shutdown.enabled:
            call.reply("Remote shutdown is off on this server (start it with --sde to allow "
                       "it).", "error")
            call.log("refused: --sde is off")
            return
        if self._shutdown_at is not None:
            call.reply("The shutdown countdown is already running.", "error")
            return
        call.log("started the shutdown countdown")
        self._hub.announce(f"Server shutting down in {COUNTDOWN_FIRST} seconds.")
        step = shutdown.step
        self._shutdown_at = time.monotonic() + COUNTDOWN_FIRST * step
        for count in range(COUNTDOWN_FROM, 0, -1):
            delay = (COUNTDOWN_FIRST - count) * step
            self._scheduler.call_later(delay, partial(self._hub.announce, str(count)))
        text = f"Server shut down by {call.member.name}."
        self._scheduler.call_later(COUNTDOWN_FIRST * step, partial(shutdown.stop, text))

    def shutdown_warning(self) -> str | None:
        """What a user who arrives during the countdown is told (its lines are not
        stored, so the backlog does not say it); None when no countdown runs."""
        if self._shutdown_at is None:
            return None
        left = max(0, math.ceil(self._shutdown_at - time.monotonic()))
        return f"The server is shutting down in {left} s."

    @staticmethod
    def _help(call: AdminCall) -> None:
        """``admin -h``: every command with its help."""
        call.reply(usage_text())
