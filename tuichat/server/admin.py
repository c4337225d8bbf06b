"""The one parser of admin lines: rights, the commands, and the shutdown countdown.

Dispatch comes from the shared table in ``tuichat.net.commands``; this module binds each
flag to a handler (kicks and bans live in ``moderation``) and checks rights before
anything happens.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tuichat.net.commands import ADMIN_BY_FLAG, ADMIN_LINE, AdminCommand, usage_text
from tuichat.net.frames import Message, text_problem
from tuichat.server.check_budget import PasswordKind
from tuichat.server.config import store_motd
from tuichat.server.moderation import Moderation
from tuichat.server.store.history import read_up_to
from tuichat.server.store.saves import SavedFile, SaveDir, SavedMessage, SaveError
from tuichat.server.store.sliced import SlicedClear, SlicedLoad

if TYPE_CHECKING:
    from tuichat.server.room import Room
    from tuichat.server.session import Session

log = logging.getLogger("tuichat.server")

KEEP_ON_CLEAR = 10
SAVES_LISTED = 20
"""``admin -l`` alone lists this many of the newest saved files."""
COUNTDOWN_FIRST = 10
COUNTDOWN_FROM = 5
"""The countdown says "10", waits, then counts 5, 4, 3, 2, 1 one step apart."""


AdminHandler = Callable[["Session", str], None]
T = TypeVar("T")


class Admin:
    """Runs admin lines for the room, on the reactor thread. The file work of ``admin -s``,
    ``-l`` and ``-c`` runs on a worker thread, one such command at a time."""

    def __init__(
        self,
        room: Room,
        saves: SaveDir,
        *,
        shutdown_enabled: bool,
        countdown_step: float,
        shut_down: Callable[[str], None],
    ) -> None:
        self._room = room
        self._saves = saves
        self._shutdown_enabled = shutdown_enabled
        self._countdown_step = countdown_step
        self._shut_down = shut_down
        self._shutdown_at: float | None = None
        """When the countdown running stops the server (monotonic time), if one runs."""
        self._file_work: str | None = None
        """The usage of the file command in flight, if one is."""
        self._moderation = Moderation(room, self._usage, self._log)
        self._handlers: dict[str, AdminHandler] = {
            "-a": self._become_admin,
            "-s": self._save,
            "-l": self._load,
            "-c": self._clear,
            "-t": self._console_text,
            "-k": self._moderation.kick,
            "-b": self._moderation.ban,
            "-ub": self._moderation.unban,
            "-m": self._motd,
            "-sd": self._shutdown,
            "-h": self._help,
        }
        assert self._handlers.keys() == ADMIN_BY_FLAG.keys(), "admin table and handlers differ"

    def handle(self, session: Session, line: str) -> None:
        """Parse ``line``, check rights, run the command, reply to ``session``."""
        match = ADMIN_LINE.fullmatch(line)
        flag = match["flag"] if match else None
        rest = (match["rest"] or "") if match else ""
        if match is None or flag is None:
            self._usage(session, "")
            return
        command = ADMIN_BY_FLAG.get(flag)
        if command is None:
            self._usage(session, f"Unknown admin command {flag!r}.\n")
            return
        if command.needs_rights and not session.admin:
            self._room.notice(
                session,
                f"{command.usage} needs admin rights. Become admin with: admin -a PASSWORD",
                "error",
            )
            self._log(session, command, "refused: not an admin")
            return
        self._handlers[flag](session, rest)

    # -- the commands ----------------------------------------------------------------------

    def _become_admin(self, session: Session, password: str) -> None:
        if not password:
            self._usage(session, "admin -a needs the admin password.\n")
            return
        if session.admin:
            self._room.notice(session, "You are already an admin.")
            return
        gate = self._room.passwords
        wait = gate.refusal(session.host, session.name, PasswordKind.ADMIN)
        if wait is not None:
            log.info("admin -a from %s (%s) refused unchecked: %s", session.name,
                     session.address, wait)
            self._room.notice(session, wait.capitalize(), "error")
            return
        if not gate.check(session.host, session.name, password, self._room.admin_password,
                          PasswordKind.ADMIN):
            self._room.notice(session, "Wrong admin password.", "error")
            return
        self._room.set_admin(session)
        self._room.notice(session, "You are now an admin. admin -h lists the commands.")
        log.info("%s (%s) became admin", session.name, session.address)

    def _save(self, session: Session, rest: str) -> None:
        command = ADMIN_BY_FLAG["-s"]
        if rest:
            self._usage(session, "admin -s takes no argument.\n")
            return
        if self._busy(session):
            return
        up_to = self._snapshot()
        self._in_worker(
            command,
            partial(self._write_save, self._room.history.path, up_to),
            partial(self._saved, session, command),
        )

    def _busy(self, session: Session) -> bool:
        """True (and say so) while another file command is at work."""
        if self._file_work is None:
            return False
        self._room.notice(
            session, f"{self._file_work} is still at work; try again once it has answered.",
            "error")
        return True

    def _in_worker(self, command: AdminCommand, work: Callable[[], T],
                   then: Callable[[Future[T]], None]) -> None:
        """Run ``command``'s file work on a worker thread, then ``then`` on the reactor."""
        self._file_work = command.usage

        def finish(done: Future[T]) -> None:
            self._file_work = None
            then(done)

        self._room.in_worker(work, finish)

    def _snapshot(self) -> int:
        """The last seq now, with every message up to it on disk for a worker to read."""
        history = self._room.history
        history.commit()
        return history.last_seq

    def _write_save(self, history: Path, up_to: int, suffix: str = "") -> tuple[str, int]:
        """On a worker thread: the history up to seq ``up_to`` (as it was when the command
        came) to a new save file; its name and the message count. Big histories take
        seconds, which the room must not wait for."""
        messages = read_up_to(history, up_to)
        return self._saves.save(messages, suffix=suffix), len(messages)

    def _saved(self, session: Session, command: AdminCommand,
               done: Future[tuple[str, int]]) -> None:
        """Back on the reactor: tell the admin (if still here) how the save went."""
        try:
            name, count = done.result()
        except (OSError, sqlite3.Error) as exc:
            self._room.notice(session, f"Could not save the history: {_reason(exc)}", "error")
            log.error("saving the history failed: %s", exc)
            return
        self._room.notice(session, f"History saved as {name} ({_messages(count)}).")
        self._log(session, command, f"saved {name}")

    def _load(self, session: Session, rest: str) -> None:
        command = ADMIN_BY_FLAG["-l"]
        if not rest:
            self._room.in_worker(self._saves.files, partial(self._list_saves, session))
            return
        if len(rest.split()) != 1:
            self._usage(session, "admin -l needs one file name, e.g. admin -l chat.txt\n")
            return
        if self._busy(session):
            return
        up_to = self._snapshot()
        self._in_worker(
            command,
            partial(self._read_and_back_up, rest, self._room.history.path, up_to),
            partial(self._loaded, session, command, rest, up_to),
        )

    def _list_saves(self, session: Session, done: Future[list[SavedFile]]) -> None:
        """Back on the reactor: the saved files, newest first, or why there are none."""
        try:
            files = done.result()
        except OSError as exc:
            self._room.notice(session, f"Could not list the saved files: {_reason(exc)}",
                              "error")
            return
        if not files:
            self._room.notice(session, "No saved files yet: admin -s saves the history.")
            return
        shown = files[:SAVES_LISTED]
        width = max(len(file.name) for file in shown)
        lines = [f"  {file.name:<{width}}  {file.size_text:>9}  {file.time_text}"
                 for file in shown]
        if len(files) > len(shown):
            lines.append(f"  and {len(files) - len(shown):,} older")
        self._room.notice(session, f"Saved files, newest first ({len(files):,}); load one "
                          "with admin -l FILE.txt:\n" + "\n".join(lines))

    def _read_and_back_up(self, name: str, history: Path,
                          up_to: int) -> tuple[list[SavedMessage], str]:
        """On a worker thread: the messages of save file ``name``, then a backup of the
        history up to seq ``up_to``."""
        entries = self._saves.load(name)
        backup, _ = self._write_save(history, up_to, "-before-load")
        return entries, backup

    def _loaded(self, session: Session, command: AdminCommand, name: str, up_to: int,
                done: Future[tuple[list[SavedMessage], str]]) -> None:
        """Back on the reactor: the file's messages become the history, followed by the
        lines said while it was read (the backup holds everything before)."""
        try:
            entries, backup = done.result()
        except (SaveError, OSError, sqlite3.Error) as exc:
            reason = str(exc) if isinstance(exc, SaveError) else _reason(exc)
            self._room.notice(session, f"Not loaded: {reason}", "error")
            self._log(session, command, f"refused {name!r}: {reason}")
            return
        self._file_work = command.usage  # one file command at a time, until it is stored
        SlicedLoad(self._room.history, partial(self._room.reactor.call_later, 0.0), entries,
                   up_to, partial(self._stored, session, command, name, backup, len(entries)),
                   partial(self._not_stored, session, command, name)).start()

    def _stored(self, session: Session, command: AdminCommand, name: str, backup: str,
                count: int, meanwhile: list[Message]) -> None:
        """The loaded messages are the history now: everyone gets it anew."""
        self._file_work = None
        self._room.send_history_reset()
        follow = "follows" if len(meanwhile) == 1 else "follow"
        kept = f" {_messages(len(meanwhile))} said meanwhile {follow} it." if meanwhile else ""
        self._room.notice(
            session,
            f"Loaded {name} ({_messages(count)}). "
            f"The previous history was saved as {backup}.{kept}",
        )
        self._log(session, command, f"loaded {name} ({count} messages), backup {backup}")

    def _not_stored(self, session: Session, command: AdminCommand, name: str,
                    exc: sqlite3.Error) -> None:
        """Storing the loaded messages failed: the history is as it was."""
        self._file_work = None
        self._room.notice(session, f"Not loaded: {_reason(exc)}", "error")
        self._log(session, command, f"could not store {name!r}: {exc}")
        log.error("storing %s failed: %s", name, exc)

    def _clear(self, session: Session, rest: str) -> None:
        command = ADMIN_BY_FLAG["-c"]
        if rest:
            self._usage(session, "admin -c takes no argument.\n")
            return
        if self._busy(session):
            return
        up_to = self._snapshot()
        self._in_worker(
            command,
            partial(self._write_save, self._room.history.path, up_to, "-before-clear"),
            partial(self._backed_up_for_clear, session, command, up_to),
        )

    def _backed_up_for_clear(self, session: Session, command: AdminCommand, up_to: int,
                             done: Future[tuple[str, int]]) -> None:
        """Back on the reactor: clear what the backup holds, all but its last messages
        (lines said since the command stay)."""
        try:
            backup, _ = done.result()
        except (OSError, sqlite3.Error) as exc:
            self._room.notice(session, f"Not cleared: no backup ({_reason(exc)})", "error")
            log.error("the backup before admin -c failed: %s", exc)
            return
        self._file_work = command.usage  # one file command at a time, until it is done
        SlicedClear(self._room.history, partial(self._room.reactor.call_later, 0.0),
                    KEEP_ON_CLEAR, up_to, partial(self._cleared, session, command, backup),
                    partial(self._not_cleared, session)).start()

    def _cleared(self, session: Session, command: AdminCommand, backup: str,
                 removed: int) -> None:
        """The history is cut: everyone gets it anew."""
        self._file_work = None
        self._room.send_history_reset()
        self._room.notice(
            session,
            f"Cleared {_messages(removed)}, kept the last {KEEP_ON_CLEAR}. "
            f"The previous history was saved as {backup}.",
        )
        self._log(session, command, f"cleared {removed} messages, backup {backup}")

    def _not_cleared(self, session: Session, exc: sqlite3.Error) -> None:
        """Deleting failed part way: what is left stays, the backup holds everything."""
        self._file_work = None
        self._room.send_history_reset()
        self._room.notice(session, f"Not cleared completely: {_reason(exc)}", "error")
        log.error("admin -c failed: %s", exc)

    def _console_text(self, session: Session, rest: str) -> None:
        command = ADMIN_BY_FLAG["-t"]
        if not rest.startswith(":"):
            self._usage(session, "admin -t needs a colon before the text: admin -t : TEXT\n")
            return
        text = rest[1:].strip()
        problem = text_problem(text)
        if problem is not None:
            self._room.notice(session, f"Not sent: {problem}.", "error")
            return
        self._room.console(text)
        self._log(session, command, f"said {text[:60]!r}")

    def _motd(self, session: Session, rest: str) -> None:
        command = ADMIN_BY_FLAG["-m"]
        room = self._room
        if not rest:
            shown = f"Message of the day: {room.motd}" if room.motd else None
            room.notice(session, shown or "There is no message of the day.")
            return
        text = None if rest == "-" else rest
        problem = None if text is None else text_problem(text)
        if problem is not None:
            room.notice(session, f"Not set: {problem}.", "error")
            return
        try:
            store_motd(room.config.motd_path, text)
        except OSError as exc:
            room.notice(session, f"Could not store the message of the day: {_reason(exc)}",
                        "error")
            log.error("storing the message of the day failed: %s", exc)
            return
        room.motd = text
        if text is None:
            room.notice(session, "Message of the day cleared.")
        else:
            room.announce_motd()
        self._log(session, command, "cleared the message of the day" if text is None
                  else f"set the message of the day to {text[:60]!r}")

    def _shutdown(self, session: Session, rest: str) -> None:
        command = ADMIN_BY_FLAG["-sd"]
        if rest:
            self._usage(session, "admin -sd takes no argument.\n")
            return
        if not self._shutdown_enabled:
            self._room.notice(
                session,
                "Remote shutdown is off on this server (start it with --sde to allow it).",
                "error",
            )
            self._log(session, command, "refused: --sde is off")
            return
        if self._shutdown_at is not None:
            self._room.notice(session, "The shutdown countdown is already running.", "error")
            return
        self._log(session, command, "started the shutdown countdown")
        self._room.console_unstored(f"Server shutting down in {COUNTDOWN_FIRST} seconds.")
        step = self._countdown_step
        self._shutdown_at = time.monotonic() + COUNTDOWN_FIRST * step
        reactor = self._room.reactor
        for count in range(COUNTDOWN_FROM, 0, -1):
            delay = (COUNTDOWN_FIRST - count) * step
            reactor.call_later(delay, partial(self._room.console_unstored, str(count)))
        reactor.call_later(
            COUNTDOWN_FIRST * step,
            lambda: self._shut_down(f"Server shut down by {session.name}."),
        )

    def shutdown_warning(self) -> str | None:
        """What a user who joins during the countdown is told (its lines are not stored,
        so the backlog does not say it); None when no countdown runs."""
        if self._shutdown_at is None:
            return None
        left = max(0, math.ceil(self._shutdown_at - time.monotonic()))
        return f"The server is shutting down in {left} s."

    def _help(self, session: Session, rest: str) -> None:
        self._room.notice(session, usage_text())

    # -- helpers ---------------------------------------------------------------------------

    def _usage(self, session: Session, problem: str) -> None:
        self._room.notice(session, problem + usage_text(), "error" if problem else "info")

    @staticmethod
    def _log(session: Session, command: AdminCommand, outcome: str) -> None:
        log.info("admin %s by %s (%s): %s", command.flag, session.name, session.address, outcome)


def _reason(exc: OSError | sqlite3.Error) -> str:
    """A file or database failure in a few words for the admin, naming the file."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


def _messages(count: int) -> str:
    return f"{count:,} message" if count == 1 else f"{count:,} messages"
