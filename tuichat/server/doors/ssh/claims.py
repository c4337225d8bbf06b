"""Names claimed by SSH keys: the first key that logs in under a name holds it.

Kept in ``DATA_DIR/ssh/claims.json`` as ``{"claims": {NAME_KEY: {"name", "fingerprint",
"claimed", "avatar"}}}`` (``NAME_KEY`` as names are compared, ``net.names.name_key``), rewritten
atomically (``files.write_private``, mode 0600) on every change. A file that cannot be
read is logged and treated as empty; a malformed entry is logged and skipped, and the
others hold. Used from the SSH loop (logins) and the reactor (``admin -rk``): a lock keeps
the two apart.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from tuichat.files import write_private
from tuichat.net.frames import is_sha256
from tuichat.net.names import name_key, name_problem

log = logging.getLogger("tuichat.server")

FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")
"""A key's fingerprint as ``ssh-keygen -l`` prints it (unpadded base64 of 32 bytes)."""


@dataclass(frozen=True, slots=True)
class Claim:
    """``name`` (as it was claimed) is held by the key ``fingerprint`` since ``claimed``
    (Unix seconds); ``avatar``: the picture set with ``ssh NAME@HOST avatar``, if any."""

    name: str
    fingerprint: str
    claimed: float
    avatar: str | None = None


class Claims:
    """The claims in force, loaded once and saved on every change."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._claims = _load(path)

    def holder(self, name: str) -> Claim | None:
        """The claim on ``name`` (or a look-alike of it), if a key holds it."""
        with self._lock:
            return self._claims.get(name_key(name))

    def claim(self, name: str, fingerprint: str) -> Claim:
        """Give ``name`` to ``fingerprint`` unless a key holds it already; the claim in
        force either way (a failed save is logged: the claim holds for this run)."""
        with self._lock:
            key = name_key(name)
            held = self._claims.get(key)
            if held is not None:
                return held
            claim = self._claims[key] = Claim(name, fingerprint, self._clock())
            self._save()
        log.info("%s is claimed by the SSH key %s", name, fingerprint)
        return claim

    def set_avatar(self, name: str, fingerprint: str, avatar: str) -> bool:
        """Keep ``avatar`` with ``name``'s claim, if ``fingerprint`` holds it (else False)."""
        with self._lock:
            key = name_key(name)
            held = self._claims.get(key)
            if held is None or held.fingerprint != fingerprint:
                return False
            self._claims[key] = replace(held, avatar=avatar)
            self._save()
        return True

    def release(self, name: str) -> Claim | None:
        """Drop the claim on ``name``; the claim it was, or None when there was none."""
        with self._lock:
            claim = self._claims.pop(name_key(name), None)
            if claim is not None:
                self._save()
        return claim

    def __iter__(self) -> Iterator[Claim]:
        """Every claim, in no particular order (a copy: safe to iterate while it changes)."""
        with self._lock:
            return iter(list(self._claims.values()))

    def _save(self) -> None:
        data = {"claims": {key: asdict(claim) for key, claim in self._claims.items()}}
        try:
            write_private(self._path, (json.dumps(data, indent=1) + "\n").encode())
        except OSError as exc:
            log.error("could not store the SSH name claims in %s: %s", self._path, exc)


_MALFORMED = (ValueError, KeyError, TypeError)


def _load(path: Path) -> dict[str, Claim]:
    """The claims stored in ``path``: none when it is missing or unreadable (logged);
    a malformed entry is skipped with a warning and the others kept."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["claims"]
        if not isinstance(entries, dict):
            raise TypeError("'claims' must be an object")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, *_MALFORMED) as exc:
        log.warning("ignoring the unreadable SSH name claims %s (%s): no name is claimed",
                    path, exc)
        return {}
    claims: dict[str, Claim] = {}
    for entry in entries.values():
        try:
            claim = _claim(entry)
        except _MALFORMED as exc:
            log.warning("skipping a malformed SSH name claim in %s (%s): %.80r", path, exc,
                        entry)
            continue
        claims.setdefault(name_key(claim.name), claim)
    return claims


def _claim(entry: Any) -> Claim:
    """One stored claim; ValueError, KeyError or TypeError when it is malformed."""
    name, fingerprint, claimed = entry["name"], entry["fingerprint"], entry["claimed"]
    if not isinstance(name, str) or name_problem(name) is not None:
        raise ValueError(f"not a user name: {name!r}")
    if not isinstance(fingerprint, str) or not FINGERPRINT.fullmatch(fingerprint):
        raise ValueError(f"not a key fingerprint: {fingerprint!r}")
    if isinstance(claimed, bool) or not isinstance(claimed, int | float):
        raise TypeError("claimed must be a number")
    avatar = entry.get("avatar")
    if avatar is not None and not is_sha256(avatar):
        raise ValueError(f"not an avatar hash: {avatar!r}")
    return Claim(name, fingerprint, float(claimed), avatar)
