"""Requests check the chat's rules when they are made, so nothing invalid reaches the
core: text rules, names, away texts, topics, and room names."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuichat.net.frames import MAX_TOPIC_CHARS
from tuichat.net.rooms import room_problem
from tuichat.server.core.requests import (
    JoinRoom,
    Rename,
    RequestError,
    Say,
    SetAway,
    SetTopic,
)


@pytest.mark.parametrize(("text", "problem"), [("", "the text is empty"),
                                                ("\u200b", "the text is empty"),
                                                ("a\x07b", "control character U\\+0007")])
def test_a_line_that_breaks_the_text_rules_cannot_be_said(text: str, problem: str) -> None:
    with pytest.raises(RequestError, match=problem):
        Say("#lobby", text)


def test_empty_away_texts_and_topics_clear_them() -> None:
    assert SetAway("").text is None and SetTopic("#dev", "").text is None


@pytest.mark.parametrize(("text", "problem"), [("a\nb", "one line"),
                                                ("x" * (MAX_TOPIC_CHARS + 1), "at most 300")])
def test_a_topic_is_one_short_line(text: str, problem: str) -> None:
    with pytest.raises(RequestError, match=problem):
        SetTopic("#dev", text)
    assert SetTopic("#dev", "x" * MAX_TOPIC_CHARS).text == "x" * MAX_TOPIC_CHARS


def test_a_new_name_follows_the_name_rules() -> None:
    assert Rename("Jose\u0301").name == "Jos\u00e9"
    with pytest.raises(RequestError):
        Rename("two words")


@given(st.text(alphabet="#abcXYZ019-_ .é", max_size=40))
def test_a_request_names_a_room_exactly_when_the_room_rule_allows(name: str) -> None:
    problem = room_problem(name)
    if problem is None:
        assert JoinRoom(name).room == name
    else:
        with pytest.raises(RequestError, match=re.escape(problem)):
            JoinRoom(name)
