"""The contract's rules for names, chat text, refs and avatar hashes, and message frames."""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tuichat.net.codec import FrameDecoder, encode
from tuichat.net.frames import (
    CONSOLE,
    Message,
    is_ref,
    is_sha256,
    text_problem,
)
from tuichat.net.names import name_problem, normalize_name

SHA = hashlib.sha256(b"avatar").hexdigest()

# -- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "alice",
        "Zoë",
        "名前",
        "a.b-c_d",
        "x" * 32,
        "Ωμέγα",
        "Алиса",
        "user42",
        "7",
        "_",
        "-a-",
        "a.",
        "a..b",
        "Consoles",
        "Console1",
    ],
)
def test_name_problem_accepts_valid_names(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    "name",
    [
        "",
        "x" * 33,
        ".x",
        ".",
        "Console",
        "CONSOLE",
        "console",
        "cOnSoLe",
        "a b",
        "a/b",
        "a\\b",
        "a:b",
        "a@b",
        "a\x00",
        "a\n",
        "a\t",
        "\U0001f600",
        "a\U0001f600",
        "a\u200bb",
        "a\ud800",
        " alice",
    ],
    ids=lambda name: repr(name)[:20],
)
def test_name_problem_refuses_invalid_names(name: str) -> None:
    problem = name_problem(name)
    assert isinstance(problem, str) and problem


@pytest.mark.parametrize("value", [None, 1, b"alice", ["alice"], 3.5, True])
def test_name_problem_refuses_non_strings(value: object) -> None:
    assert name_problem(value) is not None


def test_name_length_counts_characters_not_bytes() -> None:
    assert name_problem("名" * 32) is None
    assert name_problem("名" * 33) is not None


def test_console_is_the_reserved_name() -> None:
    assert CONSOLE == "Console"
    assert name_problem(CONSOLE) is not None


def test_normalize_name_makes_decomposed_and_composed_forms_equal() -> None:
    decomposed, composed = "e\u0301", "\u00e9"
    assert decomposed != composed
    assert normalize_name(decomposed) == normalize_name(composed) == composed
    assert name_problem(normalize_name("Zoe\u0308")) is None
    assert normalize_name("Zoe\u0308") == "Zoë"


@given(st.text(max_size=40))
@example("A\u0f8d")  # a Tibetan subjoined letter (Mn) after a letter: allowed, as in Tibetan
@settings(max_examples=300)
def test_any_accepted_name_keeps_the_contracts_promises(raw: str) -> None:
    name = normalize_name(raw)
    if name_problem(name) is not None:
        return
    assert 1 <= len(name) <= 32
    assert not name.startswith(".")
    assert name.casefold() != "console"
    assert not any(char.isspace() or char in "/\\:\x00" for char in name)
    categories = [unicodedata.category(char) for char in name]
    for index, (char, category) in enumerate(zip(name, categories, strict=True)):
        after_letter = index > 0 and categories[index - 1][0] in "LM"
        assert (char in "_-." or category[0] == "L" or category == "Nd"
                or (category in ("Mn", "Mc") and after_letter)), (char, category)
    name.encode("utf-8")  # never a lone surrogate


@given(st.text(alphabet=st.characters(categories=["L", "Nd"]), min_size=1, max_size=32))
@settings(max_examples=200)
def test_letters_and_digits_of_any_script_make_a_name(name: str) -> None:
    if name.casefold() == "console":
        return
    assert name_problem(name) is None


# -- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a",
        "hello",
        "line one\nline two",
        "\n indented \n",
        "x" * 4096,
        "a" + "\n" * 4095,
        "\n" * 4095 + "z",
        "Zoë 名前 \U0001f600",
        "tab-free but \u00a0spaced",
    ],
    ids=lambda text: repr(text)[:20],
)
def test_text_problem_accepts_chat_lines(text: str) -> None:
    assert text_problem(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n",
        "\n\n  \n",
        "\u3000",
        "x" * 4097,
        "a\tb",
        "a\rb",
        "line\r\n",
        "a\x00",
        "a\x7f",
        "a\x1b[31m",
        "a\x85",
        "a\ud800",
        "\udfffz",
        "\ud83d\ude00",
    ],
    ids=lambda text: repr(text)[:20],
)
def test_text_problem_refuses_bad_chat_lines(text: str) -> None:
    problem = text_problem(text)
    assert isinstance(problem, str) and problem


