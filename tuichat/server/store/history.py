"""The durable chat history: one SQLite file, written from the reactor thread only.

Every call is one transaction; a message is committed before ``append`` returns, so it
survives the process being killed. ``seq`` is SQLite's AUTOINCREMENT rowid: it rises by
one per stored message, survives restarts, and is never reused, even after deletes.

The database has an ``epoch``, a random id made with it: seqs mean something only within
one epoch. If the database lost its tail (its ``-wal`` file deleted or damaged: the
``SeqMark`` beside it is higher than its last seq), a start logs a warning, takes a new
epoch and goes on after the mark, so no seq is handed out twice and clients reload.

The ``meta`` table also keeps the room's topic and message of the day, each set at once.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tuichat.net.frames import SINCE_HISTORY, WELCOME_HISTORY, Message
from tuichat.server.store.saves import SavedMessage
from tuichat.server.store.seq_mark import SeqMark

log = logging.getLogger("tuichat.server")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    sender TEXT NOT NULL,
    text TEXT NOT NULL,
    avatar TEXT NULL,
    action INTEGER NOT NULL DEFAULT 0
)
"""
_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
_GET_META = "SELECT value FROM meta WHERE key = ?"
_SET_META = "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"
_DELETE_META = "DELETE FROM meta WHERE key = ?"
_EPOCH, _TOPIC, _MOTD = "epoch", "topic", "motd"
"""Keys of ``meta``: the seqs' epoch, the room's topic and its message of the day."""
_ANY_MESSAGE = "SELECT 1 FROM messages LIMIT 1"
_SET_SEQUENCE = "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)"
_DELETE_SEQUENCE = "DELETE FROM sqlite_sequence WHERE name = ?"
_STAGED = "messages_loading"
"""The table a load (``admin -l``) fills in slices before it becomes ``messages``."""
_REPLACED = "messages_replaced"
"""The history a load replaced, dropped in slices after the swap."""
_STAGE = (f"INSERT INTO {_STAGED} (seq, ts, sender, text, avatar, action) "
          "VALUES (?, ?, ?, ?, ?, ?)")
_DROP_STAGED = f"DROP TABLE IF EXISTS {_STAGED}"
_DROP_REPLACED = f"DROP TABLE IF EXISTS {_REPLACED}"
_DELETE_REPLACED = (f"DELETE FROM {_REPLACED} WHERE rowid IN "
                    f"(SELECT rowid FROM {_REPLACED} LIMIT ?)")
_COLUMNS = "PRAGMA table_info(messages)"
_ADD_ACTION = "ALTER TABLE messages ADD COLUMN action INTEGER NOT NULL DEFAULT 0"
"""A database from before emotes (issue 6) gets the column, every old row a plain message."""
_INSERT = "INSERT INTO messages (ts, sender, text, avatar, action) VALUES (?, ?, ?, ?, ?)"
_SELECT = "SELECT seq, ts, sender, text, avatar, action FROM messages"
_ALL = _SELECT + " ORDER BY seq"
_UP_TO = _SELECT + " WHERE seq <= ? ORDER BY seq"
_AFTER = _SELECT + " WHERE seq > ? ORDER BY seq"
_NEWEST = _SELECT + " ORDER BY seq DESC LIMIT ?"
_NEWEST_AFTER = _SELECT + " WHERE seq > ? ORDER BY seq DESC LIMIT ?"
_LAST_SEQ = "SELECT seq FROM sqlite_sequence WHERE name = 'messages'"
# Among rows up to seq ``?``, deletes every row up to the one just older than the newest
# ``?`` of them; none if there are fewer. Rows after that seq stay.
_KEEP_LAST = (
    "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE seq <= ("
    "SELECT seq FROM messages WHERE seq <= ? ORDER BY seq DESC LIMIT 1 OFFSET ?) "
    "ORDER BY seq LIMIT ?)"
)


def _message(row: Any) -> Message:
    """The Message of a selected row (``action`` is stored as 0 or 1)."""
    seq, ts, sender, text, avatar, action = row
    return Message(seq, ts, sender, text, avatar, bool(action))


def _oldest_first(rows: list[Any]) -> list[Message]:
    """Messages of rows selected newest first, in chronological order."""
    return [_message(row) for row in reversed(rows)]


def _check_count(count: int) -> None:
    """Refuse a negative limit (SQLite would read LIMIT -1 as no limit at all)."""
    if count < 0:
        raise ValueError(f"a message count must not be negative, not {count}")


