"""Which picture to draw for whom: fetched avatars, identicons, the Console's avatar.

The book keeps avatar bytes by hash (memory, then the disk cache), asks the link for the
ones it lacks (once per hash), and hands out rendered strips from the renderer's cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from textual.cache import LRUCache
from textual.strip import Strip

from tuichat.net.frames import CONSOLE, is_sha256
from tuichat.tui.avatars import AvatarDiskCache, AvatarRenderer, identicon

MAX_IDENTICONS = 1_024
MAX_PNGS_IN_MEMORY = 256
"""Avatar PNGs kept in memory (at most 256 KiB each); older ones are read from disk again."""


class AvatarBook:
    """Avatar bytes by hash and identicons by name, for the log and the user list."""

    def __init__(self, disk: AvatarDiskCache, renderer: AvatarRenderer,
                 fetch: Callable[[str], None]) -> None:
        self._disk = disk
        self._renderer = renderer
        self._fetch = fetch
        self._pngs: LRUCache[str, bytes] = LRUCache(MAX_PNGS_IN_MEMORY)
        self._asked: set[str] = set()
        self._missing: set[str] = set()
        self._identicons: dict[str, bytes] = {}
        self.console_avatar: str | None = None

    def set_fetch(self, fetch: Callable[[str], None]) -> None:
        self._fetch = fetch

    def strips(self, sender: str, avatar: str | None, columns: int) -> list[Strip]:
        """The picture of ``sender`` with avatar hash ``avatar`` (None: their identicon)."""
        if avatar is None and sender == CONSOLE:
            avatar = self.console_avatar
        if avatar is None or not is_sha256(avatar) or avatar in self._missing:
            return self._renderer.strips(f"identicon:{sender}", self._identicon(sender), columns)
        png = self._png(avatar)
        if png is None:
            return self._renderer.placeholder(columns)
        return self._renderer.strips(avatar, png, columns)

    def arrived(self, sha256: str, png: bytes | None) -> None:
        """An avatar came from the server (None: the server does not have it)."""
        self._asked.discard(sha256)
        if png is not None and hashlib.sha256(png).hexdigest() != sha256:
            png = None  # not the picture that was asked for: never show it
        if png is None:
            self._missing.add(sha256)
            return
        self._pngs.set(sha256, png)
        self._disk.put(png)

    def knows(self, sha256: str) -> bool:
        """True when the bytes for ``sha256`` are at hand (memory or disk)."""
        return self._png(sha256, fetch=False) is not None

    def forget_requests(self) -> None:
        """The session ended: requests in flight will not be answered; ask again later."""
        self._asked.clear()

    def _png(self, sha256: str, *, fetch: bool = True) -> bytes | None:
        png = self._pngs.get(sha256)
        if png is None:
            png = self._disk.get(sha256)
            if png is not None:
                self._pngs.set(sha256, png)
            elif fetch and sha256 not in self._asked:
                self._asked.add(sha256)
                self._fetch(sha256)
        return png

    def _identicon(self, name: str) -> bytes:
        png = self._identicons.get(name)
        if png is None:
            if len(self._identicons) >= MAX_IDENTICONS:
                self._identicons.clear()
            png = self._identicons[name] = identicon(name)
        return png
