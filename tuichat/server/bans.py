"""Banned addresses, kept in ``DATA_DIR/bans.json`` across restarts.

A ban names an address (the host part, no port), the user it was aimed at, the admin who
set it and when it ends (Unix time, or None for "until lifted"). Expired bans are dropped
lazily, when the list is next read. Used from the reactor thread only.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tuichat.files import write_private

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


@dataclass(frozen=True, slots=True)
class Ban:
    """One banned address."""

    address: str
    name: str | None
    """Who was connected from it when it was banned by name, if anyone."""
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


class BanList:
    """The bans in force; ``clock`` gives Unix time (injected by tests)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._clock = clock
        self._bans = {ban.address: ban for ban in _load(path)}

    def ban(self, address: str, name: str | None, by: str, minutes: int | None) -> Ban:
        """Ban ``address`` (a canonical address) for ``minutes``, or until lifted; a ban
        already on it is replaced. Saved at once."""
        until = None if minutes is None else self._clock() + minutes * 60
        ban = Ban(address, name, by, until)
        self._bans[address] = ban
        self._save()
        return ban

    def lift(self, address_or_name: str) -> Ban | None:
        """Lift the ban on an address, or else on the one ban aimed at that name (the
        newest if several); None when neither is banned."""
        ban = self.get(canonical_address(address_or_name) or "")
        if ban is None:
            wanted = address_or_name.casefold()
            named = [ban for ban in self.active() if (ban.name or "").casefold() == wanted]
            ban = named[-1] if named else None
        if ban is not None:
            del self._bans[ban.address]
            self._save()
        return ban

    def get(self, address: str) -> Ban | None:
        """The ban in force on ``address``, if any."""
        self._drop_expired()
        return self._bans.get(address)

    def active(self) -> list[Ban]:
        """Every ban in force, oldest first."""
        self._drop_expired()
        return list(self._bans.values())

    def _drop_expired(self) -> None:
        now = self._clock()
        for address in [key for key, ban in self._bans.items() if not ban.active(now)]:
            del self._bans[address]

    def _save(self) -> None:
        """Write the bans in force; a failure is logged, and the bans hold for this run."""
        data = {"bans": [asdict(ban) for ban in self.active()]}
        try:
            write_private(self._path, (json.dumps(data, indent=1) + "\n").encode())
        except OSError as exc:
            log.error("could not store the bans in %s: %s", self._path, exc)


def _load(path: Path) -> list[Ban]:
    """The bans stored in ``path``; none when it is missing, or (with a warning) when it
    cannot be read or is not a list of bans."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [_ban(entry) for entry in data["bans"]]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError, OverflowError) as exc:
        log.warning("ignoring the unreadable ban list %s (%s): no address is banned", path, exc)
        return []


def _ban(entry: Any) -> Ban:
    """One stored ban; TypeError or ValueError when it is malformed."""
    address, name, by, until = entry["address"], entry["name"], entry["by"], entry["until"]
    if not isinstance(address, str) or canonical_address(address) != address:
        raise ValueError(f"not an address: {address!r}")
    if not (isinstance(name, str | None) and isinstance(by, str)):
        raise TypeError("name and by must be strings")
    if until is None:
        return Ban(address, name, by, None)
    if isinstance(until, bool) or not isinstance(until, int | float):
        raise TypeError("until must be a number or null")
    datetime.fromtimestamp(until, UTC)  # OverflowError or ValueError when out of range
    return Ban(address, name, by, float(until))
