"""The rooms' histories: one ``History`` per room, each its own SQLite file.

The default room keeps ``DATA_DIR/history.sqlite3`` (the file of the one room before rooms
came); any other room lives in ``DATA_DIR/rooms/<stem>.sqlite3``, beside the ``-wal``,
``-shm`` and ``.seq`` files of its database. Each room so has its own gapless seq, its own
epoch and its own seq mark. A room exists while its file does: the listing is the
directory, read again each time. Used from the reactor thread only, as ``History`` is.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from tuichat.net.rooms import ROOM_PREFIX, room_problem, room_stem
from tuichat.server.config import ServerConfig
from tuichat.server.store.history import History

log = logging.getLogger("tuichat.server")

ROOM_SUFFIX = ".sqlite3"
"""How the database file of a room other than the default room ends."""
_BESIDE = ("-wal", "-shm", ".seq")
"""What SQLite and the seq mark keep beside a database, named after it."""


class RoomStores:
    """Opens, lists and forgets the rooms' histories; open ones stay cached until closed.

    ``rooms_dir`` holds the histories of the rooms other than ``default_room``, whose
    history is ``default_path``. Names given to ``open`` and ``forget`` are checked by
    the caller (``tuichat.net.rooms``); a name that breaks the rule raises ValueError.
    """

    def __init__(self, rooms_dir: Path, default_path: Path, default_room: str) -> None:
        problem = room_problem(default_room)
        if problem is not None:
            raise ValueError(f"{default_room!r} is not a room name: {problem}")
        self.rooms_dir = rooms_dir
        self.default_path = default_path
        self.default_room = default_room
        self._open: dict[str, History] = {}
        self._pending: set[History] = set()
        """Open histories appended to since they were last committed."""
        self._ignored: set[str] = set()
        """Names of stray entries in ``rooms_dir`` already logged, so each is logged once."""

    @classmethod
    def from_config(cls, config: ServerConfig) -> RoomStores:
        """The stores of a server's data directory and default room."""
        return cls(config.rooms_dir, config.history_path, config.default_room)

    def path(self, room: str) -> Path:
        """Where ``room``'s history is (or would be) kept."""
        if room == self.default_room:
            return self.default_path
        return self.rooms_dir / (room_stem(room) + ROOM_SUFFIX)

    def names(self) -> list[str]:
        """Every room that exists, sorted: the default room, the open ones, and those with
        a history file in ``rooms_dir`` (stray entries there are logged once, skipped)."""
        found = {self.default_room, *self._open}
        try:
            entries = list(os.scandir(self.rooms_dir))
        except FileNotFoundError:
            entries = []
        for entry in entries:
            room = self._room_of(entry)
            if room is not None:
                found.add(room)
        return sorted(found)

    def exists(self, room: str) -> bool:
        """Whether ``room`` exists (the default room always; another once its history
        file does), without listing the others."""
        if room == self.default_room or room in self._open:
            return True
        path = self.path(room)
        return path.is_file() and not path.is_symlink()

    def _room_of(self, entry: os.DirEntry[str]) -> str | None:
        """The room whose history ``entry`` is, or None (logged once when it is not the
        file kept beside one)."""
        name = entry.name
        if not name.endswith(ROOM_SUFFIX):
            if not name.endswith(_BESIDE):
                self._ignore(name, "not a room's history (those end in .sqlite3)")
            return None
        room = ROOM_PREFIX + name.removesuffix(ROOM_SUFFIX)
        problem = room_problem(room)
        if problem is not None:
            self._ignore(name, f"not a room's history: {problem}")
            return None
        if room == self.default_room:
            self._ignore(name, f"the history of {room} is {self.default_path}")
            return None
        try:
            regular = entry.is_file(follow_symlinks=False)
        except OSError:
            regular = False
        if not regular:
            self._ignore(name, "not a plain file")
            return None
        return room

    def _ignore(self, name: str, reason: str) -> None:
        """Log, the first time only, that ``name`` in ``rooms_dir`` is skipped and why."""
        if name not in self._ignored:
            self._ignored.add(name)
            log.warning("ignoring %s in %s: %s", name, self.rooms_dir, reason)

    def open(self, room: str) -> History:
        """``room``'s history, opened (or created) on first use and cached."""
        history = self._open.get(room)
        if history is None:
            history = History(self.path(room), on_pending=self._pending.add)
            self._open[room] = history
        return history

    def is_open(self, room: str) -> bool:
        """Whether ``room``'s history is open."""
        return room in self._open

    def opened(self) -> Iterable[tuple[str, History]]:
        """The open rooms and their histories (a snapshot: ``forget`` may be called while
        going through it)."""
        return list(self._open.items())

    def forget(self, room: str) -> None:
        """Close ``room``'s history and delete its files (database, ``-wal``, ``-shm``,
        ``.seq``): the room no longer exists. Never the default room (ValueError)."""
        if room == self.default_room:
            raise ValueError(f"the default room {room} is never forgotten")
        path = self.path(room)
        history = self._open.pop(room, None)
        if history is not None:
            self._pending.discard(history)
            history.close()
        # The -wal first: a stale one beside a new database of the same name could be
        # taken for its own.
        for name in (path.name + "-wal", path.name + "-shm", path.name, path.name + ".seq"):
            path.with_name(name).unlink(missing_ok=True)

    def commit(self) -> None:
        """Commit every history appended to since its last commit (the reactor calls it
        before each flush); a history whose commit fails stays pending for the next."""
        for history in list(self._pending):
            history.commit()
            self._pending.discard(history)

    def close(self) -> None:
        """Commit and close every open history (again: nothing)."""
        histories, self._open = list(self._open.values()), {}
        self._pending.clear()
        for history in histories:
            history.close()
