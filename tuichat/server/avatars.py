"""Avatar images: validation of uploads, a content-addressed store, the Console's own picture.

``validate_avatar`` runs on worker threads; ``AvatarStore`` is used from the reactor thread.
Neither keeps mutable state beyond the files of the store itself.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
import warnings
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from PIL import Image

from tuichat.net.frames import MAX_AVATAR_SIDE, MAX_PAYLOAD_BYTES, is_sha256

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

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


class AvatarStore:
    """Validated avatars kept as ``<root>/<sha256>.png``, addressed only by their hash."""

    def __init__(self, root: Path) -> None:
        """Use ``root`` as the store's directory, creating it if needed."""
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._root = root

    def put(self, data: bytes) -> str:
        """Store already-validated ``data`` atomically (once) and return its hash."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.is_file():
            return digest
        fd, temp = tempfile.mkstemp(dir=self._root, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
        return digest

    def get(self, sha256: str) -> bytes | None:
        """The stored bytes for ``sha256``, or None if absent or not a valid digest."""
        if not is_sha256(sha256):
            return None
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError:
            return None

    def __contains__(self, sha256: object) -> bool:
        """True when an avatar with this hash is stored."""
        return is_sha256(sha256) and self._path(str(sha256)).is_file()

    def _path(self, digest: str) -> Path:
        """The file for a digest already checked with ``is_sha256``."""
        return self._root / f"{digest}.png"


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
