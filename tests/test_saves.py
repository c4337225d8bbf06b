"""Save files: the transcript format, its exact round trip, and what ``load`` refuses."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuichat.net.frames import (
    CONSOLE,
    MAX_NAME_CHARS,
    Message,
    text_problem,
)
from tuichat.net.names import name_problem, normalize_name
from tuichat.server.store.saves import (
    MAX_SAVE_BYTES,
    SaveDir,
    SavedMessage,
    SaveError,
    format_transcript,
    parse_transcript,
    saved_room,
)

NOW = datetime(2026, 11, 25, 13, 40, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 25, 13, 39, 1, tzinfo=UTC).timestamp()
HEADER = "# tuichat history, saved 2026-11-25 13:40:00 UTC"
GOOD = f"{HEADER}, 1 message\n[2026-11-25 13:39:01] alice: hello\n"


def msg(text: str, sender: str = "alice", ts: float = T0, seq: int = 1) -> Message:
    return Message(seq, ts, sender, text, None)


def round_trip(messages: Iterable[Message]) -> list[SavedMessage]:
    return parse_transcript(format_transcript(messages, now=NOW))


def saved(messages: Iterable[Message]) -> list[SavedMessage]:
    """What a round trip must give back: sender and text exactly, ts to the second."""
    return [SavedMessage(math.floor(m.ts), m.sender, m.text) for m in messages]


# -- format -----------------------------------------------------------------------------------


def test_format_writes_header_and_one_line_per_message() -> None:
    messages = [msg("hello", ts=T0 + 0.75), msg("hi", sender="bob", ts=T0 + 29)]
    assert format_transcript(messages, now=NOW) == (
        f"{HEADER}, 2 messages\n[2026-11-25 13:39:01] alice: hello\n[2026-11-25 13:39:30] bob: hi\n"
    )


def test_format_indents_extra_lines_by_four_spaces() -> None:
    text = format_transcript([msg("one\n  two\n\nfour")], now=NOW)
    assert text.splitlines()[1:] == [
        "[2026-11-25 13:39:01] alice: one",
        "      two",
        "    ",
        "    four",
    ]


def test_format_counts_one_message_in_the_singular() -> None:
    assert format_transcript([msg("hello")], now=NOW) == GOOD


def test_format_header_time_is_utc() -> None:
    plus_two = NOW.astimezone(datetime.fromisoformat("2026-01-01T00:00+02:00").tzinfo)
    assert format_transcript([], now=plus_two).startswith(f"{HEADER}, 0 messages")


# -- round trip -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "two\nlines",
        "ends with a newline\n",
        "\nstarts with a newline",
        "blank\n\n\nlines inside",
        "  leading spaces\n   and more",
        "trailing spaces  \n  ",
        "[2026-01-01 00:00:00] mallory: a forged line\n[x] y: z",
        "# not a comment\n#nor this",
        "tricky: colons: everywhere",
        "unicode \u2028 line separator and \u00a0 nbsp and emoji \U0001f600",
    ],
)
def test_multi_line_round_trip(text: str) -> None:
    assert round_trip([msg(text)]) == [SavedMessage(T0, "alice", text)]


@pytest.mark.parametrize(
    "sender", ["Zoë", "名前", "Ωμέγα", "x", "a.b-c_d", "9", "ab" * 16, CONSOLE]
)
def test_unicode_names_round_trip(sender: str) -> None:
    assert round_trip([msg("hi", sender=sender)]) == [SavedMessage(T0, sender, "hi")]


def test_round_trip_keeps_ts_to_the_second() -> None:
    messages = [msg("a", ts=T0 + 0.999999), msg("b", ts=T0 + 1.0), msg("c", ts=0.5)]
    assert round_trip(messages) == saved(messages)


def test_round_trip_keeps_order_of_many_messages() -> None:
    messages = [msg(f"m{n}", ts=T0 + n, seq=n) for n in range(50)]
    assert round_trip(messages) == saved(messages)


_NAME_CHARS = st.characters(
    categories=("Lu", "Ll", "Lt", "Lm", "Lo", "Nd"), include_characters="_-."
)
names = st.one_of(
    st.just(CONSOLE),
    st.text(_NAME_CHARS, min_size=1, max_size=MAX_NAME_CHARS).filter(
        lambda name: normalize_name(name) == name and name_problem(name) is None
    ),
)
texts = st.text(
    st.one_of(st.characters(exclude_categories=("Cc", "Cs")), st.sampled_from("\n ")),
    min_size=1,
    max_size=300,
).filter(lambda text: text_problem(text) is None)
timestamps = st.floats(min_value=0, max_value=4_102_444_800)  # 1970 to 2100
messages = st.builds(
    Message,
    seq=st.integers(min_value=1),
    ts=timestamps,
    sender=names,
    text=texts,
    avatar=st.none() | st.just("f" * 64),
)


@given(st.lists(messages, min_size=1, max_size=8))
def test_format_parse_round_trip_property(items: list[Message]) -> None:
    assert round_trip(items) == saved(items)


# -- parse ------------------------------------------------------------------------------------


def test_parse_skips_blank_and_comment_lines() -> None:
    text = (
        "\n# one\n\n[2026-11-25 13:39:01] alice: a\n\n# two\n   \n[2026-11-25 13:39:01] bob: b\n\n"
    )
    assert parse_transcript(text) == [
        SavedMessage(T0, "alice", "a"),
        SavedMessage(T0, "bob", "b"),
    ]


def test_parse_accepts_crlf_line_ends() -> None:
    text = "# x\r\n[2026-11-25 13:39:01] alice: a\r\n    b\r\n"
    assert parse_transcript(text) == [SavedMessage(T0, "alice", "a\nb")]


def test_parse_normalizes_sender_to_nfc() -> None:
    decomposed = "Zoe\u0308"
    assert parse_transcript(f"[2026-11-25 13:39:01] {decomposed}: hi")[0].sender == "Zoë"


@pytest.mark.parametrize("text", ["", "\n\n", f"{HEADER}, 0 messages\n", "# a\n\n# b\n"])
def test_parse_without_messages_is_an_error(text: str) -> None:
    with pytest.raises(SaveError, match="holds no messages"):
        parse_transcript(text)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("hello", "expected a message line"),
        ("alice: hello", "expected a message line"),
        ("[2026-11-25 13:39:01]alice: hello", "expected a message line"),
        ("[2026-11-25 13:39:01 alice: hello", "expected a message line"),
        ("[yesterday] alice: hello", "expected a time like"),
        ("[2026-11-25T13:39:01] alice: hello", "expected a time like"),
        ("[2026-11-25 13:39] alice: hello", "expected a time like"),
        ("[٢٠٢٦-11-25 13:39:01] alice: hello", "expected a time like"),
        ("[2026-13-25 13:39:01] alice: hello", "2026-13-25 13:39:01 is not a valid date"),
        ("[2026-02-30 13:39:01] alice: hello", "is not a valid date"),
        ("[2025-02-29 13:39:01] alice: hello", "is not a valid date"),
        ("[2026-11-25 24:00:00] alice: hello", "is not a valid date"),
        ("[2026-11-25 23:59:60] alice: hello", "is not a valid date"),
        ("[0000-01-01 00:00:00] alice: hello", "is not a valid date"),
        ("[2026-11-25 13:39:01] alice hello", "expected 'name: text'"),
        ("[2026-11-25 13:39:01] alice:hello", "expected a space after 'alice:'"),
        ("[2026-11-25 13:39:01] bob smith: hi", "bad sender 'bob smith'"),
        ("[2026-11-25 13:39:01] : hi", "bad sender ''"),
        ("[2026-11-25 13:39:01] console: hi", "bad sender 'console'"),
        ("[2026-11-25 13:39:01] .alice: hi", "bad sender '.alice'"),
        ("[2026-11-25 13:39:01] " + "a" * 33 + ": hi", "bad sender"),
        ("[2026-11-25 13:39:01] alice: a\x07bell", "control character U+0007"),
        ("[2026-11-25 13:39:01] alice: a\tb", "control character U+0009"),
        ("[2026-11-25 13:39:01] alice:", "the text is empty"),
        ("[2026-11-25 13:39:01] alice:    ", "the text is empty"),
        ("[2026-11-25 13:39:01] alice: " + "x" * 4097, "at most 4,096"),
        ("    indented without a message", "indented line must follow a message"),
        ("  two spaces", "indented by 4 spaces"),
        ("\tTab", "indented by 4 spaces"),
    ],
)
def test_parse_refuses_malformed_lines_naming_the_line(line: str, reason: str) -> None:
    text = f"{GOOD}\n{line}\n[2026-11-25 13:39:01] alice: after\n"
    with pytest.raises(SaveError) as caught:
        parse_transcript(text)
    assert str(caught.value).startswith("line 4: ")
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


def test_parse_refuses_indented_line_after_a_blank_line() -> None:
    text = "[2026-11-25 13:39:01] alice: a\n\n    b\n"
    with pytest.raises(SaveError, match=r"^line 3: an indented line must follow"):
        parse_transcript(text)


def test_parse_names_the_first_line_of_a_bad_multi_line_text() -> None:
    text = "# h\n[2026-11-25 13:39:01] alice: fine\n    \x1b[31mred\n"
    with pytest.raises(SaveError, match=r"^line 2: .*U\+001B"):
        parse_transcript(text)


# -- SaveDir.save -----------------------------------------------------------------------------


def test_save_writes_a_named_utc_transcript(tmp_path: Path) -> None:
    saves = SaveDir(tmp_path / "saves")
    name = saves.save([msg("hello")], now=NOW)
    assert name == "chat-20261125-134000.txt"
    assert (tmp_path / "saves" / name).read_text(encoding="utf-8") == GOOD


def test_save_names_in_utc_even_for_other_zones(tmp_path: Path) -> None:
    tokyo = NOW.astimezone(datetime.fromisoformat("2026-01-01T00:00+09:00").tzinfo)
    assert SaveDir(tmp_path).save([msg("x")], now=tokyo) == "chat-20261125-134000.txt"


def test_save_takes_a_naive_now_as_utc(tmp_path: Path) -> None:
    naive = NOW.replace(tzinfo=None)
    assert SaveDir(tmp_path).save([msg("x")], now=naive) == "chat-20261125-134000.txt"


def test_save_adds_the_suffix(tmp_path: Path) -> None:
    name = SaveDir(tmp_path).save([msg("x")], now=NOW, suffix="-shutdown")
    assert name == "chat-20261125-134000-shutdown.txt"


@pytest.mark.parametrize("suffix", ["/x", "/../../x", " x", "\x00", "\\x", "é"])
def test_save_refuses_a_suffix_that_makes_a_bad_name(tmp_path: Path, suffix: str) -> None:
    with pytest.raises(ValueError, match="suffix"):
        SaveDir(tmp_path).save([msg("x")], now=NOW, suffix=suffix)
    assert list(tmp_path.iterdir()) == []


def test_save_never_overwrites(tmp_path: Path) -> None:
    saves = SaveDir(tmp_path)
    (tmp_path / "chat-20261125-134000.txt").write_text("precious", encoding="utf-8")
    names = [saves.save([msg(f"take {n}")], now=NOW) for n in range(3)]
    assert names == [
        "chat-20261125-134000-2.txt",
        "chat-20261125-134000-3.txt",
        "chat-20261125-134000-4.txt",
    ]
    assert (tmp_path / "chat-20261125-134000.txt").read_text(encoding="utf-8") == "precious"
    assert [saves.load(name)[0].text for name in names] == ["take 0", "take 1", "take 2"]


def test_save_leaves_no_temporary_files(tmp_path: Path) -> None:
    saves = SaveDir(tmp_path)
    saves.save([msg("x")], now=NOW)
    saves.save([msg("y")], now=NOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "chat-20261125-134000-2.txt",
        "chat-20261125-134000.txt",
    ]


def test_save_then_load_round_trip(tmp_path: Path) -> None:
    saves = SaveDir(tmp_path / "deep" / "saves")
    messages = [msg("hello\n  world", ts=T0 + 0.5), msg("hi", sender=CONSOLE, ts=T0 + 60)]
    assert saves.load(saves.save(messages, now=NOW)) == saved(messages)


# -- SaveDir.load -----------------------------------------------------------------------------


@pytest.fixture
def saves(tmp_path: Path) -> SaveDir:
    """A save directory ``root/saves`` with good files around it to tempt a traversal."""
    root = tmp_path / "root"
    (root / "saves" / "a").mkdir(parents=True)
    for place in (root / "x.txt", root / "saves" / "a" / "b.txt", tmp_path / "x.txt"):
        place.write_text(GOOD, encoding="utf-8")
    return SaveDir(root / "saves")


@pytest.mark.parametrize(
    "name",
    [
        "../x.txt",
        "../../x.txt",
        "..",
        ".",
        "",
        "/etc/passwd",
        "/tmp/x.txt",
        "a/b.txt",
        "a\\b.txt",
        "..\\x.txt",
        "./x.txt",
        "~/x.txt",
        ".hidden.txt",
        ".txt",
        "-x.txt",
        "_x.txt",
        "x.txt\x00",
        "x\x00.txt",
        "x.txt\n",
        "x.TXT",
        "x.txt.bak",
        "x.md",
        "x",
        "x .txt",
        " x.txt",
        "x.txt/",
        "ü.txt",
        "C:x.txt",
        "%2e%2e%2fx.txt",
    ],
)
def test_load_refuses_path_tricks(saves: SaveDir, name: str) -> None:
    with pytest.raises(SaveError, match="is not a save file name") as caught:
        saves.load(name)
    assert "\n" not in str(caught.value)
    assert "\x00" not in str(caught.value)


def test_load_reads_an_allowed_name_with_dots(saves: SaveDir) -> None:
    (saves.root / "a..b.c_d-e.txt").write_text(GOOD, encoding="utf-8")
    assert saves.load("a..b.c_d-e.txt") == [SavedMessage(T0, "alice", "hello")]


def test_load_refuses_a_missing_file(saves: SaveDir) -> None:
    with pytest.raises(SaveError, match=r"^no save file named nothing\.txt$"):
        saves.load("nothing.txt")


def test_load_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(SaveError, match="no save file named"):
        SaveDir(tmp_path / "absent").load("x.txt")


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
@pytest.mark.parametrize("target", ["outside", "inside", "dangling"])
def test_load_refuses_symlinks(saves: SaveDir, tmp_path: Path, target: str) -> None:
    destination = {
        "outside": tmp_path / "x.txt",
        "inside": saves.root / "a" / "b.txt",
        "dangling": tmp_path / "gone.txt",
    }[target]
    (saves.root / "link.txt").symlink_to(destination)
    with pytest.raises(SaveError, match=r"^link\.txt: is a symbolic link"):
        saves.load("link.txt")


def test_load_refuses_a_directory(saves: SaveDir) -> None:
    (saves.root / "dir.txt").mkdir()
    with pytest.raises(SaveError, match=r"^dir\.txt: is not a regular file"):
        saves.load("dir.txt")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_load_refuses_a_fifo_without_blocking(saves: SaveDir) -> None:
    os.mkfifo(saves.root / "pipe.txt")
    with pytest.raises(SaveError, match="is not a regular file"):
        saves.load("pipe.txt")


def test_load_refuses_a_file_over_16_mib(saves: SaveDir) -> None:
    with (saves.root / "big.txt").open("wb") as file:
        file.truncate(MAX_SAVE_BYTES + 1)
    with pytest.raises(SaveError, match=r"^big\.txt: is 16,777,217 bytes; at most 16,777,216"):
        saves.load("big.txt")


def test_load_reads_a_file_of_exactly_16_mib(saves: SaveDir) -> None:
    message = "[2026-11-25 13:39:01] alice: hello\n"
    padding = "#" * (MAX_SAVE_BYTES - len(message) - 1) + "\n"
    (saves.root / "full.txt").write_text(padding + message, encoding="utf-8")
    assert (saves.root / "full.txt").stat().st_size == MAX_SAVE_BYTES
    assert saves.load("full.txt") == [SavedMessage(T0, "alice", "hello")]


def test_load_refuses_non_utf8(saves: SaveDir) -> None:
    (saves.root / "latin1.txt").write_bytes(GOOD.replace("hello", "olé").encode("latin-1"))
    with pytest.raises(SaveError, match=r"^latin1\.txt: not UTF-8 text \(bad byte at offset"):
        saves.load("latin1.txt")


def test_load_skips_a_utf8_byte_order_mark(saves: SaveDir) -> None:
    (saves.root / "bom.txt").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert saves.load("bom.txt") == [SavedMessage(T0, "alice", "hello")]


def test_load_refuses_an_empty_file(saves: SaveDir) -> None:
    (saves.root / "empty.txt").write_bytes(b"")
    with pytest.raises(SaveError, match=r"^empty\.txt: the file holds no messages$"):
        saves.load("empty.txt")


def test_load_names_file_and_line_of_a_malformed_line(saves: SaveDir) -> None:
    (saves.root / "bad.txt").write_text(
        GOOD + "[2026-11-25 13:39:01] Console!: x\n", encoding="utf-8"
    )
    with pytest.raises(SaveError, match=r"^bad\.txt: line 3: bad sender 'Console!'"):
        saves.load("bad.txt")


def test_load_refuses_a_text_that_fails_text_problem(saves: SaveDir) -> None:
    (saves.root / "ctl.txt").write_text(
        GOOD + "[2026-11-25 13:39:01] bob: \x00\n", encoding="utf-8"
    )
    with pytest.raises(SaveError, match=r"^ctl\.txt: line 3: .*control character U\+0000"):
        saves.load("ctl.txt")


# -- the saves of every room (issue 13) ---------------------------------------------------------


def test_a_save_of_another_room_is_named_with_its_stem_first_and_names_it(
    tmp_path: Path
) -> None:
    saves = SaveDir(tmp_path)
    name = saves.save([msg("hello")], now=NOW, room="#dev")
    assert name == "dev-chat-20261125-134000.txt"
    text = (tmp_path / name).read_text(encoding="utf-8")
    assert text.splitlines()[0] == (
        "# tuichat history of #dev, saved 2026-11-25 13:40:00 UTC, 1 message")


def test_a_save_of_the_default_room_keeps_the_chat_name_and_names_the_room(
    tmp_path: Path
) -> None:
    saves = SaveDir(tmp_path, default_room="#general")
    name = saves.save([msg("hello")], now=NOW, suffix="-before-load", room="#general")
    assert name == "chat-20261125-134000-before-load.txt"
    assert (tmp_path / name).read_text(encoding="utf-8").startswith(
        "# tuichat history of #general, saved")
    assert saves.save([msg("x")], now=NOW, room="#lobby") == "lobby-chat-20261125-134000.txt"


def test_saves_of_two_rooms_at_one_moment_both_keep_their_names(tmp_path: Path) -> None:
    saves = SaveDir(tmp_path)
    assert [saves.save([msg("x")], now=NOW, room=room) for room in ("#dev", "#lobby", "#dev")
            ] == ["dev-chat-20261125-134000.txt", "chat-20261125-134000.txt",
                  "dev-chat-20261125-134000-2.txt"]


@pytest.mark.parametrize("room", ["#../x", "../x", "#a/b", "#Dev", "dev", "#"])
def test_a_save_refuses_a_room_that_breaks_the_rule(tmp_path: Path, room: str) -> None:
    with pytest.raises(ValueError, match="not a room name"):
        SaveDir(tmp_path / "saves").save([msg("x")], now=NOW, room=room)
    assert list(tmp_path.iterdir()) == []


def test_parse_reads_the_headers_of_old_and_new_files() -> None:
    messages = [msg("hello"), msg("hi", sender="bob")]
    old, new = (format_transcript(messages, now=NOW, room=room) for room in (None, "#dev"))
    assert old.startswith(HEADER) and new.startswith("# tuichat history of #dev, saved")
    assert parse_transcript(old) == parse_transcript(new) == saved(messages)


def test_a_save_of_one_room_loads_as_any_rooms(tmp_path: Path) -> None:
    """A file holds messages, not seqs or a room: what ``load`` gives goes into any room."""
    saves = SaveDir(tmp_path)
    name = saves.save([msg("from dev")], now=NOW, room="#dev")
    assert saves.load(name) == [SavedMessage(T0, "alice", "from dev")]


@pytest.mark.parametrize(("name", "room"), [
    ("chat-20261125-134000.txt", "#lobby"),
    ("chat-20261125-134000-before-load-2.txt", "#lobby"),
    ("dev-chat-20261125-134000.txt", "#dev"),
    ("dev-chat-20261125-134000-shutdown.txt", "#dev"),
    ("chat-chat-20261125-134000.txt", "#chat"),
    ("x-chat-chat-20261125-134000.txt", "#x-chat"),
    ("0-chat-20261125-134000.txt", "#0"),
    ("notes.txt", None),
    ("Dev-chat-20261125-134000.txt", None),
    ("-dev-chat-20261125-134000.txt", None),
    ("dev-chat-2026112-134000.txt", None),
    ("dev.chat-20261125-134000.txt", None),
    ("x" * 32 + "-chat-20261125-134000.txt", None),
])
def test_the_room_of_a_save_is_read_from_its_name(name: str, room: str | None) -> None:
    assert saved_room(name) == room


def test_files_lists_the_saves_of_every_room_newest_first_with_their_rooms(
    tmp_path: Path
) -> None:
    saves = SaveDir(tmp_path, default_room="#main")
    named = [saves.save([msg("x")], now=NOW, room=room) for room in ("#main", "#dev", "#ops")]
    (tmp_path / "notes.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "ignored.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "dir-chat-20261125-134000.txt").mkdir()
    for age, name in enumerate([*reversed(named), "notes.txt"]):
        os.utime(tmp_path / name, (1_000_000 - age, 1_000_000 - age))
    assert [(file.name, file.room) for file in saves.files()] == [
        ("ops-chat-20261125-134000.txt", "#ops"),
        ("dev-chat-20261125-134000.txt", "#dev"),
        ("chat-20261125-134000.txt", "#main"),
        ("notes.txt", None),
    ]
