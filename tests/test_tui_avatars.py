"""Client avatars: preparing uploads, identicons, choosing a source, the disk cache, half-blocks."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import struct
import unicodedata
import zlib
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import NoReturn

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageSequence
from rich.color import Color
from rich.style import Style
from textual.strip import Strip

from tuichat.net.frames import MAX_AVATAR_SIDE
from tuichat.server.avatars import validate_avatar
from tuichat.tui.avatars import (
    AVATAR_UPLOAD_SIDE,
    AvatarChoice,
    AvatarDiskCache,
    AvatarRenderer,
    AvatarSourceError,
    choose_avatar,
    identicon,
    prepare_avatar,
)

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
CONS_PNG = (resources.files("tuichat.assets") / "Cons.png").read_bytes()


def skip_unless_permissions_bind(tmp_path: Path) -> None:
    """Skip when file modes do not stop us (root, or CAP_DAC_OVERRIDE)."""
    probe = tmp_path / "probe"
    probe.mkdir(mode=0o500)
    try:
        (probe / "x").touch()
    except PermissionError:
        return
    finally:
        probe.chmod(0o700)
    pytest.skip("file modes do not bind this user (root?)")


def encode(image: Image.Image, fmt: str = "PNG", **save: object) -> bytes:
    """``image`` saved by Pillow in ``fmt``."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def accepted(png: bytes) -> Image.Image:
    """``png`` decoded, after asserting the server would store it."""
    validate_avatar(png, hashlib.sha256(png).hexdigest())
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


def prepared(data: bytes) -> Image.Image:
    """``prepare_avatar(data)`` decoded, checked to be an accepted square RGBA PNG."""
    image = accepted(prepare_avatar(data))
    assert image.mode == "RGBA"
    assert image.width == image.height <= AVATAR_UPLOAD_SIDE
    return image


def bands(size: tuple[int, int], colours: list[tuple[int, int, int]], *, vertical: bool
          ) -> Image.Image:
    """An RGB image in equal bands of ``colours``, side by side (or stacked if not vertical)."""
    image = Image.new("RGB", size)
    length = size[0] if vertical else size[1]
    step = length // len(colours)
    for index, colour in enumerate(colours):
        start, end = index * step, (index + 1) * step
        box = (start, 0, end, size[1]) if vertical else (0, start, size[0], end)
        image.paste(colour, box)
    return image


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The channels of one pixel of a multi-band image."""
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def colours(image: Image.Image) -> set[tuple[int, ...]]:
    """Every distinct pixel value of a multi-band image."""
    found = set()
    for _, colour in image.getcolors(image.width * image.height) or []:
        assert isinstance(colour, tuple)
        found.add(colour)
    return found


def png_header_only(width: int, height: int) -> bytes:
    """A PNG signature and IHDR claiming ``width`` x ``height``, with no pixel data."""
    body = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    ihdr = struct.pack(">I", len(body)) + b"IHDR" + body
    ihdr += struct.pack(">I", zlib.crc32(b"IHDR" + body))
    iend = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + iend


def close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 8) -> bool:
    """True when every channel is within ``tolerance`` (lossy formats)."""
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def luminance(colour: tuple[int, ...]) -> float:
    """WCAG relative luminance, computed here independently of the module."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = colour[:3]
    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


# --- prepare_avatar ---------------------------------------------------------------------


def test_prepare_keeps_the_centre_of_a_wide_image() -> None:
    image = prepared(encode(bands((30, 10), [RED, GREEN, BLUE], vertical=True)))
    assert image.size == (10, 10)
    assert colours(image) == {(*GREEN, 255)}


def test_prepare_keeps_the_centre_of_a_tall_image() -> None:
    image = prepared(encode(bands((10, 30), [RED, GREEN, BLUE], vertical=False)))
    assert image.size == (10, 10)
    assert colours(image) == {(*GREEN, 255)}


def test_prepare_downscales_a_large_image_to_the_upload_side() -> None:
    source = Image.new("RGB", (300, 200), RED)
    source.paste(GREEN, (50, 0, 250, 200))  # exactly the centre square
    image = prepared(encode(source))
    assert image.size == (AVATAR_UPLOAD_SIDE, AVATAR_UPLOAD_SIDE)
    assert colours(image) == {(*GREEN, 255)}


