"""Avatar validation, the content-addressed store and the Console's shipped avatar."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import random
import stat
import struct
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from tuichat.net.frames import MAX_PAYLOAD_BYTES
from tuichat.server.avatars import (
    PNG_SIGNATURE,
    AvatarError,
    AvatarStore,
    console_avatar,
    validate_avatar,
)

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_console_avatar.py"


def digest(data: bytes) -> str:
    """The lowercase hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def png(width: int, height: int, mode: str = "RGB", **save: object) -> bytes:
    """A real PNG of one flat colour, made by Pillow."""
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, "PNG", **save)
    return buffer.getvalue()


def noisy_png(side: int = 64) -> bytes:
    """A PNG of random pixels, so its IDAT is large and incompressible."""
    pixels = random.Random(side).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, "PNG")
    return buffer.getvalue()


def chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk with a correct CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(kind, offset, body length) of each chunk of a well-formed PNG."""
    found, offset = [], len(PNG_SIGNATURE)
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        found.append((data[offset + 4 : offset + 8], offset, length))
        offset += 12 + length
    return found


def ihdr(width: int, height: int, depth: int = 8, colour: int = 2, interlace: int = 0) -> bytes:
    """An IHDR chunk claiming the given geometry."""
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace))


def header_only_png(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` but whose IDAT holds 10 bytes."""
    idat = chunk(b"IDAT", zlib.compress(b"\0" * 10))
    return PNG_SIGNATURE + ihdr(width, height) + idat + chunk(b"IEND", b"")


def refusal(data: bytes, sha256: str | None = None) -> str:
    """The reason validate_avatar gives for refusing ``data``; fails if it is accepted."""
    with pytest.raises(AvatarError) as caught:
        validate_avatar(data, digest(data) if sha256 is None else sha256)
    return str(caught.value)