@pytest.mark.parametrize("value", [None, 1, b"hello", ["hello"], 2.5, False])
def test_text_problem_refuses_non_strings(value: object) -> None:
    assert text_problem(value) is not None


def test_text_limit_counts_characters_and_can_be_lowered() -> None:
    assert text_problem("é" * 4096) is None
    assert text_problem("abc", limit=3) is None
    assert text_problem("abcd", limit=3) is not None


def _text_rule(text: str, limit: int) -> str | None:
    """The chat-text rule as the contract states it, one character at a time."""
    if all(char.isspace() or unicodedata.category(char) == "Cf" for char in text):
        return "the text is empty"
    if len(text) > limit:
        return f"the text is {len(text):,} characters long; at most {limit:,} are allowed"
    for char in text:
        if char != "\n" and unicodedata.category(char) in ("Cc", "Cs"):
            return f"the text holds the control character U+{ord(char):04X}"
    return None


_ODD_CHARACTERS = st.sampled_from(
    " \n\t\r\x00\x1f\x7f\x85\x9f\xa0\u200b\u200d\u2028\u202e\u3000\ufeff\ud800\udfff"
)


@given(st.text(st.one_of(_ODD_CHARACTERS, st.characters()), max_size=60),
       st.integers(min_value=1, max_value=80))
@settings(max_examples=500)
def test_text_problem_gives_the_contracts_answer_for_any_text(text: str, limit: int) -> None:
    """The fast checks (a regex, a strip) agree with the rule read character by character."""
    assert text_problem(text, limit=limit) == _text_rule(text, limit)


@given(st.text(min_size=1, max_size=200))
@settings(max_examples=300)
def test_any_accepted_text_is_printable_utf8_with_newlines(text: str) -> None:
    if text_problem(text) is not None:
        return
    assert text.strip()
    assert all(char == "\n" or unicodedata.category(char) not in ("Cc", "Cs") for char in text)
    text.encode("utf-8")


# -- sha256 and ref ---------------------------------------------------------------------------


def test_is_sha256_accepts_a_lowercase_hex_digest() -> None:
    assert is_sha256(SHA)
    assert is_sha256("0" * 64)


@pytest.mark.parametrize(
    "value",
    [
        SHA.upper(),
        SHA[:-1],
        SHA + "0",
        SHA + "\n",
        "g" * 64,
        " " + SHA[1:],
        "",
        None,
        64,
        SHA.encode(),
        [SHA],
    ],
    ids=[
        "upper",
        "short",
        "long",
        "newline",
        "non-hex",
        "space",
        "empty",
        "none",
        "int",
        "bytes",
        "list",
    ],
)
def test_is_sha256_refuses_anything_else(value: object) -> None:
    assert not is_sha256(value)


@pytest.mark.parametrize("value", ["c-17", "x" * 64, 17, 0, -5, 2**70, "名前"])
def test_is_ref_accepts_short_strings_and_integers(value: object) -> None:
    assert is_ref(value)


@pytest.mark.parametrize(
    "value",
    [True, False, None, 1.5, "x" * 65, "", " ", "a\tb", "a\x00", ["c-17"], {"ref": 1}, b"c-17"],
    ids=lambda value: repr(value)[:20],
)
def test_is_ref_refuses_bools_long_strings_and_other_values(value: object) -> None:
    assert not is_ref(value)


# -- message frames ---------------------------------------------------------------------------