def test_prepare_keeps_small_images_pixel_exact() -> None:
    source = Image.frombytes("RGBA", (5, 4), bytes(range(80)))
    image = prepared(encode(source))
    assert image.size == (4, 4)
    assert image.tobytes() == source.crop((0, 0, 4, 4)).tobytes()


def test_prepare_keeps_a_single_pixel() -> None:
    image = prepared(encode(Image.new("RGB", (1, 1), (12, 34, 56))))
    assert image.size == (1, 1)
    assert pixel(image, (0, 0)) == (12, 34, 56, 255)


def test_prepare_keeps_transparency_of_a_palette_image() -> None:
    source = Image.new("P", (4, 4), 1)
    source.putpalette([0, 0, 0, *RED] + [0] * 762)
    source.putpixel((0, 0), 0)
    image = prepared(encode(source, transparency=0))
    assert pixel(image, (0, 0))[3] == 0
    assert pixel(image, (2, 2)) == (*RED, 255)


@pytest.mark.parametrize(
    ("mode", "colour", "expected"),
    [
        ("L", 100, (100, 100, 100, 255)),
        ("LA", (100, 50), (100, 100, 100, 50)),
        ("1", 1, (255, 255, 255, 255)),
        ("RGBA", (1, 2, 3, 4), (1, 2, 3, 4)),
    ],
)
def test_prepare_converts_other_modes_to_rgba(
    mode: str, colour: int | tuple[int, ...], expected: tuple[int, ...]
) -> None:
    image = prepared(encode(Image.new(mode, (6, 6), colour)))
    assert pixel(image, (3, 3)) == expected


def test_prepare_scales_16_bit_greyscale_instead_of_clipping_it_to_white() -> None:
    source = Image.frombytes("I;16", (2, 2), struct.pack("<4H", *[30_000] * 4))
    assert prepared(encode(source)).getpixel((1, 1)) == (117, 117, 117, 255)


@pytest.mark.parametrize(
    ("fmt", "mode", "save"),
    [
        ("JPEG", "RGB", {"quality": 95}),
        ("JPEG", "CMYK", {"quality": 95}),
        ("GIF", "RGB", {}),
        ("BMP", "RGB", {}),
        ("WEBP", "RGB", {"lossless": True}),
        ("TIFF", "CMYK", {}),
    ],
)
def test_prepare_reads_other_formats(fmt: str, mode: str, save: dict[str, object]) -> None:
    source = bands((60, 20), [RED, GREEN, BLUE], vertical=True).convert(mode)
    image = prepared(encode(source, fmt, **save))
    assert image.size == (20, 20)
    assert close(pixel(image, (10, 10)), (*GREEN, 255), tolerance=12)


def test_prepare_takes_the_first_frame_of_an_animated_gif() -> None:
    frames = [Image.new("RGB", (8, 8), colour) for colour in (RED, BLUE, GREEN)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert len(list(ImageSequence.Iterator(Image.open(io.BytesIO(data))))) == 3
    assert colours(prepared(data)) == {(*RED, 255)}


def test_prepare_applies_the_exif_orientation_of_photos() -> None:
    source = bands((20, 20), [RED, BLUE], vertical=False)  # red on top
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    image = prepared(encode(source, "JPEG", exif=exif, quality=95))
    assert close(pixel(image, (2, 10)), (*BLUE, 255))
    assert close(pixel(image, (17, 10)), (*RED, 255))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"GIF87a, or so it says", "not an image"),
        (b"plain text, not a picture\n" * 10, "not an image"),
        (png_header_only(50_000, 50_000), "too many pixels"),  # Pillow's error
        (png_header_only(10_000, 10_000), "too many pixels"),  # Pillow's warning, as an error
        (png_header_only(16, 16), "corrupt or truncated"),
    ],
    ids=["empty", "bad-gif-header", "text", "bomb-error", "bomb-warning", "no-pixels"],
)
def test_prepare_refuses_unusable_data_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(AvatarSourceError, match=reason) as caught:
        prepare_avatar(data)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in str(caught.value)


