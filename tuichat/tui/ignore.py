"""Who the user ignores, remembered per server in ``ignored.json`` in the state dir.

Ignoring is the client's business alone: the server still sends everything, and the log
hides what comes from an ignored name. Names compare case-insensitively, as on the server.
An ignored user who renames stays ignored under the new name, and the lines they wrote
under the names they had before in this session stay hidden (the log knows each line's
sender only by the name it was sent under).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import platformdirs

from tuichat.files import write_private
from tuichat.tui.settings import APP_NAME

log = logging.getLogger(__name__)

MAX_IGNORED = 1_000
"""Most names remembered per server, so the file stays small."""


def ignore_path() -> Path:
    """The file, e.g. ``~/.local/state/tuichat/ignored.json``."""
    return platformdirs.user_state_path(APP_NAME, appauthor=False) / "ignored.json"


class IgnoreList:
    """The names ignored on one server (``host:port``), saved at each change."""

    def __init__(self, server: str, path: Path | None = None) -> None:
        self.server = server
        self._path = path if path is not None else ignore_path()
        self._names: dict[str, str] = {}
        """Casefolded name to the name as the user typed it."""
        self._former: dict[str, frozenset[str]] = {}
        """Casefolded name to the casefolded names that user had before in this session."""
        for name in self._read().get(server, []):
            if isinstance(name, str) and name:
                self._names[name.casefold()] = name

    @property
    def names(self) -> list[str]:
        """Ignored names as typed, in the order they were added."""
        return list(self._names.values())

    @property
    def keys(self) -> frozenset[str]:
        """Ignored names and the names they had before, casefolded (what the log compares
        with)."""
        return frozenset(self._names).union(*self._former.values())

    def __contains__(self, name: str) -> bool:
        return name.casefold() in self._names

    def add(self, name: str) -> bool:
        """Ignore ``name``; False if it already was (or the list is full)."""
        if name in self or len(self._names) >= MAX_IGNORED:
            return False
        self._names[name.casefold()] = name
        self._save()
        return True

    def remove(self, name: str) -> bool:
        """Stop ignoring ``name``; False if it was not ignored."""
        if self._names.pop(name.casefold(), None) is None:
            return False
        self._former.pop(name.casefold(), None)
        self._save()
        return True

    def rename(self, old: str, new: str) -> None:
        """Follow an ignored user who renamed themselves (``/nick``), keeping what they
        wrote as ``old`` hidden."""
        if old in self and new not in self:
            del self._names[old.casefold()]
            self._names[new.casefold()] = new
            former = self._former.pop(old.casefold(), frozenset())
            self._former[new.casefold()] = former | {old.casefold()}
            self._save()

    def _read(self) -> dict[str, list[Any]]:
        try:
            data = json.loads(self._path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring %s: %s", self._path, exc)
            return {}
        if not isinstance(data, dict):
            log.warning("ignoring %s: not a JSON object", self._path)
            return {}
        return {key: value for key, value in data.items() if isinstance(value, list)}

    def _save(self) -> None:
        """Write every server's list back, this one updated; a failure is only logged."""
        data = self._read()
        if self._names:
            data[self.server] = self.names
        else:
            data.pop(self.server, None)
        try:
            write_private(self._path, json.dumps(data, ensure_ascii=False, indent=1).encode())
        except OSError as exc:
            log.warning("could not save the ignore list in %s: %s", self._path, exc)
