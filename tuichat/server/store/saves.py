"""Admin save files: the chat history as a readable UTF-8 transcript under ``saves/``.

A transcript starts with a ``#`` comment line, then holds one block per message::

    # tuichat history of #dev, saved 2026-11-25 13:40:00 UTC, 3 messages
    [2026-11-25 13:39:01] alice: hello
    [2026-11-25 13:39:30] bob: two
        lines
    [2026-11-25 13:39:45] * alice waves

Times are UTC to the second. An emote is ``* sender text`` (names hold neither ``*`` nor
spaces, so it cannot be mistaken for a message). Extra lines of a message are indented by
exactly four spaces (the indent is not part of the text). Blank lines and ``#`` lines
between messages are skipped; they also end the message before them. The header names
the room saved (files from before rooms have ``# tuichat history, saved ...``); a file
of one room loads into any room.

A save is named ``chat-YYYYmmdd-HHMMSS.txt`` in the default room (as before rooms) and
``<stem>-chat-YYYYmmdd-HHMMSS.txt`` in any other (``dev-chat-20261201-120000.txt`` for
``#dev``), so one directory holds the saves of every room and each file's name tells its
room.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from tuichat.files import write_private
from tuichat.net.frames import CONSOLE, Message, text_problem
from tuichat.net.names import name_problem, normalize_name
from tuichat.net.rooms import DEFAULT_ROOM, ROOM_PREFIX, room_stem

MAX_SAVE_BYTES = 16 * 1024 * 1024
"""Largest save file ``load`` reads."""
_MAX = f"{MAX_SAVE_BYTES:,}"

_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.txt")
_SAVED_NAME = re.compile(
    r"(?:(?P<stem>[a-z0-9][a-z0-9_-]{0,30})-)?chat-[0-9]{8}-[0-9]{6}[A-Za-z0-9._-]*\.txt")
"""A name ``save`` gives: the room's stem first outside the default room."""
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_INDENT = "    "
_EXAMPLE = "'[2026-11-25 13:39:01] alice: hello'"


@dataclass(frozen=True, slots=True)
class SavedMessage:
    """One message read from a save file; ``ts`` is UTC epoch seconds."""

    ts: float
    sender: str
    text: str
    action: bool = False


