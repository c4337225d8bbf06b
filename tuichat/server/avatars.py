"""Avatar images: validation of uploads, their budget, a content-addressed store, the
Console's own picture.

``validate_avatar`` runs on worker threads; ``UploadBudget`` and ``AvatarStore`` are used
from the reactor thread; the store keeps no state beyond its files and a count of their bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import math
import os
import threading
import time
import warnings
from collections.abc import Callable, Collection, Hashable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from PIL import Image

from tuichat.files import write_private
from tuichat.net.frames import MAX_AVATAR_SIDE, MAX_PAYLOAD_BYTES, is_sha256
from tuichat.server.limits import Clock, TokenBucket

log = logging.getLogger("tuichat.server")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TRIM_TARGET = 0.9
"""A full store is trimmed to this share of its limit, so it is not rescanned per upload."""

UPLOAD_BURST = 3
"""Avatar uploads one session may make at once..."""
UPLOAD_INTERVAL = 10.0
"""... and then one per this many seconds."""
ROOM_UPLOAD_BURST = 20
"""Avatar uploads the whole room may make at once (each is checked, stored and broadcast)..."""
ROOM_UPLOAD_PER_SECOND = 2.0
"""... and then this many per second, however many sessions upload."""

# ``warnings.catch_warnings`` swaps the process-wide filter list on entry and restores it on
# exit; two threads inside it at once can restore each other's filters out of order. The
# lock keeps our own validations from interleaving there; it guards no data.
_WARNINGS_LOCK = threading.Lock()


class AvatarError(Exception):
    """An avatar was refused; ``str(exc)`` is a one-line reason fit to show the client."""


def validate_avatar(data: bytes, sha256: str) -> None:
    """Raise AvatarError unless ``data`` is a PNG avatar that may be stored as ``sha256``."""
    if not is_sha256(sha256):
        raise AvatarError("the avatar hash must be 64 lowercase hex digits")
    if len(data) > MAX_PAYLOAD_BYTES:
        raise AvatarError(
            f"the avatar is {len(data):,} bytes; at most {MAX_PAYLOAD_BYTES:,} are allowed"
        )
    if hashlib.sha256(data).hexdigest() != sha256:
        raise AvatarError("the avatar bytes do not match their SHA-256 hash")
    if not data.startswith(PNG_SIGNATURE):
        raise AvatarError("the avatar is not a PNG image")
    try:
        with _open_png(data) as image:
            width, height = image.size
            if not (1 <= width <= MAX_AVATAR_SIDE and 1 <= height <= MAX_AVATAR_SIDE):
                raise AvatarError(
                    f"the avatar is {width}x{height} pixels; "
                    f"each side must be 1 to {MAX_AVATAR_SIDE}"
                )
            image.load()
    except AvatarError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise AvatarError("the avatar claims too many pixels to decode safely") from exc
    # Pillow meets hostile input with many exception types (OSError, SyntaxError, ValueError,
    # struct.error, EOFError, ...); at this boundary every one of them means "unusable image".
    except Exception as exc:
        raise AvatarError("the avatar is not a valid PNG image (corrupt or truncated)") from exc


def _open_png(data: bytes) -> Image.Image:
    """Open ``data`` as a PNG, reading only its header, with decompression-bomb warnings
    raised as errors (Pillow's global MAX_IMAGE_PIXELS stays as it is)."""
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return Image.open(io.BytesIO(data), formats=["PNG"])


class UploadBudget:
    """How many avatar uploads may be checked: each uploader's own bucket (``UPLOAD_BURST``,
    then one per ``UPLOAD_INTERVAL`` s) within one for the whole room."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._room = TokenBucket(ROOM_UPLOAD_BURST, ROOM_UPLOAD_PER_SECOND, clock)
        self._own: dict[Hashable, TokenBucket] = {}

    def refusal(self, uploader: Hashable) -> str | None:
        """Spend one upload of ``uploader``'s and the room's; why not, when over either."""
        own = self._own.get(uploader)
        if own is None:
            own = self._own[uploader] = TokenBucket(UPLOAD_BURST, 1 / UPLOAD_INTERVAL,
                                                    self._clock)
        if not own.take():
            return (f"too many avatar uploads (at most {UPLOAD_BURST} at once, then one "
                    f"every {UPLOAD_INTERVAL:g} s); try again in {math.ceil(own.wait())} s")
        if not self._room.take():
            return ("the server is taking too many avatar uploads; try again in "
                    f"{math.ceil(self._room.wait())} s")
        return None

    def forget(self, uploader: Hashable) -> None:
        """Drop an uploader's bucket (its session ended)."""
        self._own.pop(uploader, None)


class AvatarStore:
    """Validated avatars kept as ``<root>/<sha256>.png``, addressed only by their hash.

    With a ``limit``, the store holds at most that many bytes: a ``put`` that passes it
    drops the least recently used avatars (by file time, renewed on every ``put`` and
    ``get``) down to ``TRIM_TARGET`` of it, sparing the ones the caller names as in use.
    """

    def __init__(self, root: Path, limit: int = 0, clock: Callable[[], float] = time.time) -> None:
        """Use ``root`` as the store's directory, creating it if needed; 0: no limit."""
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._root = root
        self._limit = limit
        self._clock = clock
        self._size = sum(size for _, _, size in self._files())
        """Bytes stored, kept up to date by ``put`` and recounted from disk by a trim."""

    def put(self, data: bytes, keep: Collection[str] = ()) -> str:
        """Store already-validated ``data`` atomically (once) and return its hash; over the
        limit, drop the least recently used avatars except this one and ``keep``."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.is_file():
            self._touch(path)
            return digest
        write_private(path, data)
        self._touch(path)
        self._size += len(data)
        if self._limit and self._size > self._limit:
            self._trim({digest, *keep})
        return digest

    def get(self, sha256: str) -> bytes | None:
        """The stored bytes for ``sha256``, or None if absent or not a valid digest."""
        if not is_sha256(sha256):
            return None
        path = self._path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        self._touch(path)
        return data

    def __contains__(self, sha256: object) -> bool:
        """True when an avatar with this hash is stored."""
        return is_sha256(sha256) and self._path(str(sha256)).is_file()

    def _path(self, digest: str) -> Path:
        """The file for a digest already checked with ``is_sha256``."""
        return self._root / f"{digest}.png"

    def _touch(self, path: Path) -> None:
        """Mark an avatar as used now (the store's LRU order)."""
        now = self._clock()
        with contextlib.suppress(OSError):
            os.utime(path, (now, now))

    def _files(self) -> list[tuple[float, str, int]]:
        """(last use, hash, size) of every stored avatar."""
        found = []
        with os.scandir(self._root) as entries:
            for entry in entries:
                digest, suffix = entry.name[:-4], entry.name[-4:]
                if suffix != ".png" or not is_sha256(digest):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    info = entry.stat(follow_symlinks=False)
                    found.append((info.st_mtime, digest, info.st_size))
        return found

    def _trim(self, keep: set[str]) -> None:
        """Drop the least recently used avatars not in ``keep`` until under the target."""
        files = sorted(self._files())
        self._size = sum(size for _, _, size in files)
        target = self._limit * TRIM_TARGET
        dropped = 0
        for _, digest, size in files:
            if self._size <= target:
                break
            if digest in keep:
                continue
            with contextlib.suppress(FileNotFoundError):
                self._path(digest).unlink()
            self._size -= size
            dropped += 1
        log.info("avatar store over %s bytes: dropped the %d least recently used, %s bytes left",
                 f"{self._limit:,}", dropped, f"{self._size:,}")


def console_avatar(path: Path | None = None) -> bytes:
    """The Console's avatar: the file at ``path``, or the shipped ``Cons.png``, validated."""
    source: Traversable | Path = (
        resources.files("tuichat.assets") / "Cons.png" if path is None else path
    )
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise AvatarError(f"{source}: cannot be read ({exc.strerror or exc})") from exc
    try:
        validate_avatar(data, hashlib.sha256(data).hexdigest())
    except AvatarError as exc:
        raise AvatarError(f"{source}: {exc}") from exc
    return data
