"""IRC lines read once and written one way: whatever bytes arrive, reading them gives a
``Line`` or ``LineError``, and every line written reads back as what was written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuichat.server.doors.irc.message import Line, LineError, encode, parse
from tuichat.server.doors.irc.nicks import nick_of, nick_problem

WORD = st.text(st.characters(blacklist_characters=" \r\n\0:", codec="utf-8"), min_size=1)


def test_a_line_reads_into_command_params_and_tags() -> None:
    line = parse(b"@time=x;a=b\\sc :src privmsg #lobby :hello there\r")
    assert line == Line("PRIVMSG", ("#lobby", "hello there"), {"time": "x", "a": "b c"})
    assert parse(b"NICK alice").params == ("alice",)
    with pytest.raises(LineError):
        parse(b"@only=tags")


@given(st.binary(max_size=600))
def test_any_bytes_read_as_a_line_or_a_clear_error(raw: bytes) -> None:
    try:
        line = parse(raw)
    except LineError:
        return
    assert line.command and line.command == line.command.upper()


@given(st.from_regex(r"[A-Z]{1,10}", fullmatch=True), st.lists(WORD, max_size=5),
       st.text(max_size=50))
def test_what_is_written_reads_back(command: str, middle: list[str], last: str) -> None:
    raw = encode("server", command, *middle, last)
    assert raw.endswith(b"\r\n") and raw.count(b"\n") == 1
    line = parse(raw[:-2])
    clean = last.replace("\r", " ").replace("\n", " ").replace("\0", " ")
    assert line.params == (*middle, clean)


@given(st.text(min_size=1, max_size=32))
def test_every_mapped_nick_is_a_valid_nick(name: str) -> None:
    nick = nick_of(name)
    assert nick_problem(nick[:32]) is None or "|" in nick
    assert nick_of(name) == nick
