"""Profile pictures on the client: preparing uploads, identicons, a disk cache, half-blocks.

Every decode of untrusted bytes goes through ``_decode``, which raises Pillow's
decompression-bomb warning as an error, as ``tuichat.server.avatars`` does.
"""

from __future__ import annotations

import colorsys
import functools
import hashlib
import io
import logging
import os
import stat
import threading
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from PIL import Image, ImageOps, UnidentifiedImageError
from rich.segment import Segment
from rich.style import Style
from rich_pixels import HalfcellRenderer
from textual.cache import LRUCache
from textual.strip import Strip

from tuichat.files import write_private
from tuichat.net.frames import MAX_AVATAR_SIDE, is_sha256

log = logging.getLogger(__name__)

AVATAR_UPLOAD_SIDE = 64
"""Uploaded avatars are at most this many pixels a side."""
DEFAULT_AVATAR_FILE = "my_image.png"
"""Picked up from the working directory when no ``--avatar`` is given."""

VIVID_BELOW = 4
"""Pictures narrower than this many columns (the compact log's two-cell cue) are drawn
from an 8x8 copy by ``_vivid``, so they keep the picture's colours."""
_VIVID_FROM = 8
_MAX_SOURCE_BYTES = 20_000_000
_RGB = tuple[int, int, int]
_DARK: _RGB = (30, 30, 38)
_LIGHT: _RGB = (238, 238, 232)
# Maps the 8 pixels of an 8x8 identicon to its 5 cells (widths 2,1,2,1,2, mirror-symmetric),
# so the pattern stays crisp when drawn at 8x8.
_CELL_OF = (0, 0, 1, 2, 2, 3, 4, 4)
# Alpha at or above one half becomes opaque, below it transparent: a terminal cell has no alpha.
_ALPHA_CUT = [0] * 128 + [255] * 128
_SHADE = Segment("░", Style(dim=True))

# ``warnings.catch_warnings`` swaps the process-wide filter list; the lock keeps two of our
# decodes from restoring each other's filters out of order. It guards no data.
_WARNINGS_LOCK = threading.Lock()


class AvatarSourceError(ValueError):
    """A profile picture could not be used; ``str()`` is a one-line reason for the user."""


@dataclass(frozen=True)
class AvatarChoice:
    """The PNG to upload and, in human words, where it came from."""

    png: bytes
    source: str


def prepare_avatar(data: bytes) -> bytes:
    """Any image Pillow reads, centre-cropped square, at most AVATAR_UPLOAD_SIDE, as RGBA PNG."""
    if not data:
        raise AvatarSourceError("it is empty (0 bytes)")
    try:
        image = ImageOps.exif_transpose(_decode(data, AVATAR_UPLOAD_SIDE))
        side = min(*image.size, AVATAR_UPLOAD_SIDE)
        return _png_bytes(_square_rgba(image, side, Image.Resampling.LANCZOS))
    except UnidentifiedImageError as exc:
        raise AvatarSourceError("it is not an image Pillow can read") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise AvatarSourceError("the image claims too many pixels to decode safely") from exc
    # Hostile or damaged input makes Pillow raise many types (OSError, SyntaxError,
    # ValueError, struct.error, EOFError, ...); each means "unusable image" here.
    except Exception as exc:
        raise AvatarSourceError("the image is corrupt or truncated") from exc


def identicon(name: str) -> bytes:
    """A PNG (AVATAR_UPLOAD_SIDE px) of a mirrored 5x5 pattern derived from ``name``."""
    key = unicodedata.normalize("NFC", name.casefold())
    digest = hashlib.sha256(key.encode()).digest()
    hue = int.from_bytes(digest[0:2], "big") / 65_536
    lightness = 0.35 + digest[2] / 255 * 0.3
    saturation = 0.5 + digest[3] / 255 * 0.35
    colour = _rgb(colorsys.hls_to_rgb(hue, lightness, saturation))
    background = max((_DARK, _LIGHT), key=lambda bg: _contrast_ratio(colour, bg))
    bits = int.from_bytes(digest[4:6], "big")  # 15 used: 5 rows of 3 cells, mirrored to 5

    def lit(row: int, column: int) -> bool:
        return bool(bits >> (row * 3 + min(column, 4 - column)) & 1)

    small = Image.new("RGB", (8, 8))
    small.putdata([colour if lit(_CELL_OF[y], _CELL_OF[x]) else background
                   for y in range(8) for x in range(8)])
    side = (AVATAR_UPLOAD_SIDE, AVATAR_UPLOAD_SIDE)
    return _png_bytes(small.resize(side, Image.Resampling.NEAREST))


