"""Room names (``tuichat/net/rooms.py``): the documented rule, the kept form and the
reasons given for a name that breaks it."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tuichat.net.rooms import (
    DEFAULT_ROOM,
    MAX_ROOM_CHARS,
    normalize_room,
    room_problem,
    room_stem,
)

_FIRST = frozenset(string.ascii_letters + string.digits)
_LATER = _FIRST | {"-", "_"}


def allowed_as_typed(text: str) -> bool:
    """The rule of the module's docstring, spelled out on its own: trimmed, an optional
    ``#``, then 1 to 31 ASCII letters (either case), digits, ``-`` or ``_``, the first a
    letter or a digit."""
    body = text.strip()
    body = body.removeprefix("#")
    return (1 <= len(body) <= MAX_ROOM_CHARS - 1 and body[0] in _FIRST
            and all(char in _LATER for char in body))


# Characters that tempt a rule: ASCII of both cases and the symbols around it, white space
# of several kinds, and letters whose lower case is (or looks) ASCII: the Kelvin sign
# lower-cases to "k", the dotted capital I to "i" and a combining dot.
_TRICKY = st.sampled_from([*"aZ09-_#. /\\\t\n\x00", "\u212a", "\u0130", "\u017f", "\uff21",
                           "é", "\u3000", "\u200b", "\u0131", "\u2028"])
_TYPED = st.one_of(st.text(_TRICKY, max_size=40), st.text(max_size=40),
                   st.text(st.sampled_from(sorted(_LATER | {"#", " "})), max_size=40))


@given(_TYPED)
@example("\u212a")  # KELVIN SIGN: its lower case is ASCII "k"
@example("#" + "a" * 31)
@example("#" + "a" * 32)
def test_a_typed_name_is_kept_exactly_when_the_rule_allows_it(text: str) -> None:
    assert (room_problem(normalize_room(text)) is None) == allowed_as_typed(text), text


@given(_TYPED)
def test_normalizing_twice_changes_nothing(text: str) -> None:
    once = normalize_room(text)
    assert normalize_room(once) == once


@given(_TYPED)
def test_a_kept_name_is_lower_case_ascii_of_at_most_32_characters(text: str) -> None:
    name = normalize_room(text)
    if room_problem(name) is None:
        assert name.isascii() and name == name.lower() and name.startswith("#")
        assert len(name) <= MAX_ROOM_CHARS == 32


@given(st.one_of(_TYPED, st.builds(normalize_room, _TYPED), st.integers(), st.none()))
def test_every_problem_is_one_lower_case_fragment_without_a_period(name: object) -> None:
    problem = room_problem(name)
    if problem is not None:
        assert problem and problem[0].islower() and "\n" not in problem
        assert not problem.endswith("."), problem


@pytest.mark.parametrize(("typed", "kept"), [
    ("dev", "#dev"), ("#dev", "#dev"), ("#Dev", "#dev"), ("  DEV\t", "#dev"),
    ("0day", "#0day"), ("a-b_c", "#a-b_c"), ("#" + "x" * 31, "#" + "x" * 31),
])
def test_examples_of_names_kept(typed: str, kept: str) -> None:
    assert normalize_room(typed) == kept
    assert room_problem(kept) is None


@pytest.mark.parametrize(("name", "reason"), [
    ("", "# and then letters"),
    ("#", "# and then letters"),
    ("dev", "# and then letters"),
    ("#" + "x" * 32, "at most 32 characters"),
    ("#-dev", "starts with a lower-case letter or a digit"),
    ("#_dev", "starts with a lower-case letter or a digit"),
    ("#Dev", "starts with a lower-case letter or a digit"),
    ("#\u212a", "starts with a lower-case letter or a digit"),
    ("#dEv", "holds only a-z, 0-9, - and _"),
    ("#dev chat", "holds only a-z, 0-9, - and _"),
    ("#d\u00e9v", "holds only a-z, 0-9, - and _"),
    ("#../x", "starts with a lower-case letter or a digit"),
    ("#a/../../x", "holds only a-z, 0-9, - and _"),
    ("#dev\n", "holds only a-z, 0-9, - and _"),
    (5, "must be a string"),
])
def test_examples_of_names_refused_and_why(name: object, reason: str) -> None:
    problem = room_problem(name)
    assert problem is not None and reason in problem


def test_the_kelvin_sign_is_not_taken_for_a_k() -> None:
    """str.lower() turns U+212A into ASCII "k": lower-casing all of Unicode made a name
    typed with it the room #k, outside the documented rule."""
    assert room_problem(normalize_room("\u212a")) is not None
    assert room_problem(normalize_room("#de\u212a")) is not None


def test_the_default_room_follows_the_rule() -> None:
    assert room_problem(DEFAULT_ROOM) is None


def test_a_stem_is_the_name_without_its_hash() -> None:
    assert room_stem("#dev") == "dev"
    assert room_stem(DEFAULT_ROOM) == "lobby"


@pytest.mark.parametrize("name", ["#../x", "dev", "#Dev", "#a/b", ""])
def test_a_stem_is_refused_for_a_name_that_breaks_the_rule(name: str) -> None:
    """A stem names a file: it must not depend on an assert, which ``python -O`` drops."""
    with pytest.raises(ValueError, match="not a room name"):
        room_stem(name)
