"""The avatar book: which bytes it asks for, keeps and hands to the renderer."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image

from tuichat.tui.avatar_book import MAX_PNGS_IN_MEMORY, AvatarBook
from tuichat.tui.avatars import AvatarDiskCache, AvatarRenderer


def png(shade: int) -> bytes:
    """A 2x2 grey PNG, distinct per ``shade``."""
    out = io.BytesIO()
    Image.new("RGB", (2, 2), (shade % 256, shade // 256, 0)).save(out, "PNG")
    return out.getvalue()


def test_memory_is_bounded_and_older_avatars_come_back_from_disk(tmp_path: Path) -> None:
    asked: list[str] = []
    book = AvatarBook(AvatarDiskCache(tmp_path), AvatarRenderer(), asked.append)
    pictures = [png(shade) for shade in range(MAX_PNGS_IN_MEMORY + 50)]
    digests = [hashlib.sha256(picture).hexdigest() for picture in pictures]
    for digest, picture in zip(digests, pictures, strict=True):
        book.strips("someone", digest, 4)
        book.arrived(digest, picture)
    assert asked == digests  # each asked for once
    assert len(book._pngs) == MAX_PNGS_IN_MEMORY
    assert all(book.knows(digest) for digest in digests)  # the oldest from disk
    book.strips("someone", digests[0], 4)
    assert asked == digests  # not asked again


def test_a_wrong_picture_is_never_shown_or_kept(tmp_path: Path) -> None:
    asked: list[str] = []
    book = AvatarBook(AvatarDiskCache(tmp_path), AvatarRenderer(), asked.append)
    digest = hashlib.sha256(png(1)).hexdigest()
    book.strips("mallory", digest, 4)
    book.arrived(digest, png(2))
    assert not book.knows(digest)
    assert list(tmp_path.iterdir()) == []
    identicon = book.strips("mallory", None, 4)
    assert book.strips("mallory", digest, 4) == identicon  # missing: the identicon instead
    assert asked == [digest]