messages = st.builds(
    Message,
    seq=st.integers(min_value=0, max_value=2**63),
    ts=st.floats(min_value=0, max_value=4e9, allow_nan=False),
    sender=st.text(min_size=1, max_size=32),
    text=st.text(min_size=1, max_size=300),
    avatar=st.none()
    | st.just(SHA)
    | st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
)


@given(messages)
@settings(max_examples=200)
def test_message_round_trips_through_its_frame(message: Message) -> None:
    assert Message.from_frame(message.to_frame()) == message


@given(messages)
@settings(max_examples=100)
def test_message_round_trips_over_the_wire(message: Message) -> None:
    decoded = FrameDecoder().feed(encode(message.to_frame()))
    assert [Message.from_frame(item.frame) for item in decoded] == [message]


def test_message_frame_has_the_contracts_keys() -> None:
    frame = Message(42, 1764028741.123, "alice", "hello", SHA).to_frame()
    assert frame == {
        "type": "message",
        "seq": 42,
        "ts": 1764028741.123,
        "from": "alice",
        "text": "hello",
        "avatar": SHA,
    }
    assert Message(1, 0.0, "bob", "hi").to_frame()["avatar"] is None


def test_message_from_frame_ignores_extra_keys_and_reads_integer_ts() -> None:
    frame = {
        "type": "message",
        "seq": 1,
        "ts": 17,
        "from": "a",
        "text": "t",
        "ref": "c-1",
        "replay": True,
    }
    message = Message.from_frame(frame)
    assert message == Message(1, 17.0, "a", "t", None)
    assert isinstance(message.ts, float)


@pytest.mark.parametrize("avatar", ["not-a-hash", SHA.upper(), 5, ["x"]])
def test_message_from_frame_drops_an_invalid_avatar(avatar: object) -> None:
    frame = {"type": "message", "seq": 1, "ts": 1.0, "from": "a", "text": "t", "avatar": avatar}
    assert Message.from_frame(frame).avatar is None


@pytest.mark.parametrize("missing", ["seq", "ts", "from", "text"])
def test_message_from_frame_needs_every_key(missing: str) -> None:
    frame: dict[str, Any] = {"type": "message", "seq": 1, "ts": 1.0, "from": "a", "text": "t"}
    del frame[missing]
    with pytest.raises(KeyError):
        Message.from_frame(frame)


@pytest.mark.parametrize(
    "changes",
    [
        {"seq": "1"},
        {"seq": 1.0},
        {"seq": True},
        {"ts": "1"},
        {"ts": None},
        {"ts": False},
        {"from": 1},
        {"from": None},
        {"text": ["t"]},
        {"text": b"t"},
    ],
    ids=lambda changes: repr(changes),
)
def test_message_from_frame_refuses_wrong_types(changes: dict[str, Any]) -> None:
    frame = {"type": "message", "seq": 1, "ts": 1.0, "from": "a", "text": "t", **changes}
    with pytest.raises(TypeError):
        Message.from_frame(frame)


@pytest.mark.parametrize("name", ["नमस्ते", "สมชาย", "Zoe\u0308"])
def test_combining_marks_may_follow_a_letter(name: str) -> None:
    assert name_problem(normalize_name(name)) is None


@pytest.mark.parametrize("name", ["\u0301abc", "a-\u0301", "1\u0301"])
def test_combining_marks_cannot_stand_alone(name: str) -> None:
    assert name_problem(name) is not None


@pytest.mark.parametrize("name", ["\uff23\uff4f\uff4e\uff53\uff4f\uff4c\uff45", "\uff23ONSOLE"])
def test_console_cannot_be_spelled_in_full_width(name: str) -> None:
    problem = name_problem(name)
    assert problem is not None and "reserved" in problem


@pytest.mark.parametrize("text", ["\u200b", " \u200b\n\u2060 ", "\ufeff"])
def test_invisible_only_text_counts_as_empty(text: str) -> None:
    assert text_problem(text) == "the text is empty"