class History:
    """Stored chat messages with their ``seq``; not thread-safe, use from one thread."""

    def __init__(self, path: Path, *,
                 on_pending: Callable[[History], None] | None = None) -> None:
        """Open (or create) the history at ``path``; ``on_pending`` is told each time an
        ``append(commit=False)`` opens a transaction, so a caller holding many histories
        commits only those with pending writes."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._on_pending = on_pending
        # Opened by whichever thread starts the server, then used by the reactor alone.
        self._db = sqlite3.connect(path, check_same_thread=False)
        self.changes = 0
        """Counts every change (appends, deletes, replacements), for caches of reads."""
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._db:
            self._db.execute(_SCHEMA)
            self._db.execute(_META)
            self._db.execute(_DROP_STAGED)  # what a load cut short by a stop left
            self._db.execute(_DROP_REPLACED)
            columns = {row[1] for row in self._db.execute(_COLUMNS)}
            if "action" not in columns:
                self._db.execute(_ADD_ACTION)
        self._mark = SeqMark(path.with_name(path.name + ".seq"))
        self.epoch = self._open_epoch(self._mark.stored)
        """The random id of this database's seqs (``welcome`` carries it)."""
        self._mark.note(self.last_seq)
        self._topic = self._meta(_TOPIC)
        self._motd = self._meta(_MOTD)

    def _open_epoch(self, mark: int | None) -> str:
        """This database's epoch, made now for a new one; a new one too, and the seqs
        continued after ``mark``, when the database ends before it."""
        stored = self._meta(_EPOCH)
        last = self.last_seq
        lost = mark is not None and mark > last
        if stored is not None and not lost:
            return stored
        epoch = secrets.token_hex(8)
        with self._db:
            self._db.execute(_SET_META, (_EPOCH, epoch))
            if mark is not None and lost:
                self._set_sequence("messages", mark)
        if lost:
            log.warning("the history in %s ends at seq %d, but seq %d was stored before: it "
                        "lost its tail (was its -wal file deleted or damaged?). New messages "
                        "go on after seq %d, under a new epoch, so clients reload their "
                        "history", self.path, last, mark, mark)
        return epoch

    def _insert(
        self, ts: float, sender: str, text: str, avatar: str | None, action: bool
    ) -> int:
        """Insert one row inside the caller's transaction and return its seq."""
        seq = self._db.execute(_INSERT, (ts, sender, text, avatar, int(action))).lastrowid
        self.changes += 1
        assert seq is not None  # always set by an INSERT
        return seq

    def append(
        self, sender: str, text: str, avatar: str | None, ts: float | None = None,
        *, commit: bool = True, action: bool = False,
    ) -> Message:
        """Store a message (``ts`` defaults to now; ``action`` for an emote) and return it.

        With ``commit=False`` the row joins the open transaction, to be made durable by
        ``commit`` (the server commits once per loop pass, before anything is sent).
        """
        when = time.time() if ts is None else ts
        was_pending = self._db.in_transaction
        seq = self._insert(when, sender, text, avatar, action)
        if commit:
            self.commit()
        elif not was_pending and self._on_pending is not None:
            self._on_pending(self)
        return Message(seq, when, sender, text, avatar, action)

    def commit(self) -> None:
        """Make every appended message durable (nothing to do when none is pending)."""
        if self._db.in_transaction:
            self._db.commit()
            self._mark.note(self.last_seq)

    def recent(self, limit: int = WELCOME_HISTORY) -> list[Message]:
        """The newest ``limit`` messages, oldest first."""
        _check_count(limit)
        return _oldest_first(self._db.execute(_NEWEST, (limit,)).fetchall())

    def since(self, seq: int, limit: int = SINCE_HISTORY) -> tuple[list[Message], bool]:
        """The newest ``limit`` messages after ``seq``, oldest first, and whether more
        than ``limit`` came after ``seq`` (so the older ones were left out)."""
        _check_count(limit)
        rows = self._db.execute(_NEWEST_AFTER, (seq, limit + 1)).fetchall()
        return _oldest_first(rows[:limit]), len(rows) > limit

    def all(self) -> list[Message]:
        """Every stored message, oldest first."""
        return [_message(row) for row in self._db.execute(_ALL)]

    @property
    def has_messages(self) -> bool:
        """Whether any message is stored (one indexed step, however long the history)."""
        return self._db.execute(_ANY_MESSAGE).fetchone() is not None

    @property
    def last_seq(self) -> int:
        """The highest seq ever assigned (0 before the first); deletes do not lower it."""
        row = self._db.execute(_LAST_SEQ).fetchone()
        return 0 if row is None else int(row[0])

    def keep_last(self, count: int, up_to: int | None = None, limit: int = -1) -> int:
        """Delete all but the newest ``count`` messages (of those up to seq ``up_to``, the
        later ones all staying), the oldest first and at most ``limit`` of them (-1: no
        limit; call again for the next slice); return how many were deleted."""
        _check_count(count)
        self.changes += 1
        with self._db:
            last = self.last_seq if up_to is None else up_to
            return self._db.execute(_KEEP_LAST, (last, count, limit)).rowcount

    def after(self, seq: int) -> list[Message]:
        """Every message after ``seq``, oldest first."""
        return [_message(row) for row in self._db.execute(_AFTER, (seq,))]

    # -- the room's settings, in ``meta`` -------------------------------------------------

    @property
    def topic(self) -> str | None:
        """The room's topic, None when it has none."""
        return self._topic

    def set_topic(self, text: str | None) -> None:
        """Set the room's topic (None or empty: none), committed at once."""
        self._topic = self._set_meta(_TOPIC, text)

    @property
    def motd(self) -> str | None:
        """The room's message of the day, None when it has none."""
        return self._motd

    def set_motd(self, text: str | None) -> None:
        """Set the room's message of the day (None or empty: none), committed at once."""
        self._motd = self._set_meta(_MOTD, text)

    def _meta(self, key: str) -> str | None:
        """The value kept under ``key`` in ``meta``, None when there is none."""
        row = self._db.execute(_GET_META, (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, text: str | None) -> str | None:
        """Keep ``text`` under ``key`` (None or empty: remove it) and commit, with any
        appends pending; the value now kept."""
        value = text or None
        if value is None:
            self._db.execute(_DELETE_META, (key,))
        else:
            self._db.execute(_SET_META, (key, value))
        self.commit()
        return value

    # -- a load (admin -l) in slices: staged beside the history, swapped in at once -------

    def begin_load(self, count: int) -> int:
        """Start replacing the history with ``count`` messages: they are staged in a table
        of their own while the history goes on, under seqs reserved now (later messages
        come after them); the first of those seqs."""
        first = self.last_seq + 1
        with self._db:
            self._db.execute(_DROP_STAGED)  # left over from a load that was cut short
            self._db.execute(_SCHEMA.replace("messages", _STAGED))
            self._set_sequence("messages", first - 1 + count)
        return first

    def stage(self, first: int, entries: Sequence[SavedMessage]) -> None:
        """Stage ``entries`` of a load under seqs from ``first``; they have no avatar,
        emotes stay emotes."""
        rows = [(first + number, entry.ts, entry.sender, entry.text, None, int(entry.action))
                for number, entry in enumerate(entries)]
        with self._db:
            self._db.executemany(_STAGE, rows)

    def finish_load(self, up_to: int) -> list[Message]:
        """The staged messages become the history, followed by the messages said after
        seq ``up_to`` (with new seqs after every other, so a seq is never reused), in one
        transaction that renames tables and copies only those few. The old history waits
        in a table of its own to be dropped in slices (``drop_replaced``). The messages
        said meanwhile, as they were."""
        meanwhile = self.after(up_to)
        rows = [(message.ts, message.sender, message.text, message.avatar,
                 int(message.action)) for message in meanwhile]
        self.changes += 1
        with self._db:
            self._set_sequence(_STAGED, self.last_seq)
            self._db.executemany(_INSERT.replace("messages", _STAGED), rows)
            self._db.execute(f"ALTER TABLE messages RENAME TO {_REPLACED}")
            self._db.execute(f"ALTER TABLE {_STAGED} RENAME TO messages")
        self._mark.note(self.last_seq)
        return meanwhile

    def drop_replaced(self, rows: int) -> bool:
        """Delete up to ``rows`` rows of the history a load replaced; True once none is
        left (and its table is gone)."""
        with self._db:
            deleted = self._db.execute(_DELETE_REPLACED, (rows,)).rowcount
            if deleted < rows:
                self._db.execute(_DROP_REPLACED)
                return True
        return False

    def abort_load(self) -> None:
        """Drop what a load staged (its reserved seqs stay unused)."""
        with self._db:
            self._db.execute(_DROP_STAGED)

    def _set_sequence(self, table: str, seq: int) -> None:
        """Make ``table``'s next AUTOINCREMENT seq ``seq + 1``, inside the caller's
        transaction."""
        self._db.execute(_DELETE_SEQUENCE, (table,))
        self._db.execute(_SET_SEQUENCE, (table, seq))

    def close(self) -> None:
        """Commit what is pending and close (again: nothing); unusable afterwards."""
        with contextlib.suppress(sqlite3.ProgrammingError):  # already closed
            self.commit()
        self._db.close()
        self._mark.close()


def read_up_to(path: Path, seq: int) -> list[Message]:
    """The messages stored at ``path`` up to ``seq``, oldest first, read on a connection
    of their own: for a worker thread, while the reactor goes on writing (WAL lets one
    reader and the writer work at once, each on a consistent snapshot)."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [_message(row) for row in db.execute(_UP_TO, (seq,))]
    finally:
        db.close()