def choose_avatar(path: Path | None, name: str, cwd: Path) -> AvatarChoice:
    """``--avatar path``, else a usable ``my_image.png`` in ``cwd``, else ``name``'s identicon.

    A given path or an existing ``my_image.png`` that cannot be used raises
    AvatarSourceError naming it; there is no silent fallback to the identicon.
    """
    if path is not None:
        return _choice_from_file(path, f"--avatar {path}")
    default = cwd / DEFAULT_AVATAR_FILE
    if default.exists() or default.is_symlink():
        return _choice_from_file(default, f"{DEFAULT_AVATAR_FILE} in {cwd}")
    return AvatarChoice(identicon(name), f"identicon for {name}")


class AvatarDiskCache:
    """Avatars fetched from servers, on disk, keyed by their SHA-256 (so a changed picture has
    a new key and is never shown stale)."""

    def __init__(self, root: Path) -> None:
        """Keep avatars as ``root/<sha256>.png``; ``root`` is created on the first ``put``."""
        self._root = root

    @classmethod
    def default(cls) -> AvatarDiskCache:
        """The cache in the platform's user cache directory."""
        return cls(platformdirs.user_cache_path("tuichat") / "avatars")

    def get(self, sha256: str) -> bytes | None:
        """The bytes stored for ``sha256``, or None if absent, not a digest, or corrupt."""
        if not is_sha256(sha256):
            return None
        path = self._path(sha256)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as file:
                data = file.read()
        except FileNotFoundError:
            return None
        except OSError as exc:  # a symlink, a directory, no permission: not a usable entry
            log.warning("avatar cache entry %s is unusable: %s", path, exc)
            self._discard(path)
            return None
        if hashlib.sha256(data).hexdigest() != sha256:
            log.warning("avatar cache entry %s is corrupt; deleting it", path)
            self._discard(path)
            return None
        return data

    def put(self, data: bytes) -> str:
        """Store ``data`` atomically and return its hash; a failure to write is only logged."""
        digest = hashlib.sha256(data).hexdigest()
        try:
            self._root.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_private(self._path(digest), data)
        except OSError as exc:
            log.warning("could not cache avatar %s in %s: %s", digest, self._root, exc)
        return digest

    def _path(self, digest: str) -> Path:
        """The file for a digest already checked with ``is_sha256``."""
        return self._root / f"{digest}.png"

    def _discard(self, path: Path) -> None:
        """Delete a bad entry, if the disk lets us."""
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not delete avatar cache entry %s: %s", path, exc)


class AvatarRenderer:
    """Half-block pictures of avatars as Textual Strips, cached in memory per (key, columns).

    Not thread-safe: use it from the UI thread, which is where strips are drawn.
    """

    def __init__(self, max_entries: int = 512) -> None:
        """Keep at most ``max_entries`` rendered pictures, dropping the least recently used."""
        self._cache: LRUCache[tuple[str, int], list[Strip]] = LRUCache(max_entries)

    def strips(self, key: str, png: bytes, columns: int) -> list[Strip]:
        """``png`` as ``columns // 2`` strips of ``columns`` cells (two pixels per cell);
        an undecodable ``png`` gives dim shade cells instead of an error."""
        _check_columns(columns)
        strips = self._cache.get((key, columns))
        if strips is None:
            strips = _half_blocks(png, columns)
            self._cache.set((key, columns), strips)
        return strips

    def placeholder(self, columns: int) -> list[Strip]:
        """Blank cells of the picture's size, for while an avatar is being fetched."""
        _check_columns(columns)
        return _filled(columns, Segment(" ", Style.null()))


def _decode(data: bytes, side: int, formats: tuple[str, ...] | None = None,
            max_side: int | None = None) -> Image.Image:
    """The first frame of ``data``, decoded with decompression bombs raised as errors and
    images wider or taller than ``max_side`` refused before decoding.

    A JPEG is decoded at the smallest scale that still gives ``side`` pixels a side.
    """
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(data), formats=formats)
        if max_side is not None and max(image.size) > max_side:
            raise ValueError(f"the image is {image.width}x{image.height} pixels")
        image.draft(None, (side, side))
        image.load()
    return image


def _square_rgba(image: Image.Image, side: int, method: Image.Resampling) -> Image.Image:
    """The centre square of ``image`` (whole pixels, so small images stay crisp), in RGBA,
    resized to ``side`` pixels a side."""
    crop = min(image.size)
    left, top = (image.width - crop) // 2, (image.height - crop) // 2
    square = image.crop((left, top, left + crop, top + crop))
    if square.mode.startswith("I"):  # 16-bit greyscale: a plain conversion clips it to white
        square = square.point(lambda value: value * (1 / 256)).convert("L")
    return square.convert("RGBA").resize((side, side), method)


