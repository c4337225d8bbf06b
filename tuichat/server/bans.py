"""Bans on addresses and names, kept in ``DATA_DIR/bans.json`` across restarts.

A ban has a kind and a target: an address (the host part, no port, canonical) or a name
(as names are compared: NFC, case-folded). It also keeps the name it was aimed at, the
admin who set it and when it ends (Unix time, or None for "until lifted"). Expired bans are
dropped lazily, when the list is next read. Files written before bans had kinds (every
entry an address ban with an ``address`` key) still load. Used from the reactor thread
only.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from tuichat.files import write_private
from tuichat.net.names import name_key, name_problem, normalize_name

log = logging.getLogger("tuichat.server")

MAX_BAN_MINUTES = 525_600
"""The longest timed ban: a year."""


def canonical_address(text: str) -> str | None:
    """``text`` as an IP address in its one canonical spelling, or None when it is not
    one (an IPv4 address mapped into IPv6 is the IPv4 address)."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


class BanKind(StrEnum):
    """What a ban refuses (room is left for a third: an SSH key)."""

    ADDRESS = "address"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class Ban:
    """One ban: on an address, or on a name without its address."""

    kind: BanKind
    target: str
    """The canonical address, or the name's key (``name_key``)."""
    name: str | None
    """The name it was aimed at, as spelled (for an address ban: who was connected from
    it, if anyone)."""
    by: str
    until: float | None
    """Unix time the ban ends; None: until ``admin -ub``."""

    def active(self, now: float) -> bool:
        """True while the ban holds."""
        return self.until is None or now < self.until

    @property
    def until_text(self) -> str:
        """``2026-11-25 18:30 UTC``, or ``admin -ub`` for a ban without an end."""
        if self.until is None:
            return "admin -ub"
        return datetime.fromtimestamp(self.until, UTC).strftime("%Y-%m-%d %H:%M UTC")

    @property
    def subject(self) -> str:
        """What is banned, for people: ``127.0.0.2``, ``the name 'bob'``."""
        return self.target if self.kind is BanKind.ADDRESS else f"the name {self.name!r}"

    @property
    def refusal(self) -> str:
        """The text of the ``banned`` error refusing a ``hello``."""
        until = "" if self.until is None else f" until {self.until_text}"
        if self.kind is BanKind.ADDRESS:
            return f"your address ({self.target}) is banned{until}"
        return f"the name {self.name!r} is banned{until}"


class BanList:
    """The bans in force; ``clock`` gives Unix time (injected by tests)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._clock = clock
        self._bans = {(ban.kind, ban.target): ban for ban in _load(path)}
        self.unsaved: str | None = None
        """Why the last change could not be written (so it holds only until a restart),
        or None when it was."""

    def ban_address(self, address: str, name: str | None, by: str, minutes: int | None) -> Ban:
        """Ban ``address`` (a canonical address) for ``minutes``, or until lifted; ``name``:
        who was connected from it. A ban already on it is replaced. Saved at once."""
        return self._add(BanKind.ADDRESS, address, name, by, minutes)

    def ban_name(self, name: str, by: str, minutes: int | None) -> Ban:
        """Ban the name ``name`` (a valid name), from every address; as ``ban_address``."""
        return self._add(BanKind.NAME, name_key(name), normalize_name(name), by, minutes)

    def _add(self, kind: BanKind, target: str, name: str | None, by: str,
             minutes: int | None) -> Ban:
        until = None if minutes is None else self._clock() + minutes * 60
        ban = Ban(kind, target, name, by, until)
        self._bans.pop((kind, target), None)  # a replaced ban becomes the newest
        self._bans[(kind, target)] = ban
        self._save()
        return ban

    def lift(self, ban: Ban) -> None:
        """Lift ``ban`` (one from this list). Saved at once."""
        if self._bans.pop((ban.kind, ban.target), None) is not None:
            self._save()

    def on_address(self, address: str) -> Ban | None:
        """The ban in force on ``address`` (canonical), if any."""
        return self._get(BanKind.ADDRESS, address)

    def on_name(self, name: str) -> Ban | None:
        """The ban in force on the name ``name`` (compared as names are), if any."""
        return self._get(BanKind.NAME, name_key(name))

    def aimed_at(self, name: str) -> Ban | None:
        """The newest address ban set on ``name``'s address while it was connected."""
        wanted = name_key(name)
        named = [ban for ban in self.active() if ban.kind is BanKind.ADDRESS
                 and ban.name is not None and name_key(ban.name) == wanted]
        return named[-1] if named else None

    def _get(self, kind: BanKind, target: str) -> Ban | None:
        self._drop_expired()
        return self._bans.get((kind, target))

    def active(self) -> list[Ban]:
        """Every ban in force, oldest first."""
        self._drop_expired()
        return list(self._bans.values())

    def _drop_expired(self) -> None:
        now = self._clock()
        for key in [key for key, ban in self._bans.items() if not ban.active(now)]:
            del self._bans[key]

    def _save(self) -> None:
        """Write the bans in force; a failure is logged and kept in ``unsaved``, and the
        bans hold for this run."""
        data = {"bans": [asdict(ban) for ban in self.active()]}
        try:
            write_private(self._path, (json.dumps(data, indent=1) + "\n").encode())
        except OSError as exc:
            log.error("could not store the bans in %s: %s", self._path, exc)
            self.unsaved = f"{self._path.name} could not be written ({exc.strerror or exc})"
        else:
            self.unsaved = None


_MALFORMED = (ValueError, KeyError, TypeError, OverflowError)


def _load(path: Path) -> list[Ban]:
    """The bans stored in ``path``; none when it is missing, or (with a warning) when it
    cannot be read or is not a list of bans. A malformed entry is skipped with a warning,
    so one bad line does not lift every other ban."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["bans"]
        if not isinstance(entries, list):
            raise TypeError("'bans' must be a list")
    except FileNotFoundError:
        return []
    except (OSError, *_MALFORMED) as exc:
        log.warning("ignoring the unreadable ban list %s (%s): no one is banned", path, exc)
        return []
    bans = []
    for entry in entries:
        try:
            bans.append(_ban(entry))
        except _MALFORMED as exc:
            log.warning("skipping a malformed ban in %s (%s): %.80r", path, exc, entry)
    return bans


def _ban(entry: Any) -> Ban:
    """One stored ban; TypeError, ValueError or KeyError when it is malformed. An entry
    without ``kind`` is an address ban as written before bans had kinds."""
    name, by, until = entry["name"], entry["by"], entry["until"]
    if "kind" in entry:
        kind, target = BanKind(entry["kind"]), entry["target"]
    else:
        kind, target = BanKind.ADDRESS, entry["address"]
    if not isinstance(target, str):
        raise TypeError("the target must be a string")
    if kind is BanKind.ADDRESS and canonical_address(target) != target:
        raise ValueError(f"not an address: {target!r}")
    if kind is BanKind.NAME:
        if not isinstance(name, str) or name_problem(name) is not None:
            raise ValueError(f"not a banned name: {name!r}")
        target = name_key(name)  # as names are compared now, should the rule have grown
    if not (isinstance(name, str | None) and isinstance(by, str)):
        raise TypeError("name and by must be strings")
    if until is None:
        return Ban(kind, target, name, by, None)
    if isinstance(until, bool) or not isinstance(until, int | float):
        raise TypeError("until must be a number or null")
    datetime.fromtimestamp(until, UTC)  # OverflowError or ValueError when out of range
    return Ban(kind, target, name, by, float(until))