@dataclass(frozen=True, slots=True)
class SavedFile:
    """One file ``load`` could be given: its bare name, size, last change (Unix time) and
    the room its name says it was saved in (None for a name ``save`` does not give)."""

    name: str
    size: int
    mtime: float
    room: str | None = None

    @property
    def size_text(self) -> str:
        """The size for people: ``812 B``, ``12.4 KiB``, ``3.1 MiB``."""
        if self.size < 1024:
            return f"{self.size} B"
        if self.size < 1024 * 1024:
            return f"{self.size / 1024:.1f} KiB"
        return f"{self.size / 1024 / 1024:.1f} MiB"

    @property
    def time_text(self) -> str:
        """When it was last written, in UTC to the minute."""
        return datetime.fromtimestamp(self.mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")


class SaveError(Exception):
    """A save file that cannot be loaded; ``str()`` is one line for the admin."""


def _stamp(moment: datetime) -> str:
    """``YYYY-mm-dd HH:MM:SS`` of an aware datetime, in UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "seconds")


def _utc(now: datetime | None) -> datetime:
    """``now`` in UTC (a naive datetime is taken as UTC), or the current time."""
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def format_transcript(messages: Iterable[Message], *, now: datetime | None = None,
                      room: str | None = None) -> str:
    """The save-file text for ``messages``; ``now`` (default: the current time) is the
    time named in the header, and ``room`` (if given) the room."""
    lines: list[str] = []
    count = 0
    for message in messages:
        count += 1
        first, *more = message.text.split("\n")
        when = _stamp(datetime.fromtimestamp(math.floor(message.ts), UTC))
        head = f"[{when}] * {message.sender}" if message.action else f"[{when}] {message.sender}:"
        lines.append(f"{head} {first}" if first else head)
        lines.extend(_INDENT + line for line in more)
    noun = "message" if count == 1 else "messages"
    of_room = "" if room is None else f" of {room}"
    header = f"# tuichat history{of_room}, saved {_stamp(_utc(now))} UTC, {count} {noun}"
    return "\n".join([header, *lines]) + "\n"


def _parse_head(line: str, number: int) -> tuple[float, str, str, bool]:
    """Time, sender, first text line and emote flag of a ``[time] sender: text`` or
    ``[time] * sender text`` line."""
    close = line.find("] ")
    if not line.startswith("[") or close < 0:
        raise SaveError(f"line {number}: expected a message line like {_EXAMPLE}")
    when = line[1:close]
    if _TIME.fullmatch(when) is None:
        raise SaveError(f"line {number}: expected a time like [2026-11-25 13:39:01], not [{when}]")
    try:  # the fields by position (the pattern matched): strptime took half the load time
        year, month, day = int(when[0:4]), int(when[5:7]), int(when[8:10])
        hour, minute, second = int(when[11:13]), int(when[14:16]), int(when[17:19])
        ts = datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()
    except ValueError:
        raise SaveError(f"line {number}: {when} is not a valid date and time") from None
    body = line[close + 2 :]
    action = body.startswith("* ")
    if action:
        sender, _, rest = body[2:].partition(" ")
    else:
        sender, colon, rest = body.partition(":")
        if not colon:
            raise SaveError(f"line {number}: expected 'name: text' after the time")
        if rest and not rest.startswith(" "):
            raise SaveError(f"line {number}: expected a space after '{sender}:'")
        rest = rest[1:]
    sender, problem = _sender(sender)
    if problem is not None:
        raise SaveError(f"line {number}: bad sender {sender!r}: {problem}")
    return ts, sender, rest, action


@lru_cache(maxsize=256)
def _sender(raw: str) -> tuple[str, str | None]:
    """A sender's normalised name and why it is not a name (None if it is); a file names
    few senders many times."""
    sender = normalize_name(raw)
    return sender, None if sender == CONSOLE else name_problem(sender)


def parse_transcript(text: str) -> list[SavedMessage]:
    """The messages of a save file's text; SaveError ``line N: ...`` on anything malformed."""
    messages: list[SavedMessage] = []
    # The message being read: its first line's number, time, sender, emote flag and text
    # lines.
    current: tuple[int, float, str, bool, list[str]] | None = None

    def finish() -> None:
        nonlocal current
        if current is not None:
            start, ts, sender, action, parts = current
            body = "\n".join(parts)
            problem = text_problem(body)
            if problem is not None:
                raise SaveError(f"line {start}: {problem}")
            messages.append(SavedMessage(ts, sender, body, action))
            current = None

    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if current is not None and line.startswith(_INDENT):
            current[4].append(line[len(_INDENT) :])
        elif not line.strip() or line.startswith("#"):
            finish()
        elif line.startswith("["):
            finish()
            ts, sender, first, action = _parse_head(line, number)
            current = (number, ts, sender, action, [first])
        elif line.startswith(_INDENT):
            raise SaveError(
                f"line {number}: an indented line must follow a message line or its indented"
                " lines (a blank or # line ends a message)"
            )
        elif line[0].isspace():
            raise SaveError(f"line {number}: extra lines of a message are indented by 4 spaces")
        else:
            raise SaveError(f"line {number}: expected a message line like {_EXAMPLE}")
    finish()
    if not messages:
        raise SaveError("the file holds no messages")
    return messages


def saved_room(name: str, default_room: str = DEFAULT_ROOM) -> str | None:
    """The room a save file's bare ``name`` says it was saved in (``chat-...``: the
    default room), or None for a name ``save`` does not give."""
    match = _SAVED_NAME.fullmatch(name)
    if match is None:
        return None
    stem = match.group("stem")
    return default_room if stem is None else ROOM_PREFIX + stem


class SaveDir:
    """The directory of save files of every room; names are bare ``*.txt`` file names
    inside it. ``default_room`` is the room whose saves are named ``chat-...``."""

    def __init__(self, root: Path, default_room: str = DEFAULT_ROOM) -> None:
        self.root = root
        self.default_room = default_room

    def save(
        self, messages: Iterable[Message], now: datetime | None = None, suffix: str = "",
        *, room: str | None = None,
    ) -> str:
        """Write ``messages`` of ``room`` (default: the default room) to a new
        ``chat-YYYYmmdd-HHMMSS{suffix}.txt`` (UTC; the room's stem and ``-`` first outside
        the default room; ``-2``, ``-3``... added when taken) and return its bare name.
        The header names ``room`` when it is given.

        The name is claimed with an exclusive create, so no file is ever overwritten; the
        text goes to a temporary file that then atomically replaces the claimed name.
        """
        moment = _utc(now)
        prefix = "" if room in (None, self.default_room) else room_stem(room) + "-"
        stem = f"{prefix}chat-{moment:%Y%m%d-%H%M%S}{suffix}"
        if _FILE_NAME.fullmatch(stem + ".txt") is None:
            raise ValueError(f"suffix {suffix!r} does not make a valid save file name")
        data = format_transcript(messages, now=moment, room=room).encode()
        self.root.mkdir(parents=True, exist_ok=True)
        name, target = self._claim(stem)
        try:
            write_private(target, data)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return name

    def _claim(self, stem: str) -> tuple[str, Path]:
        """Create an empty file under the first free name ``stem.txt``, ``stem-2.txt``..."""
        number = 1
        while True:
            name = f"{stem}.txt" if number == 1 else f"{stem}-{number}.txt"
            target = self.root / name
            try:
                target.open("xb").close()
            except FileExistsError:
                number += 1
            else:
                return name, target

    def files(self) -> list[SavedFile]:
        """The plain files with save-file names (what ``load`` may be given) of every
        room, newest first, each with its room; none when the directory does not exist
        yet."""
        found = []
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return []
        for entry in entries:
            if _FILE_NAME.fullmatch(entry.name) is None:
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # gone since the scan
            found.append(SavedFile(entry.name, info.st_size, info.st_mtime,
                                   saved_room(entry.name, self.default_room)))
        return sorted(found, key=lambda file: (file.mtime, file.name), reverse=True)

    def load(self, name: str) -> list[SavedMessage]:
        """The messages of save file ``name``; SaveError with a one-line reason when it
        is not a plain, readable, well-formed save file inside the directory."""
        if _FILE_NAME.fullmatch(name) is None:
            raise SaveError(
                f"{name!r} is not a save file name: give a bare name like"
                " chat-20261125-134000.txt (letters, digits, '.', '_', '-', ending in .txt)"
            )
        data = self._read(name)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SaveError(f"{name}: not UTF-8 text (bad byte at offset {exc.start})") from None
        try:
            return parse_transcript(text)
        except SaveError as exc:
            raise SaveError(f"{name}: {exc}") from None

    def _read(self, name: str) -> bytes:
        """The bytes of regular file ``name`` in the directory, refusing symlinks."""
        path = self.root / name
        try:
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                raise SaveError(f"{name}: is a symbolic link; only plain files are loaded")
            if not stat.S_ISREG(info.st_mode):
                raise SaveError(f"{name}: is not a regular file")
            if info.st_size > MAX_SAVE_BYTES:
                raise SaveError(f"{name}: is {info.st_size:,} bytes; at most {_MAX} are loaded")
            # Defence in depth: a bare name that is no symlink cannot leave the directory.
            if path.resolve().parent != self.root.resolve():
                raise SaveError(f"{name}: is not inside the saves directory")
            # No-follow and non-blocking in case the file was swapped since the checks.
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            with os.fdopen(os.open(path, flags), "rb") as file:
                if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                    raise SaveError(f"{name}: is not a regular file")
                data = file.read(MAX_SAVE_BYTES + 1)
        except FileNotFoundError:
            raise SaveError(f"no save file named {name}") from None
        except OSError as exc:
            raise SaveError(f"{name}: cannot be read ({exc.strerror or exc})") from None
        if len(data) > MAX_SAVE_BYTES:
            raise SaveError(f"{name}: is over {_MAX} bytes; larger files are not loaded")
        return data