def test_prepare_refuses_a_truncated_png() -> None:
    noisy = Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3))
    data = encode(noisy)
    with pytest.raises(AvatarSourceError, match="corrupt or truncated"):
        prepare_avatar(data[: len(data) // 2])


def test_prepare_refuses_a_jpeg_with_garbage_in_its_middle() -> None:
    data = bytearray(encode(Image.new("RGB", (64, 64), RED), "JPEG"))
    data[20:-2] = b"\xff" * (len(data) - 22)
    with pytest.raises(AvatarSourceError):
        prepare_avatar(bytes(data))


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 90),
    height=st.integers(1, 90),
    seed=st.binary(min_size=4, max_size=4),
)
def test_prepare_always_gives_an_accepted_square(width: int, height: int, seed: bytes) -> None:
    pixels = hashlib.shake_256(seed).digest(width * height * 4)
    image = prepared(encode(Image.frombytes("RGBA", (width, height), pixels)))
    assert image.width == min(width, height, AVATAR_UPLOAD_SIDE)


# --- identicon -------------------------------------------------------------------------


def test_identicon_is_deterministic_and_ignores_case_and_normal_form() -> None:
    nfc = unicodedata.normalize("NFC", "Zoë")
    nfd = unicodedata.normalize("NFD", "Zoë")
    assert nfc != nfd
    assert identicon("alice") == identicon("alice") == identicon("ALICE") == identicon("Alice")
    assert identicon(nfc) == identicon(nfd) == identicon("zoë")


def test_identicons_of_different_names_differ() -> None:
    names = [f"user{index}" for index in range(200)] + ["alice", "bob", "alicf", ""]
    assert len({identicon(name) for name in names}) == len(names)


def test_identicon_is_an_accepted_mirrored_two_colour_square() -> None:
    image = accepted(identicon("alice")).convert("RGB")
    assert image.size == (AVATAR_UPLOAD_SIDE, AVATAR_UPLOAD_SIDE)
    assert len(colours(image)) == 2
    mirrored = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    assert image.tobytes() == mirrored.tobytes()


def test_identicon_stays_crisp_at_eight_pixels() -> None:
    image = accepted(identicon("bob")).convert("RGB")
    small = image.resize((8, 8), Image.Resampling.BOX)
    assert colours(small) == colours(image)


def test_identicon_colours_contrast_with_their_background() -> None:
    seen: Counter[tuple[int, ...]] = Counter()
    for index in range(300):
        image = Image.open(io.BytesIO(identicon(f"n{index}"))).convert("RGB")
        first, second = colours(image)
        light, dark = sorted((luminance(first), luminance(second)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 3.0, (index, first, second)
        seen.update((first, second))
    backgrounds = [colour for colour, count in seen.most_common(2) if count > 50]
    assert sorted(luminance(colour) > 0.5 for colour in backgrounds) == [False, True]


# --- choose_avatar ---------------------------------------------------------------------


def write_image(path: Path, colour: tuple[int, int, int]) -> Path:
    """A small real PNG of one colour at ``path``."""
    path.write_bytes(encode(Image.new("RGB", (12, 12), colour)))
    return path


def test_choose_prefers_the_given_path(tmp_path: Path) -> None:
    write_image(tmp_path / "my_image.png", RED)
    given_path = write_image(tmp_path / "given.gif", BLUE)
    choice = choose_avatar(given_path, "alice", tmp_path)
    assert choice.source == f"--avatar {given_path}"
    assert colours(prepared(choice.png)) == {(*BLUE, 255)}


def test_choose_takes_my_image_from_the_working_directory(tmp_path: Path) -> None:
    write_image(tmp_path / "my_image.png", RED)
    choice = choose_avatar(None, "alice", tmp_path)
    assert choice.source == f"my_image.png in {tmp_path}"
    assert colours(prepared(choice.png)) == {(*RED, 255)}


def test_choose_falls_back_to_the_identicon(tmp_path: Path) -> None:
    choice = choose_avatar(None, "alice", tmp_path)
    assert choice == AvatarChoice(identicon("alice"), "identicon for alice")


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"not a picture", "not an image"), (png_header_only(9, 9), "corrupt")],
)
def test_choose_refuses_an_unusable_my_image(tmp_path: Path, content: bytes, reason: str
                                             ) -> None:
    (tmp_path / "my_image.png").write_bytes(content)
    with pytest.raises(AvatarSourceError, match=f"^my_image.png in {tmp_path}: .*{reason}"):
        choose_avatar(None, "alice", tmp_path)