def _png_bytes(image: Image.Image) -> bytes:
    """``image`` encoded as PNG."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _rgb(channels: tuple[float, float, float]) -> _RGB:
    """0..1 colour channels as 0..255 integers."""
    red, green, blue = (round(channel * 255) for channel in channels)
    return red, green, blue


def _contrast_ratio(first: _RGB, second: _RGB) -> float:
    """The WCAG contrast ratio of two sRGB colours, from 1 (same) to 21 (black on white)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _luminance(colour: _RGB) -> float:
    """WCAG relative luminance of an sRGB colour."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
              for c in (channel / 255 for channel in colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _choice_from_file(path: Path, source: str) -> AvatarChoice:
    """The prepared picture at ``path``; errors are prefixed with ``source``."""
    try:
        return AvatarChoice(prepare_avatar(_read_source(path)), source)
    except AvatarSourceError as exc:
        raise AvatarSourceError(f"{source}: {exc}") from exc


def _read_source(path: Path) -> bytes:
    """The bytes of a picture file, refusing directories, devices and huge files unread."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise AvatarSourceError("it is a directory, not an image file")
        if not stat.S_ISREG(info.st_mode):
            raise AvatarSourceError("it is not a regular file")
        if info.st_size > _MAX_SOURCE_BYTES:
            limit = f"{_MAX_SOURCE_BYTES / 1e6:.0f} MB"
            raise AvatarSourceError(f"it is {info.st_size:,} bytes, over the {limit} limit")
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise AvatarSourceError("no such file") from exc
    except OSError as exc:
        raise AvatarSourceError(f"it cannot be read ({exc.strerror or exc})") from exc


def _check_columns(columns: int) -> None:
    """Refuse sizes that do not give whole rows of two pixels."""
    if columns < 2 or columns % 2:
        raise ValueError(f"avatar columns must be even and at least 2, not {columns}")


def _half_blocks(png: bytes, columns: int) -> list[Strip]:
    """``png`` drawn by rich-pixels' half-cell renderer, one Strip per row."""
    try:
        image = _decode(png, columns, formats=("PNG",), max_side=MAX_AVATAR_SIDE)
        if columns < VIVID_BELOW:
            picture = _vivid(_square_rgba(image, _VIVID_FROM, Image.Resampling.BOX), columns)
        else:
            picture = _square_rgba(image, columns, Image.Resampling.BOX)
    except Exception:  # any Pillow failure on these bytes: draw the neutral placeholder
        log.debug("undecodable avatar drawn as a placeholder", exc_info=True)
        return _filled(columns, _SHADE)
    picture.putalpha(picture.getchannel("A").point(_ALPHA_CUT))
    segments = HalfcellRenderer().render(picture, None)
    return [Strip([_upper_half(segment) for segment in row], columns)
            for row in Segment.split_lines(segments)]


def _vivid(picture: Image.Image, side: int) -> Image.Image:
    """``picture`` shrunk to ``side`` pixels a side, each the most colourful opaque pixel
    of its block: a plain average would fade a pattern into its background."""
    block = picture.width // side
    data = picture.tobytes()  # RGBA, four bytes a pixel
    small = Image.new("RGBA", (side, side))
    for y in range(side):
        for x in range(side):
            opaque: list[bytes] = []
            for row in range(y * block, (y + 1) * block):
                for column in range(x * block, (x + 1) * block):
                    at = (row * picture.width + column) * 4
                    if data[at + 3] >= 128:
                        opaque.append(data[at:at + 3])
            if opaque:
                red, green, blue = max(opaque, key=_colourfulness)
                small.putpixel((x, y), (red, green, blue, 255))
    return small


def _colourfulness(rgb: bytes) -> tuple[int, int]:
    """Chroma first, then lightness: how much a pixel stands out as colour."""
    return max(rgb) - min(rgb), sum(rgb)


def _upper_half(segment: Segment) -> Segment:
    """rich-pixels fills a cell whose lower pixel is transparent with the upper pixel's
    background colour; draw only the upper half, so transparent pixels stay uncoloured."""
    style = segment.style
    if segment.text == " " and style is not None and style.bgcolor is not None:
        return Segment("▀", Style(color=style.bgcolor))
    # Every segment gets a style: Textual's NO_COLOR filter cannot take None.
    return Segment(segment.text, style or Style.null())


@functools.lru_cache(maxsize=32)
def _filled(columns: int, cell: Segment) -> list[Strip]:
    """``columns // 2`` rows of ``columns`` copies of ``cell`` (shared; do not mutate)."""
    row = Strip([Segment(cell.text * columns, cell.style)], columns)
    return [row] * (columns // 2)