@pytest.fixture
def load_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Sizes of the PNGs whose pixels were decoded while the test ran."""
    calls: list[tuple[int, int]] = []
    original = PngImagePlugin.PngImageFile.load

    def spy(self: PngImagePlugin.PngImageFile) -> object:
        calls.append(self.size)
        return original(self)

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", spy)
    return calls


# -- validate_avatar -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        png(1, 1),
        png(32, 16, "RGBA"),
        png(1024, 1024, "L"),
        png(1024, 1, "P", transparency=0),
        png(7, 1024, "I;16"),
        noisy_png(),
    ],
    ids=["1x1", "rgba", "1024x1024", "palette", "16-bit", "noise"],
)
def test_valid_png_is_accepted(data: bytes) -> None:
    validate_avatar(data, digest(data))


def test_hash_of_other_bytes_is_refused() -> None:
    assert "hash" in refusal(png(4, 4), digest(png(4, 5)))


@pytest.mark.parametrize(
    "mangle",
    [str.upper, lambda h: h[:63], lambda h: h + "0", lambda h: "g" + h[1:], lambda h: ""],
    ids=["uppercase", "short", "long", "non-hex", "empty"],
)
def test_malformed_hash_is_refused_even_for_the_right_digest(
    mangle: Callable[[str], str],
) -> None:
    data = png(4, 4)
    assert "64 lowercase hex" in refusal(data, mangle(digest(data)))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, this is plain text\n",
        PNG_SIGNATURE[:-1],
    ],
    ids=["empty", "text", "short-signature"],
)
def test_non_png_bytes_are_refused(data: bytes) -> None:
    assert "not a PNG" in refusal(data)


def test_jpeg_is_refused() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "JPEG")
    assert "not a PNG" in refusal(buffer.getvalue())


def test_png_signature_followed_by_another_format_is_refused() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "GIF")
    assert "not a valid PNG" in refusal(PNG_SIGNATURE + buffer.getvalue())


@pytest.mark.parametrize("size", [(1025, 10), (10, 1025)])
def test_side_over_1024_is_refused(size: tuple[int, int]) -> None:
    assert "1025" in refusal(png(*size))


@pytest.mark.parametrize("size", [(1025, 10), (10, 1025), (5000, 5000)])
def test_oversized_header_is_refused_before_pixels_are_decoded(
    size: tuple[int, int], load_calls: list[tuple[int, int]]
) -> None:
    # The IDAT could not fill these sizes: decoding first would report corruption instead.
    assert "each side must be 1 to 1024" in refusal(header_only_png(*size))
    assert load_calls == []


def test_second_ihdr_cannot_smuggle_in_a_larger_size(load_calls: list[tuple[int, int]]) -> None:
    small = png(10, 10)
    (_, offset, length), *_ = chunks(small)
    end_of_ihdr = offset + 12 + length
    data = small[:end_of_ihdr] + ihdr(5000, 10) + small[end_of_ihdr:]
    assert "5000x10" in refusal(data)
    assert load_calls == []


@pytest.mark.parametrize(
    "size", [(20_000, 20_000), (10_000, 10_000)], ids=["bomb-error", "bomb-warning"]
)
def test_decompression_bomb_is_refused_from_its_header(
    size: tuple[int, int], load_calls: list[tuple[int, int]]
) -> None:
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        assert "too many pixels" in refusal(header_only_png(*size))
    assert leaked == []
    assert load_calls == []


def test_validation_leaves_global_pillow_and_warning_state_alone() -> None:
    limit, filters = Image.MAX_IMAGE_PIXELS, list(warnings.filters)
    refusal(header_only_png(10_000, 10_000))
    validate_avatar(data := png(2, 2), digest(data))
    assert limit == Image.MAX_IMAGE_PIXELS
    assert warnings.filters == filters


def test_png_truncated_inside_idat_is_refused() -> None:
    data = noisy_png()
    [(_, offset, length)] = [c for c in chunks(data) if c[0] == b"IDAT"]
    assert "corrupt or truncated" in refusal(data[: offset + 8 + length // 2])


def test_bad_header_crc_is_refused() -> None:
    data = bytearray(png(4, 4))
    (_, offset, length), *_ = chunks(bytes(data))
    data[offset + 8 + length] ^= 0xFF
    assert "not a valid PNG" in refusal(bytes(data))


def test_payload_over_256_kib_is_refused_and_exactly_256_kib_accepted() -> None:
    data = png(4, 4)
    at_limit = data + b"\0" * (MAX_PAYLOAD_BYTES - len(data))  # Pillow ignores bytes after IEND
    validate_avatar(at_limit, digest(at_limit))
    assert "262,145 bytes" in refusal(at_limit + b"\0")


# -- Hypothesis: hostile input only ever yields AvatarError -----------------------------------

SAMPLES = [png(3, 5), png(9, 4, "RGBA"), png(6, 6, "P", transparency=1), noisy_png(12)]


def accepted_or_refused(data: bytes) -> None:
    """Validate ``data`` under its own hash; anything but AvatarError escapes and fails."""
    try:
        validate_avatar(data, digest(data))
    except AvatarError as exc:
        assert str(exc) and "\n" not in str(exc)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096) | st.binary(max_size=4096).map(PNG_SIGNATURE.__add__))
def test_arbitrary_bytes_only_raise_avatar_error(data: bytes) -> None:
    accepted_or_refused(data)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), max_size=8),
    st.integers(min_value=0),
)
def test_flipped_and_truncated_png_only_raises_avatar_error(
    sample: bytes, flips: list[tuple[int, int]], keep: int
) -> None:
    data = bytearray(sample)
    for position, mask in flips:
        data[position % len(data)] ^= mask
    accepted_or_refused(bytes(data[: keep % (len(data) + 1)]))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(SAMPLES),
    st.integers(1, 64),
    st.integers(1, 64),
    st.sampled_from([0, 1, 2, 3, 4, 5, 8, 16]),
    st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7]),
    st.sampled_from([0, 1, 2]),
)
def test_png_with_rewritten_header_only_raises_avatar_error(
    sample: bytes, width: int, height: int, depth: int, colour: int, interlace: int
) -> None:
    (_, offset, length), *_ = chunks(sample)
    header = ihdr(width, height, depth, colour, interlace)
    accepted_or_refused(sample[:offset] + header + sample[offset + 12 + length :])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SAMPLES), st.data())
def test_png_with_any_chunk_body_replaced_only_raises_avatar_error(
    sample: bytes, data: st.DataObject
) -> None:
    kind, offset, length = data.draw(st.sampled_from(chunks(sample)))
    body = data.draw(st.binary(max_size=2 * length + 16))
    accepted_or_refused(sample[:offset] + chunk(kind, body) + sample[offset + 12 + length :])


# -- AvatarStore -----------------------------------------------------------------------------


def test_store_creates_a_private_root(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "avatars"
    AvatarStore(root)
    assert root.is_dir()
    assert stat.S_IMODE(root.stat().st_mode) & 0o077 == 0


def test_store_round_trips_bytes_under_their_hash(tmp_path: Path) -> None:
    store, data = AvatarStore(tmp_path), png(4, 4)
    sha256 = store.put(data)
    assert sha256 == digest(data)
    assert store.get(sha256) == data
    assert sha256 in store
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{sha256}.png"]


def test_store_put_is_idempotent_and_leaves_no_temp_files(tmp_path: Path) -> None:
    store, data = AvatarStore(tmp_path), png(4, 4)
    first = store.put(data)
    inode = (tmp_path / f"{first}.png").stat().st_ino
    assert store.put(data) == first
    assert (tmp_path / f"{first}.png").stat().st_ino == inode  # not rewritten
    assert [p.name for p in tmp_path.iterdir()] == [f"{first}.png"]


def test_store_get_of_unknown_hash_is_none(tmp_path: Path) -> None:
    store = AvatarStore(tmp_path)
    store.put(png(4, 4))
    assert store.get(digest(b"absent")) is None
    assert digest(b"absent") not in store


@pytest.mark.parametrize("name", ["../x", "A" * 64, "a" * 63, "a" * 64 + "/../x"])
def test_store_never_reads_a_path_built_from_an_invalid_hash(tmp_path: Path, name: str) -> None:
    root = tmp_path / "avatars"
    store = AvatarStore(root)
    # Plant the file each string would reach if it were joined to the root unchecked.
    planted = root / f"{name}.png"
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_bytes(b"secret")
    assert store.get(name) is None
    assert name not in store


def test_store_contains_is_false_for_non_strings(tmp_path: Path) -> None:
    store = AvatarStore(tmp_path)
    assert None not in store
    assert 42 not in store


# -- console_avatar --------------------------------------------------------------------------


def test_console_avatar_is_a_valid_32x32_png() -> None:
    data = console_avatar()
    validate_avatar(data, digest(data))
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("PNG", (32, 32))
    assert len(data) < 1024


def test_console_avatar_downscales_to_8x8_without_partial_transparency() -> None:
    # The half-block renderer paints any pixel with alpha > 0 fully opaque.
    with Image.open(io.BytesIO(console_avatar())) as image:
        small = image.convert("RGBA").resize((8, 8), Image.Resampling.BOX)
    assert set(small.getchannel("A").tobytes()) == {0, 255}


def test_shipped_console_avatar_is_what_the_script_draws() -> None:
    spec = importlib.util.spec_from_file_location("make_console_avatar", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with Image.open(io.BytesIO(console_avatar())) as shipped:
        assert shipped.convert("RGBA").tobytes() == script.draw().tobytes()


def test_console_avatar_from_a_valid_file_returns_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "mine.png"
    path.write_bytes(data := png(16, 16, "RGBA"))
    assert console_avatar(path) == data


def test_console_avatar_from_a_non_png_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "not-an-image.png"
    path.write_text("just text\n")
    with pytest.raises(AvatarError, match="not a PNG") as caught:
        console_avatar(path)
    assert str(path) in str(caught.value)


def test_console_avatar_from_a_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.png"
    with pytest.raises(AvatarError, match="cannot be read") as caught:
        console_avatar(path)
    assert str(path) in str(caught.value)
