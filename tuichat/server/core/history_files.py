"""The admin commands that work on a room's history as a file: ``-s`` (save), ``-l``
(load, or list the saves) and ``-c`` (clear, after a backup).

The file work runs on a worker thread through the core's ``Scheduler``, one such command
per room at a time; storing a load or deleting for a clear runs on the loop a slice per
pass (``store.sliced``), so the room goes on talking. Each reply names the room (outside
the default room), and its saves are named with the room's stem first.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tuichat.net.frames import Message
from tuichat.server.store.history import read_up_to
from tuichat.server.store.saves import SavedFile, SaveDir, SavedMessage, SaveError
from tuichat.server.store.sliced import SlicedClear, SlicedLoad

if TYPE_CHECKING:
    from tuichat.server.core.admin_call import AdminCall
    from tuichat.server.core.model import Room
    from tuichat.server.core.ports import Scheduler

log = logging.getLogger("tuichat.server")
T = TypeVar("T")

KEEP_ON_CLEAR = 10
SAVES_LISTED = 20
"""``admin -l`` alone lists this many of the newest saved files."""


class HistoryFiles:
    """``admin -s``, ``-l`` and ``-c`` for the room they are typed in."""

    def __init__(self, saves: SaveDir, scheduler: Scheduler) -> None:
        self._saves = saves
        self._scheduler = scheduler

    # -- admin -s --------------------------------------------------------------------------

    def save(self, call: AdminCall) -> None:
        """``admin -s``: the room's history up to now to a new save file."""
        if call.rest:
            call.usage("admin -s takes no argument.\n")
            return
        if self._busy(call):
            return
        room = call.room
        up_to = _snapshot(room)
        self._in_worker(call, partial(self._write_save, _saved_as(call), room.history.path, up_to),
                        partial(self._saved, call))

    def _write_save(self, room: str | None, history: Path, up_to: int,
                    suffix: str = "") -> tuple[str, int]:
        """On a worker thread: the history up to seq ``up_to`` (as it was when the command
        came) to a new save file; its name and the message count. Big histories take
        seconds, which the room must not wait for."""
        messages = read_up_to(history, up_to)
        return self._saves.save(messages, suffix=suffix, room=room), len(messages)

    def _saved(self, call: AdminCall, done: Future[tuple[str, int]]) -> None:
        """Back on the loop: tell the admin how the save went."""
        try:
            name, count = done.result()
        except (OSError, sqlite3.Error) as exc:
            call.reply(f"Could not save the history{call.of_room}: {failure_text(exc)}", "error")
            log.error("saving the history of %s failed: %s", call.room.name, exc)
            return
        call.reply(f"History{call.of_room} saved as {name} ({_messages(count)}).")
        call.log(f"saved {name}")

    # -- admin -l --------------------------------------------------------------------------

    def load(self, call: AdminCall) -> None:
        """``admin -l FILE``: the file's messages become the room's history; alone, the
        list of saved files."""
        rest, room = call.rest, call.room
        if not rest:
            self._scheduler.in_worker(self._saves.files, partial(self._list_saves, call))
            return
        if len(rest.split()) != 1:
            call.usage("admin -l needs one file name, e.g. admin -l chat.txt\n")
            return
        if self._busy(call):
            return
        up_to = _snapshot(room)
        self._in_worker(call, partial(self._read_and_back_up, rest, _saved_as(call),
                                      room.history.path, up_to),
                        partial(self._loaded, call, rest, up_to))

    def _list_saves(self, call: AdminCall, done: Future[list[SavedFile]]) -> None:
        """Back on the loop: the saved files, newest first, or why there are none."""
        try:
            files = done.result()
        except OSError as exc:
            call.reply(f"Could not list the saved files: {failure_text(exc)}", "error")
            return
        if not files:
            call.reply("No saved files yet: admin -s saves the history.")
            return
        shown = files[:SAVES_LISTED]
        width = max(len(file.name) for file in shown)
        lines = [f"  {file.name:<{width}}  {file.size_text:>9}  {file.time_text}"
                 for file in shown]
        if len(files) > len(shown):
            lines.append(f"  and {len(files) - len(shown):,} older")
        call.reply(f"Saved files, newest first ({len(files):,}); load one with admin -l "
                   "FILE.txt:\n" + "\n".join(lines))

    def _read_and_back_up(self, name: str, room: str | None, history: Path,
                          up_to: int) -> tuple[list[SavedMessage], str]:
        """On a worker thread: the messages of save file ``name``, then a backup of the
        history up to seq ``up_to``."""
        entries = self._saves.load(name)
        backup, _ = self._write_save(room, history, up_to, "-before-load")
        return entries, backup

    def _loaded(self, call: AdminCall, name: str, up_to: int,
                done: Future[tuple[list[SavedMessage], str]]) -> None:
        """Back on the loop: the file's messages become the history, followed by the
        lines said while it was read (the backup holds everything before)."""
        try:
            entries, backup = done.result()
        except (SaveError, OSError, sqlite3.Error) as exc:
            reason = str(exc) if isinstance(exc, SaveError) else failure_text(exc)
            call.reply(f"Not loaded: {reason}", "error")
            call.log(f"refused {name!r}: {reason}")
            return
        room = call.room
        room.file_work = call.command.usage  # one file command at a time, until it is stored
        SlicedLoad(room.history, partial(self._scheduler.call_later, 0.0), entries, up_to,
                   partial(self._stored, call, name, backup, len(entries)),
                   partial(self._not_stored, call, name)).start()

    def _stored(self, call: AdminCall, name: str, backup: str, count: int,
                meanwhile: list[Message]) -> None:
        """The loaded messages are the history now: the room gets it anew."""
        call.room.file_work = None
        call.hub.reset_history(call.room)
        follow = "follows" if len(meanwhile) == 1 else "follow"
        kept = f" {_messages(len(meanwhile))} said meanwhile {follow} it." if meanwhile else ""
        into = f" into {call.room.name}" if call.in_room else ""
        call.reply(f"Loaded {name}{into} ({_messages(count)}). "
                   f"The previous history{call.of_room} was saved as {backup}.{kept}")
        call.log(f"loaded {name} ({count} messages), backup {backup}")

    def _not_stored(self, call: AdminCall, name: str, exc: sqlite3.Error) -> None:
        """Storing the loaded messages failed: the history is as it was."""
        call.room.file_work = None
        call.reply(f"Not loaded: {failure_text(exc)}", "error")
        call.log(f"could not store {name!r}: {exc}")
        log.error("storing %s failed: %s", name, exc)

    # -- admin -c --------------------------------------------------------------------------

    def clear(self, call: AdminCall) -> None:
        """``admin -c``: a backup, then all but the last messages of the room go."""
        if call.rest:
            call.usage("admin -c takes no argument.\n")
            return
        if self._busy(call):
            return
        room = call.room
        up_to = _snapshot(room)
        self._in_worker(call, partial(self._write_save, _saved_as(call), room.history.path, up_to,
                                      "-before-clear"),
                        partial(self._backed_up_for_clear, call, up_to))

    def _backed_up_for_clear(self, call: AdminCall, up_to: int,
                             done: Future[tuple[str, int]]) -> None:
        """Back on the loop: clear what the backup holds, all but its last messages
        (lines said since the command stay)."""
        try:
            backup, _ = done.result()
        except (OSError, sqlite3.Error) as exc:
            call.reply(f"Not cleared: no backup ({failure_text(exc)})", "error")
            log.error("the backup before admin -c failed: %s", exc)
            return
        room = call.room
        room.file_work = call.command.usage  # one file command at a time, until it is done
        SlicedClear(room.history, partial(self._scheduler.call_later, 0.0), KEEP_ON_CLEAR,
                    up_to, partial(self._cleared, call, backup),
                    partial(self._not_cleared, call)).start()

    def _cleared(self, call: AdminCall, backup: str, removed: int) -> None:
        """The history is cut: the room gets it anew."""
        call.room.file_work = None
        call.hub.reset_history(call.room)
        source = f" from {call.room.name}" if call.in_room else ""
        call.reply(f"Cleared {_messages(removed)}{source}, kept the last {KEEP_ON_CLEAR}. "
                   f"The previous history{call.of_room} was saved as {backup}.")
        call.log(f"cleared {removed} messages, backup {backup}")

    def _not_cleared(self, call: AdminCall, exc: sqlite3.Error) -> None:
        """Deleting failed part way: what is left stays, the backup holds everything."""
        call.room.file_work = None
        call.hub.reset_history(call.room)
        call.reply(f"Not cleared completely: {failure_text(exc)}", "error")
        log.error("admin -c failed: %s", exc)

    # -- one file command per room at a time ----------------------------------------------

    def _busy(self, call: AdminCall) -> bool:
        """True (and say so) while another file command is at work on the room."""
        work = call.room.file_work
        if work is None:
            return False
        call.reply(f"{work} is still at work; try again once it has answered.", "error")
        return True

    def _in_worker(self, call: AdminCall, work: Callable[[], T],
                   then: Callable[[Future[T]], None]) -> None:
        """Run the command's file work on a worker thread, then ``then`` on the loop."""
        room = call.room
        room.file_work = call.command.usage

        def finish(done: Future[T]) -> None:
            room.file_work = None
            then(done)

        self._scheduler.in_worker(work, finish)


def _saved_as(call: AdminCall) -> str | None:
    """The room a save names (in its file name and header): None for the default room,
    whose saves are named as before rooms."""
    return call.room.name if call.in_room else None


def _snapshot(room: Room) -> int:
    """The room's last seq now, with every message up to it on disk for a worker."""
    room.history.commit()
    return room.history.last_seq


def failure_text(exc: OSError | sqlite3.Error) -> str:
    """A file or database failure in a few words for the admin, naming the file."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


def _messages(count: int) -> str:
    return f"{count:,} message" if count == 1 else f"{count:,} messages"