def test_choose_refuses_a_dangling_my_image_link(tmp_path: Path) -> None:
    (tmp_path / "my_image.png").symlink_to(tmp_path / "gone.png")
    with pytest.raises(AvatarSourceError, match=r"my_image\.png in .*: no such file"):
        choose_avatar(None, "alice", tmp_path)


def test_choose_names_a_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "missing.png"
    with pytest.raises(AvatarSourceError, match=f"^--avatar {missing}: no such file$"):
        choose_avatar(missing, "alice", tmp_path)


def test_choose_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(AvatarSourceError, match=f"^--avatar {tmp_path}: it is a directory"):
        choose_avatar(tmp_path, "alice", tmp_path)


def test_choose_refuses_a_fifo_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # opening it for reading would block this test until its timeout
    with pytest.raises(AvatarSourceError, match="not a regular file"):
        choose_avatar(fifo, "alice", tmp_path)


def test_choose_refuses_a_huge_file_before_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = tmp_path / "huge.png"
    with huge.open("wb") as file:
        file.truncate(20_000_001)  # sparse: no disk used

    def must_not_read(self: Path) -> bytes:
        raise AssertionError(f"read {self}")

    monkeypatch.setattr(Path, "read_bytes", must_not_read)
    reason = r"^--avatar .*: it is 20,000,001 bytes, over the 20 MB limit$"
    with pytest.raises(AvatarSourceError, match=reason):
        choose_avatar(huge, "alice", tmp_path)


def test_choose_refuses_an_unreadable_file(tmp_path: Path) -> None:
    skip_unless_permissions_bind(tmp_path)
    locked = write_image(tmp_path / "locked.png", RED)
    locked.chmod(0)
    with pytest.raises(AvatarSourceError, match="cannot be read"):
        choose_avatar(locked, "alice", tmp_path)


# --- AvatarDiskCache -------------------------------------------------------------------


def test_disk_cache_round_trip_creates_its_directory(tmp_path: Path) -> None:
    root = tmp_path / "not" / "yet" / "there"
    cache = AvatarDiskCache(root)
    digest = cache.put(CONS_PNG)
    assert digest == hashlib.sha256(CONS_PNG).hexdigest()
    assert (root / f"{digest}.png").read_bytes() == CONS_PNG
    assert cache.get(digest) == CONS_PNG
    assert AvatarDiskCache(root).get(digest) == CONS_PNG  # a new process sees it too
    assert cache.get("0" * 64) is None
    assert [p.name for p in root.iterdir()] == [f"{digest}.png"]  # no temp file left


def test_disk_cache_deletes_a_corrupt_entry(tmp_path: Path) -> None:
    cache = AvatarDiskCache(tmp_path)
    digest = cache.put(CONS_PNG)
    (tmp_path / f"{digest}.png").write_bytes(CONS_PNG[:-1])
    assert cache.get(digest) is None
    assert not (tmp_path / f"{digest}.png").exists()
    assert cache.put(CONS_PNG) == digest
    assert cache.get(digest) == CONS_PNG


