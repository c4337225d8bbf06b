"""The sans-IO codec against the contract's framing rules: round trips, limits, bad input."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuichat.net.codec import (
    Decoded,
    FrameDecoder,
    ProtocolError,
    encode,
    parse_line,
    payload_size,
)
from tuichat.net.frames import MAX_FRAME_BYTES, MAX_PAYLOAD_BYTES

FRAME_LIMIT = 65_536
"""The contract's largest frame line, including its newline (pinned here, not imported)."""
PAYLOAD_LIMIT = 262_144
"""The contract's largest payload."""

# -- strategies -------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**300), max_value=10**300)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
frame_keys = st.text(max_size=12).filter(lambda key: key not in ("type", "size"))
frames = st.builds(
    lambda kind, rest: {"type": kind, **rest},
    st.text(max_size=16),
    st.dictionaries(frame_keys, json_values, max_size=5),
)
"""Frames without ``size``: a string ``type`` plus JSON values, unicode and nesting included."""


def pattern_bytes(size: int, motif: bytes) -> bytes:
    """``size`` bytes repeating ``motif``; cheap to build even at the payload limit."""
    return (motif * (size // len(motif) + 1))[:size]


payload_motifs = st.binary(min_size=1, max_size=32) | st.sampled_from(
    [b"\n", b"{", b'{"type":"x"}\n', b"\x00\xff\n{"]
)
payloads = st.builds(pattern_bytes, st.integers(0, PAYLOAD_LIMIT), payload_motifs)
small_payloads = st.binary(max_size=64) | st.sampled_from([b"", b"\n", b"{", b'\n{"type":"x"}\n'])
items = st.tuples(frames, st.none() | small_payloads)
"""One frame on the wire, with a payload or without."""


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at the given offsets (any order, duplicates allowed)."""
    points = [0, *sorted(set(cuts)), len(data)]
    return [data[start:end] for start, end in itertools.pairwise(points)]


def chunkings(data: bytes) -> st.SearchStrategy[list[bytes]]:
    """Ways to deliver ``data``: Hypothesis-chosen cut points, or one byte at a time."""
    bytewise = st.just([data[index : index + 1] for index in range(len(data))])
    return st.lists(st.integers(0, len(data)), max_size=40).map(lambda cuts: split(data, cuts)) | (
        bytewise
    )


def feed_all(chunks: list[bytes]) -> list[Decoded]:
    decoder = FrameDecoder()
    out: list[Decoded] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    assert decoder.buffered == 0, "a complete stream leaves nothing buffered"
    return out


def decode_one(data: bytes) -> Decoded:
    decoded = FrameDecoder().feed(data)
    assert len(decoded) == 1
    return decoded[0]


def line_of(total: int) -> bytes:
    """A valid frame line exactly ``total`` bytes long, newline included."""
    head, tail = b'{"type":"x","pad":"', b'"}\n'
    return head + b"a" * (total - len(head) - len(tail)) + tail


def refused(data: bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        FrameDecoder().feed(data)
    return caught.value


# -- round trips ------------------------------------------------------------------------------


@given(frames)
@settings(max_examples=200, deadline=None)
def test_any_frame_encodes_to_one_line_and_decodes_equal(frame: dict[str, Any]) -> None:
    data = encode(frame)
    assert data.endswith(b"\n")
    assert data.count(b"\n") == 1, "a frame is exactly one line"
    assert decode_one(data) == Decoded(frame, None)


def test_unicode_nested_and_big_values_round_trip() -> None:
    frame = {
        "type": "wörd 名前 😀",
        "text": 'line\nbreak \u2028 "quoted" \\ \x00 \x1f',
        "nested": [[[{"k": [1, -2, 3.5, None, True]}]], {}],
        "big": 2**200,
        "negative": -(2**200),
        "tiny": 5e-324,
        "😀": {"é": "e\u0301"},
    }
    assert decode_one(encode(frame)).frame == frame


@given(frames, payloads)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_frame_with_payload_round_trips_and_sets_size(
    frame: dict[str, Any], payload: bytes
) -> None:
    data = encode(frame, payload)
    decoded = decode_one(data)
    assert decoded.payload == payload
    assert decoded.frame == {**frame, "size": len(payload)}


@pytest.mark.parametrize("size", [0, 1, PAYLOAD_LIMIT - 1, PAYLOAD_LIMIT])
def test_payload_sizes_at_the_edges_round_trip(size: int) -> None:
    payload = pattern_bytes(size, b'\n{"type":"evil"}\n')
    decoded = decode_one(encode({"type": "avatar", "sha256": "0" * 64}, payload))
    assert decoded.payload == payload
    assert decoded.frame["size"] == size


@given(st.data(), st.lists(items, min_size=1, max_size=8))
@settings(max_examples=80, deadline=None)
def test_concatenated_frames_decode_in_order_whatever_the_chunking(
    data: st.DataObject, stream_items: list[tuple[dict[str, Any], bytes | None]]
) -> None:
    stream = b"".join(encode(frame, payload) for frame, payload in stream_items)
    chunks = data.draw(chunkings(stream))
    assert b"".join(chunks) == stream
    expected = [
        Decoded(frame if payload is None else {**frame, "size": len(payload)}, payload)
        for frame, payload in stream_items
    ]
    assert feed_all(chunks) == expected


def test_byte_by_byte_delivery_of_large_frames_and_payload() -> None:
    big_line = line_of(FRAME_LIMIT)
    payload = pattern_bytes(20_000, b'{\n"size":1}\n')
    stream = big_line + encode({"type": "avatar"}, payload) + encode({"type": "after"})
    decoded = feed_all([stream[index : index + 1] for index in range(len(stream))])
    assert [item.frame["type"] for item in decoded] == ["x", "avatar", "after"]
    assert decoded[1].payload == payload
    assert decoded[0].payload is None and decoded[2].payload is None


def test_feeding_nothing_yields_nothing() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"") == []
    assert decoder.buffered == 0


def test_partial_line_is_held_until_its_newline() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b'{"type":"a"}\n{"type"') == [Decoded({"type": "a"})]
    assert decoder.buffered == len(b'{"type"')
    assert decoder.feed(b':"b"}\n') == [Decoded({"type": "b"})]
    assert decoder.buffered == 0


def test_unknown_keys_survive_decoding() -> None:
    decoded = decode_one(b'{"type":"say","text":"hi","extra":{"x":[1]}}\n')
    assert decoded.frame == {"type": "say", "text": "hi", "extra": {"x": [1]}}


def test_decoder_accepts_whitespace_and_crlf_around_the_object() -> None:
    assert decode_one(b' { "type" : "x" } \r\n').frame == {"type": "x"}


def test_valid_surrogate_pair_escape_decodes_to_one_character() -> None:
    assert decode_one(b'{"type":"\\ud83d\\ude00"}\n').frame == {"type": "\U0001f600"}


# -- limits -----------------------------------------------------------------------------------


def test_limits_are_the_contracts() -> None:
    assert MAX_FRAME_BYTES == FRAME_LIMIT
    assert MAX_PAYLOAD_BYTES == PAYLOAD_LIMIT


def test_line_of_exactly_the_limit_is_accepted() -> None:
    line = line_of(FRAME_LIMIT)
    assert len(line) == FRAME_LIMIT
    assert decode_one(line).frame["type"] == "x"


def test_line_one_byte_over_the_limit_is_refused() -> None:
    line = line_of(FRAME_LIMIT + 1)
    assert len(line) == FRAME_LIMIT + 1
    assert "65,536" in str(refused(line))


def test_line_at_the_limit_delivered_without_its_newline_waits() -> None:
    line = line_of(FRAME_LIMIT)
    decoder = FrameDecoder()
    assert decoder.feed(line[:-1]) == []
    assert decoder.buffered == FRAME_LIMIT - 1
    assert decoder.feed(b"\n") == [Decoded({"type": "x", "pad": "a" * (FRAME_LIMIT - 22)})]


def test_overlong_line_is_refused_as_soon_as_the_limit_is_buffered() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"{" * (FRAME_LIMIT - 1)) == []
    with pytest.raises(ProtocolError):
        decoder.feed(b"{")  # 65,536 bytes and still no newline: no need to wait for one


def test_overlong_line_in_one_feed_is_refused_without_a_newline() -> None:
    refused(b"a" * FRAME_LIMIT)


def test_limit_counts_from_the_start_of_the_current_line() -> None:
    decoder = FrameDecoder()
    first = line_of(FRAME_LIMIT)
    assert len(decoder.feed(first + b"b" * (FRAME_LIMIT - 1))) == 1
    assert decoder.buffered == FRAME_LIMIT - 1


def test_limit_counts_from_the_end_of_a_payload() -> None:
    decoder = FrameDecoder()
    header = encode({"type": "avatar"}, b"\xff" * 10)
    decoded = decoder.feed(header + b"c" * (FRAME_LIMIT - 1))
    assert [item.payload for item in decoded] == [b"\xff" * 10]
    with pytest.raises(ProtocolError):
        decoder.feed(b"c")


@pytest.mark.parametrize(
    "size",
    [
        b"-1",
        b"262145",
        b'"10"',
        b"true",
        b"false",
        b"1.5",
        b"null",
        b"10.0",
        b"[1]",
        b"1e3",
        b"99999999999999999999999",
    ],
)
def test_invalid_size_is_refused(size: bytes) -> None:
    refused(b'{"type":"avatar","size":' + size + b"}\n" + b"x" * 16)


@pytest.mark.parametrize("size", [-1, PAYLOAD_LIMIT + 1, "10", True, False, 1.5, None, 10.0])
def test_payload_size_refuses_values_outside_the_contract(size: object) -> None:
    with pytest.raises(ProtocolError):
        payload_size({"type": "avatar", "size": size})


def test_payload_size_reads_sizes_inside_the_contract() -> None:
    assert payload_size({"type": "ping"}) is None
    assert payload_size({"type": "avatar", "size": 0}) == 0
    assert payload_size({"type": "avatar", "size": PAYLOAD_LIMIT}) == PAYLOAD_LIMIT


def test_parse_line_applies_the_limit_counting_the_newline() -> None:
    line = line_of(FRAME_LIMIT)[:-1]
    assert parse_line(line)["type"] == "x"
    with pytest.raises(ProtocolError):
        parse_line(line[:-2] + b'a"}')


def test_size_zero_gives_an_empty_payload_at_once() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b'{"type":"avatar","size":0}\n') == [
        Decoded({"type": "avatar", "size": 0}, b"")
    ]
    assert decoder.buffered == 0


def test_frame_without_size_has_no_payload() -> None:
    assert decode_one(b'{"type":"ping","n":1}\n').payload is None


def test_payload_split_across_feeds_is_delivered_whole_and_once() -> None:
    payload = b'\n{"type":"not-a-frame"}\n' * 100
    data = encode({"type": "avatar"}, payload) + encode({"type": "next"})
    header_end = data.index(b"\n") + 1
    decoder = FrameDecoder()
    assert decoder.feed(data[: header_end + 10]) == [], "the frame waits for its payload"
    assert decoder.buffered == 10
    assert decoder.feed(data[header_end + 10 : header_end + 1000]) == []
    out = decoder.feed(data[header_end + 1000 :])
    assert out == [
        Decoded({"type": "avatar", "size": len(payload)}, payload),
        Decoded({"type": "next"}),
    ]


def test_bytes_after_a_payload_are_read_as_the_next_frame() -> None:
    decoder = FrameDecoder()
    out = decoder.feed(b'{"type":"avatar","size":3}\nabc{"type":"b"}\n')
    assert out == [Decoded({"type": "avatar", "size": 3}, b"abc"), Decoded({"type": "b"})]


def test_encode_accepts_a_line_of_exactly_the_limit() -> None:
    pad = FRAME_LIMIT - len(encode({"type": "x", "pad": ""}))
    data = encode({"type": "x", "pad": "a" * pad})
    assert len(data) == FRAME_LIMIT


def test_encode_refuses_a_line_one_byte_over_the_limit() -> None:
    pad = FRAME_LIMIT - len(encode({"type": "x", "pad": ""})) + 1
    with pytest.raises(ProtocolError):
        encode({"type": "x", "pad": "a" * pad})


def test_encode_counts_the_limit_in_utf8_bytes_not_characters() -> None:
    pad_chars = (FRAME_LIMIT - len(encode({"type": "x", "pad": ""}))) // 2 + 1
    with pytest.raises(ProtocolError):
        encode({"type": "x", "pad": "é" * pad_chars})  # fewer chars than the limit, more bytes


def test_encode_refuses_an_oversize_payload() -> None:
    with pytest.raises(ProtocolError):
        encode({"type": "avatar"}, bytes(PAYLOAD_LIMIT + 1))


@pytest.mark.parametrize(
    "frame",
    [
        {},
        {"text": "hi"},
        {"type": None},
        {"type": 1},
        {"type": b"say"},
        {"type": ["say"]},
    ],
    ids=["empty", "no-type", "type-null", "type-int", "type-bytes", "type-list"],
)
def test_encode_refuses_a_frame_without_string_type(frame: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        encode(frame)


def test_encode_refuses_size_without_a_payload() -> None:
    with pytest.raises(ProtocolError):
        encode({"type": "avatar", "size": 0})


def test_encode_with_payload_overrides_a_stated_size() -> None:
    decoded = decode_one(encode({"type": "avatar", "size": 999}, b"abc"))
    assert decoded == Decoded({"type": "avatar", "size": 3}, b"abc")


@pytest.mark.parametrize(
    "value",
    [math.nan, math.inf, -math.inf, [1.0, math.nan]],
    ids=["nan", "inf", "-inf", "nested-nan"],
)
def test_encode_refuses_non_finite_numbers(value: Any) -> None:
    with pytest.raises(ProtocolError):
        encode({"type": "x", "v": value})


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "\ud800"},
        {"type": "x", "text": "a\udfffb"},
        {"type": "x", "list": ["ok", "\udc00"]},
        {"type": "x", "\ud83d": 1},
    ],
    ids=["type", "value", "nested", "key"],
)
def test_encode_refuses_lone_surrogates(frame: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        encode(frame)


def test_encode_refuses_values_json_cannot_hold() -> None:
    for value in (b"bytes", {1, 2}, object(), (1j)):
        with pytest.raises(ProtocolError):
            encode({"type": "x", "v": value})


def test_encode_refuses_a_circular_frame() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ProtocolError):
        encode({"type": "x", "v": loop})


def test_encode_refuses_deep_nesting_with_protocol_error_not_recursion_error() -> None:
    deep: list[Any] = []
    for _ in range(5_000):
        deep = [deep]
    with pytest.raises(ProtocolError):
        encode({"type": "x", "v": deep})


# -- bad input --------------------------------------------------------------------------------

NOT_UTF8 = {
    "invalid-byte": b'{"type":"x","t":"\xff"}\n',
    "lone-continuation": b'{"type":"\x80"}\n',
    "overlong-slash": b'{"type":"\xc0\xaf"}\n',
    "encoded-surrogate": b'{"type":"\xed\xa0\x80"}\n',
    "truncated-sequence": b'{"type":"\xe2\x82"}\n',
    "latin1": '{"type":"Zoë"}\n'.encode("latin-1"),
}
NOT_JSON = {
    "empty-line": b"\n",
    "blank-line": b"   \n",
    "open-brace": b"{\n",
    "words": b"hello\n",
    "single-quotes": b"{'type':'x'}\n",
    "trailing-comma": b'{"type":"x",}\n',
    "extra-data": b'{"type":"x"} {"type":"y"}\n',
    "unquoted-key": b"{type:1}\n",
    "raw-control-char": b'{"type":"a\tb"}\n',
    "bad-escape": b'{"type":"\\x41"}\n',
    "short-unicode-escape": b'{"type":"\\u12"}\n',
    "utf8-bom": b'\xef\xbb\xbf{"type":"x"}\n',
    "int-too-long": b'{"type":"x","n":' + b"9" * 5_000 + b"}\n",
}
NOT_OBJECT = {
    "array": b"[]\n",
    "string": b'"x"\n',
    "number": b"1\n",
    "null": b"null\n",
    "true": b"true\n",
    "array-of-frame": b'[{"type":"x"}]\n',
}
NO_STRING_TYPE = {
    "empty-object": b"{}\n",
    "other-keys": b'{"text":"hi"}\n',
    "wrong-case": b'{"Type":"x"}\n',
    "type-int": b'{"type":1}\n',
    "type-null": b'{"type":null}\n',
    "type-bool": b'{"type":true}\n',
    "type-list": b'{"type":["x"]}\n',
    "type-object": b'{"type":{"x":1}}\n',
    "last-duplicate-wins": b'{"type":"x","type":2}\n',
}
NOT_FINITE = {
    "nan": b'{"type":"x","v":NaN}\n',
    "infinity": b'{"type":"x","v":Infinity}\n',
    "minus-infinity": b'{"type":"x","v":-Infinity}\n',
    "nan-in-list": b'{"type":"x","v":[1,NaN]}\n',
    "overflow-to-inf": b'{"type":"x","v":1e400}\n',
    "overflow-to-minus-inf": b'{"type":"x","v":-1e400}\n',
}
LONE_SURROGATE = {
    "high-in-type": b'{"type":"\\ud800"}\n',
    "low-in-value": b'{"type":"x","t":"a\\udc00"}\n',
    "reversed-pair": b'{"type":"x","t":"\\ude00\\ud83d"}\n',
    "in-key": b'{"type":"x","\\ud800":1}\n',
    "deep-in-list": b'{"type":"x","t":[[["\\udfff"]]]}\n',
}
DEEP = {
    "100k-open-brackets": b"[" * 100_000 + b"\n",
    "open-brackets-within-limit": b"[" * (FRAME_LIMIT - 1) + b"\n",
    "balanced-arrays-within-limit": b'{"type":"x","v":' + b"[" * 30_000 + b"]" * 30_000 + b"}\n",
    "nested-objects-within-limit": b'{"type":"x","v":'
    + b'{"a":' * 10_000
    + b"1"
    + b"}" * 10_001
    + b"\n",
}
BAD_INPUT = {
    f"{group}:{name}": data
    for group, cases in [
        ("utf8", NOT_UTF8),
        ("json", NOT_JSON),
        ("object", NOT_OBJECT),
        ("type", NO_STRING_TYPE),
        ("finite", NOT_FINITE),
        ("surrogate", LONE_SURROGATE),
        ("deep", DEEP),
    ]
    for name, data in cases.items()
}


@pytest.mark.parametrize("data", list(BAD_INPUT.values()), ids=list(BAD_INPUT))
def test_bad_line_raises_protocol_error(data: bytes) -> None:
    refused(data)


def test_protocol_error_carries_bad_frame_code() -> None:
    assert refused(b"nope\n").code == "bad_frame"


def test_decoder_keeps_raising_after_a_protocol_error() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b'{"type":"before"}\n') == [Decoded({"type": "before"})]
    with pytest.raises(ProtocolError):
        decoder.feed(b"garbage\n")
    for later in (b'{"type":"after"}\n', b"", b"\n"):
        with pytest.raises(ProtocolError):
            decoder.feed(later)
    assert decoder.buffered == 0, "the failed decoder holds nothing"


def test_good_frames_before_bad_bytes_in_one_feed_are_kept() -> None:
    decoder = FrameDecoder()
    with pytest.raises(ProtocolError) as caught:
        decoder.feed(b'{"type":"one"}\n{"type":"two"}\nnot json\n{"type":"three"}\n')
    assert caught.value.frames == [Decoded({"type": "one"}), Decoded({"type": "two"})]
    with pytest.raises(ProtocolError) as again:
        decoder.feed(b'{"type":"after"}\n')
    assert again.value.frames == [], "frames are handed out once"


def test_decoder_keeps_raising_after_an_overlong_line() -> None:
    decoder = FrameDecoder()
    with pytest.raises(ProtocolError):
        decoder.feed(b"x" * FRAME_LIMIT)
    with pytest.raises(ProtocolError):
        decoder.feed(b'{"type":"after"}\n')


# -- fuzz -------------------------------------------------------------------------------------

json_ish_bytes = st.lists(
    st.sampled_from(
        [
            b"{",
            b"}",
            b"[",
            b"]",
            b'"type"',
            b'"size"',
            b":",
            b",",
            b'"x"',
            b"1",
            b"0",
            b"-1",
            b"\n",
            b"\r",
            b" ",
            b"\\u",
            b"d800",
            b"NaN",
            b"1e400",
            b"\xff",
            b"\xc3\xa9",
            b"null",
            b"true",
            b'"',
            b"\\",
        ]
    ),
    max_size=60,
).map(b"".join)
arbitrary_streams = st.binary(max_size=400) | json_ish_bytes


def outcome(chunks: list[bytes]) -> tuple[list[Decoded], bool, int]:
    """Frames decoded before any error, whether an error came, and what stayed buffered."""
    decoder = FrameDecoder()
    out: list[Decoded] = []
    for chunk in chunks:
        try:
            out.extend(decoder.feed(chunk))
        except ProtocolError:
            return out, True, decoder.buffered
    return out, False, decoder.buffered


def assert_reencodes(decoded: list[Decoded]) -> None:
    """Whatever the decoder accepts, encode turns back into the same frame and payload."""
    for item in decoded:
        assert decode_one(encode(item.frame, item.payload)) == item


@given(st.data(), arbitrary_streams)
@settings(max_examples=400, deadline=None)
def test_arbitrary_bytes_in_any_chunks_raise_only_protocol_error(
    data: st.DataObject, stream: bytes
) -> None:
    chunks = data.draw(chunkings(stream))
    frames_chunked, failed_chunked, left_chunked = outcome(chunks)
    frames_whole, failed_whole, left_whole = outcome([stream])
    assert failed_chunked == failed_whole, "chunk boundaries do not change whether input is bad"
    if not failed_whole:
        assert frames_chunked == frames_whole
        assert left_chunked == left_whole
    assert_reencodes(frames_chunked)


mutations = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete"]), st.integers(0, 10**6), st.integers(1, 255)
    ),
    min_size=1,
    max_size=4,
)


def mutate(stream: bytes, edits: list[tuple[str, int, int]]) -> bytes:
    data = bytearray(stream)
    for kind, where, byte in edits:
        index = where % (len(data) + 1)
        if kind == "insert":
            data.insert(index, byte)
        elif data and index < len(data):
            if kind == "flip":
                data[index] ^= byte
            else:
                del data[index]
    return bytes(data)


@given(st.data(), st.lists(items, min_size=1, max_size=4), mutations)
@settings(max_examples=120, deadline=None)
def test_mutated_valid_streams_raise_only_protocol_error(
    data: st.DataObject,
    stream_items: list[tuple[dict[str, Any], bytes | None]],
    edits: list[tuple[str, int, int]],
) -> None:
    stream = mutate(b"".join(encode(frame, payload) for frame, payload in stream_items), edits)
    chunks = data.draw(chunkings(stream))
    frames_chunked, failed_chunked, _ = outcome(chunks)
    _, failed_whole, _ = outcome([stream])
    assert failed_chunked == failed_whole
    assert_reencodes(frames_chunked)


@given(json_values)
@settings(max_examples=200)
def test_any_json_value_that_is_not_an_object_is_refused(value: Any) -> None:
    if isinstance(value, dict):
        value = [value]
    refused(json.dumps(value).encode() + b"\n")
