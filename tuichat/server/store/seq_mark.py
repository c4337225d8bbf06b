"""The highest seq ever stored, kept in a small file beside the history's database.

SQLite keeps the newest commits in its ``-wal`` file until a checkpoint; if that file is
deleted or damaged, the database opens without a word, its tail gone, and would hand out
those seqs again. The mark is written after every commit (a few bytes in place, no
``fsync``: it needs to outlive the process, as the WAL does, not a power cut), so the next
start can tell that the database ends before the mark.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

WIDTH = 24
"""Bytes the mark takes: every seq SQLite can give, and a newline, in place."""


class SeqMark:
    """``DATA_DIR/history.sqlite3.seq``: one decimal seq, rewritten in place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stored = _read(path)
        """The mark found at start: None when there was none (a first start) or it was
        unreadable."""
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._noted = -1

    def note(self, seq: int) -> None:
        """Record ``seq`` as the highest stored (nothing to do when it already is)."""
        if seq != self._noted:
            os.pwrite(self._fd, f"{seq}\n".ljust(WIDTH).encode("ascii"), 0)
            self._noted = seq

    def close(self) -> None:
        """Close the file (again: nothing)."""
        with contextlib.suppress(OSError):
            os.close(self._fd)


def _read(path: Path) -> int | None:
    """The seq in ``path``, or None when it is missing or not a seq."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        seq = int(text.strip())
    except ValueError:
        return None
    return seq if seq >= 0 else None