@pytest.mark.parametrize(
    "key",
    ["../x", "../" + "a" * 61, "/etc/passwd", "A" * 64, "a" * 63, "a" * 65, "", "g" * 64,
     "a" * 63 + "\n"],
)
def test_disk_cache_bad_keys_never_touch_the_filesystem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    def no_filesystem(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError(f"touched the filesystem: {args}")

    cache = AvatarDiskCache(tmp_path)
    with monkeypatch.context() as patch:
        for name in ("open", "stat", "lstat", "unlink", "replace"):
            patch.setattr(os, name, no_filesystem)
        patch.setattr(io, "open", no_filesystem)
        assert cache.get(key) is None


def test_disk_cache_get_does_not_follow_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(CONS_PNG)
    root = tmp_path / "cache"
    root.mkdir()
    digest = hashlib.sha256(CONS_PNG).hexdigest()
    (root / f"{digest}.png").symlink_to(outside)
    assert AvatarDiskCache(root).get(digest) is None
    assert not (root / f"{digest}.png").is_symlink()
    assert outside.read_bytes() == CONS_PNG


def test_disk_cache_put_replaces_a_symlink_instead_of_writing_through_it(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_bytes(b"keep me")
    root = tmp_path / "cache"
    root.mkdir()
    digest = hashlib.sha256(CONS_PNG).hexdigest()
    (root / f"{digest}.png").symlink_to(outside)
    assert AvatarDiskCache(root).put(CONS_PNG) == digest
    assert outside.read_bytes() == b"keep me"
    assert not (root / f"{digest}.png").is_symlink()
    assert AvatarDiskCache(root).get(digest) == CONS_PNG


def test_disk_cache_put_survives_an_impossible_directory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    cache = AvatarDiskCache(blocker / "avatars")  # mkdir fails, even for root
    with caplog.at_level(logging.WARNING, logger="tuichat.tui.avatars"):
        assert cache.put(CONS_PNG) == hashlib.sha256(CONS_PNG).hexdigest()
    assert "could not cache avatar" in caplog.text
    assert cache.get(hashlib.sha256(CONS_PNG).hexdigest()) is None


def test_disk_cache_put_survives_a_read_only_directory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    skip_unless_permissions_bind(tmp_path)
    root = tmp_path / "cache"
    root.mkdir(mode=0o500)
    try:
        with caplog.at_level(logging.WARNING, logger="tuichat.tui.avatars"):
            digest = AvatarDiskCache(root).put(CONS_PNG)
    finally:
        root.chmod(0o700)
    assert digest == hashlib.sha256(CONS_PNG).hexdigest()
    assert "could not cache avatar" in caplog.text
    assert list(root.iterdir()) == []


def test_disk_cache_default_lives_in_the_user_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    digest = AvatarDiskCache.default().put(CONS_PNG)
    assert (tmp_path / "tuichat" / "avatars" / f"{digest}.png").read_bytes() == CONS_PNG


# --- AvatarRenderer --------------------------------------------------------------------


Cell = tuple[str, tuple[int, ...] | None, tuple[int, ...] | None]


def cells(strip: Strip) -> list[Cell]:
    """Each cell of ``strip`` as (character, foreground RGB, background RGB)."""
    found: list[Cell] = []
    for segment in strip:
        style = segment.style or Style()
        found += [(char, rgb(style.color), rgb(style.bgcolor)) for char in segment.text]
    return found


def rgb(color: Color | None) -> tuple[int, ...] | None:
    """A rich colour as an RGB triple."""
    return None if color is None else tuple(color.get_truecolor())


@pytest.mark.parametrize("columns", [2, 4, 8, 16])
@pytest.mark.parametrize("source", ["cons", "identicon"])
def test_renderer_gives_columns_wide_and_half_as_tall_strips(columns: int, source: str
                                                             ) -> None:
    png = CONS_PNG if source == "cons" else identicon("alice")
    strips = AvatarRenderer().strips(source, png, columns)
    assert len(strips) == columns // 2
    for strip in strips:
        assert strip.cell_length == columns
        assert {text for text, _, _ in cells(strip)} <= {"▄", "▀", " "}


def test_renderer_draws_two_pixels_per_cell() -> None:
    source = Image.new("RGBA", (2, 2))
    source.putdata([(*RED, 255), (*GREEN, 255), (*BLUE, 255), (9, 9, 9, 255)])
    [strip] = AvatarRenderer().strips("k", encode(source), 2)
    assert cells(strip) == [("▄", BLUE, RED), ("▄", (9, 9, 9), GREEN)]


def test_renderer_leaves_transparent_pixels_uncoloured() -> None:
    source = Image.new("RGBA", (2, 2), (0, 0, 0, 0))
    source.putpixel((0, 0), (*RED, 255))  # only the upper left pixel is opaque
    source.putpixel((1, 1), (*BLUE, 40))  # mostly transparent: treated as transparent
    [strip] = AvatarRenderer().strips("k", encode(source), 2)
    assert cells(strip) == [("▀", RED, None), (" ", None, None)]


def test_renderer_keeps_the_shipped_avatar_corners_transparent() -> None:
    strips = AvatarRenderer().strips("cons", CONS_PNG, 8)
    (top_text, top_colour, top_background) = cells(strips[0])[0]
    (bottom_text, bottom_colour, bottom_background) = cells(strips[-1])[0]
    assert (top_text, top_background) == ("▄", None) and top_colour is not None
    assert (bottom_text, bottom_background) == ("▀", None) and bottom_colour is not None


def test_renderer_draws_identicons_in_their_own_two_colours() -> None:
    png = identicon("alice")
    expected = colours(Image.open(io.BytesIO(png)).convert("RGB"))
    drawn: set[tuple[int, ...] | None] = set()
    for strip in AvatarRenderer().strips("identicon:alice", png, 8):
        for _, colour, background in cells(strip):
            drawn |= {colour, background}
    assert drawn == expected


@pytest.mark.parametrize("name", ["alice", "bob", "carol", "dave", "erin"])
def test_the_two_cell_cue_keeps_an_identicons_colour(name: str) -> None:
    png = identicon(name)
    own = colours(Image.open(io.BytesIO(png)).convert("RGB"))
    [strip] = AvatarRenderer().strips(f"identicon:{name}", png, 2)
    drawn = {colour for _, fg, bg in cells(strip) for colour in (fg, bg) if colour is not None}
    assert drawn <= own  # no average of the pattern and its background
    assert max(own, key=lambda rgb: max(rgb) - min(rgb)) in drawn  # the pattern's colour


def test_renderer_upscales_a_tiny_avatar() -> None:
    strips = AvatarRenderer().strips("k", encode(Image.new("RGB", (1, 1), RED)), 4)
    assert len(strips) == 2
    assert [cells(strip) for strip in strips] == [[("▄", RED, RED)] * 4] * 2


@pytest.mark.parametrize(
    "png",
    [
        b"",
        b"\x89PNG\r\n\x1a\n and then nothing useful",
        png_header_only(50_000, 50_000),
        encode(Image.new("RGB", (8, 8), RED), "JPEG"),  # only PNG avatars are drawn
        encode(Image.new("1", (MAX_AVATAR_SIDE + 1, 1))),  # wider than any server accepts
    ],
    ids=["empty", "garbage", "bomb", "jpeg", "too-wide"],
)
def test_renderer_draws_undecodable_avatars_as_dim_shade(png: bytes) -> None:
    strips = AvatarRenderer().strips("bad", png, 8)
    assert len(strips) == 4
    for strip in strips:
        assert strip.cell_length == 8
        assert strip.text == "░" * 8
        assert all(segment.style is not None and segment.style.dim for segment in strip)


@pytest.mark.parametrize("columns", [2, 4, 8])
def test_renderer_placeholder_is_blank_and_sized(columns: int) -> None:
    strips = AvatarRenderer().placeholder(columns)
    assert [strip.text for strip in strips] == [" " * columns] * (columns // 2)
    assert all(strip.cell_length == columns for strip in strips)


@pytest.mark.parametrize("columns", [0, 1, 3, -2])
def test_renderer_refuses_sizes_without_whole_rows(columns: int) -> None:
    with pytest.raises(ValueError, match="even"):
        AvatarRenderer().strips("k", CONS_PNG, columns)


def test_renderer_caches_per_key_and_columns() -> None:
    renderer = AvatarRenderer()
    first = renderer.strips("cons", CONS_PNG, 8)
    assert renderer.strips("cons", CONS_PNG, 8) is first
    assert renderer.strips("cons", b"never decoded: the key is cached", 8) is first
    assert renderer.strips("cons", CONS_PNG, 4) is not first
    assert renderer.strips("other", CONS_PNG, 8) is not first


def test_renderer_cache_evicts_the_least_recently_used() -> None:
    renderer = AvatarRenderer(max_entries=2)
    alice = renderer.strips("a", identicon("alice"), 8)
    bob = renderer.strips("b", identicon("bob"), 8)
    assert renderer.strips("a", identicon("alice"), 8) is alice  # now b is the oldest
    renderer.strips("c", identicon("carol"), 8)
    assert renderer.strips("a", identicon("alice"), 8) is alice
    again = renderer.strips("b", identicon("bob"), 8)
    assert again is not bob
    assert again == bob
