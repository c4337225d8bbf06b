"""The chat log's compact layout, driven in a real (headless) Textual app: one row per
line of text, the picture cue, runs, wrapping, and every kind of entry the full layout
draws."""

from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.pilot import Pilot

from tests.test_message_log_features import FENCED, MARKDOWN_BITS, component, view_row
from tests.test_tui_message_log import (
    T0,
    SolidAvatars,
    cells,
    colours,
    event,
    row,
    run,
    say,
    styles,
)
from tuichat.net.frames import CONSOLE
from tuichat.tui.compact_layout import CUE_COLUMNS, GUTTER, lead, lead_width
from tuichat.tui.log_entries import AVATAR_COLUMNS, RUN_SECONDS, EntryKind, LogEntry
from tuichat.tui.message_log import MessageLog

G = " " * GUTTER
CUE = "▄" * CUE_COLUMNS + " "
"""The gutter of a row with the picture cue, as SolidAvatars draws it."""
MARKER = re.compile(rf"^ {{{GUTTER}}}─+ new messages ─+$")


def compact(log: MessageLog) -> None:
    log.compact = True
    assert log.compacted


def test_one_line_messages_take_one_row_each_with_time_name_and_cue() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        compact(log)
        senders = [f"user{n}" for n in range(30)]
        log.extend(say(sender, f"hello from {sender}", T0 + n) for n, sender in enumerate(senders))
        await pilot.pause()
        assert log.virtual_size.height == 30
        assert log.plain_lines()[:2] == [f"{G}22:13 user0 hello from user0",
                                         f"{G}22:13 user1 hello from user1"]
        assert log.size.height == 24 and all(row(log, y).text.startswith(CUE) for y in range(24))

    run(scenario)


def test_a_continued_run_drops_the_cue_and_the_name_but_keeps_the_time() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        compact(log)
        log.extend([say("alice", "one"), say("alice", "two", T0 + 60), say("bob", "three", T0 + 61),
                    say("bob", "four", T0 + 61 + RUN_SECONDS + 1)])
        await pilot.pause()
        assert log.plain_lines() == [f"{G}22:13 alice one", f"{G}22:14       two",
                                     f"{G}22:14 bob three", f"{G}22:19 bob four"]
        gutters = [row(log, y).crop(0, GUTTER).text for y in range(4)]
        assert gutters == [CUE, G, CUE, CUE]
        assert colours(styles(row(log, 0), 0, CUE_COLUMNS)) == {"red"}
        assert colours(styles(row(log, 2), 0, CUE_COLUMNS)) == {"green"}
        assert colours(cells(row(log, 2), "bob")) == colours(cells(row(log, 3), "bob"))
        assert all(style.bold for style in cells(row(log, 0), "alice"))
        assert all(style.dim for style in cells(row(log, 1), "22:14"))

    run(scenario, SolidAvatars(alice="red", bob="green"))


def test_long_and_multi_line_messages_wrap_under_their_text_column() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        compact(log)
        lead = len("22:13 alice ")
        width = log.size.width - 1 - GUTTER - lead  # less the scrollbar
        log.extend([say("alice", "x" * (width + 5)), say("alice", "first\nsecond", T0 + 1),
                    say("carol", "漢" * width)])
        await pilot.pause()
        lines = log.plain_lines()
        indent = G + " " * lead
        assert lines[:4] == [f"{G}22:13 alice {'x' * width}", f"{indent}xxxxx",
                             f"{G}22:13       first", f"{indent}second"]
        assert lines[4].startswith(f"{G}22:13 carol 漢") and lines[5].startswith(indent + "漢")
        assert len(lines) == 6 == log.virtual_size.height

    run(scenario)


def test_events_actions_private_lines_console_motd_and_whois_cards() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        compact(log)
        log.extend([
            event("bob joined", T0),
            LogEntry(EntryKind.ACTION, "waves", T0, "alice"),
            LogEntry(EntryKind.PRIVATE, "psst", T0, "bob", peer="alice"),
            LogEntry(EntryKind.NOTICE, "History saved.", T0, CONSOLE),
            LogEntry(EntryKind.ERROR, "Not allowed.", T0 + 1, CONSOLE),
            LogEntry(EntryKind.MOTD, "Be kind.", T0, CONSOLE),
            LogEntry(EntryKind.PROFILE, "an admin\nhere (not away)", T0, "bob"),
        ])
        await pilot.pause()
        assert log.plain_lines() == [
            f"{G}22:13 → bob joined",
            f"{G}22:13 * alice waves",
            f"{G}22:13 bob → alice · private psst",
            f"{G}22:13 Console History saved.",
            f"{G}22:13         Not allowed.",  # Console's run goes on
            f"{G}22:13 Message of the day Be kind.",
            f"{G}22:13 bob · whois {' ' * (AVATAR_COLUMNS + 1)}an admin",
            f"{G}{' ' * len('22:13 bob · whois ')}{' ' * (AVATAR_COLUMNS + 1)}here (not away)",
            "",
            "",
        ]
        gutters = [row(log, y).crop(0, GUTTER).text for y in range(7)]
        assert gutters == [G, G, CUE, CUE, G, CUE, CUE]
        assert colours(styles(row(log, 3), 0, CUE_COLUMNS)) == {"yellow"}  # Console's picture
        assert all(style.dim for style in cells(row(log, 0), "→ bob joined"))
        assert colours(cells(row(log, 1), "alice")) and all(
            style.italic for style in cells(row(log, 1), "waves"))
        private = component(log, "private")
        assert all(style.italic == private.italic for style in cells(row(log, 2), "· private"))
        assert all(style.italic for style in cells(row(log, 3), "Console"))
        assert cells(row(log, 4), "Not allowed.")[0].color == component(log, "error").color
        card = [row(log, y) for y in range(6, 10)]
        start = GUTTER + len("22:13 bob · whois ")
        assert [strip.crop(start, start + AVATAR_COLUMNS).text for strip in card] == [
            "▄" * AVATAR_COLUMNS] * 4  # the card shows the whole picture
        assert colours(styles(card[0], start, start + AVATAR_COLUMNS)) == {"green"}

    run(scenario, SolidAvatars(alice="red", bob="green", **{CONSOLE: "yellow"}))


def test_markdown_and_fenced_code_hang_under_the_text_column() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        compact(log)
        log.add(say("alice", FENCED))
        await pilot.pause()
        indent = G + " " * len("22:13 alice ")
        lines = log.plain_lines()
        assert lines[0] == f"{G}22:13 alice look:"
        assert all(line.startswith(indent) or not line for line in lines[1:]), lines
        assert any("def f(x):" in line for line in lines)
        assert any(line.strip() == "• two bold code" for line in lines)
        code = view_row(log, "def f(x):")
        assert {style.bgcolor for style in cells(code, "def")} - {None}  # the code block
        assert all(style.bold for style in cells(view_row(log, "bold"), "bold"))
        assert len(lines) == log.virtual_size.height

    run(scenario)


def test_search_mentions_urls_and_the_unread_marker() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        compact(log)
        log.extend([say("bob", "hi me, see https://example.org/x"), say("bob", "again", T0 + 1)])
        log.mark_unread()
        log.add(say("bob", "news for me", T0 + 2))
        assert log.search("news") == 1
        await pilot.pause()
        lines = log.plain_lines()
        assert MARKER.match(lines[2]), lines
        assert lines[3] == f"{G}22:13 bob news for me"  # the marker breaks the run
        assert row(log, 3).crop(0, GUTTER).text == CUE
        assert all(style.bold for style in cells(row(log, 0), "me"))
        assert cells(row(log, 0), "me")[0].bgcolor == component(log, "mention").bgcolor
        assert all(style.underline for style in cells(row(log, 0), "https://example.org/x"))
        log.search_step()
        await pilot.pause()
        assert all(style.reverse for style in cells(row(log, 3), "news"))
        log.clear_marker()
        await pilot.pause()
        assert log.plain_lines()[2] == f"{G}22:13     news for me"

    run(scenario, me="me")


def test_hidden_senders_vanish_and_the_run_joins_over_them() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        compact(log)
        log.extend([say("alice", "one"), say("mallory", "spam", T0 + 1),
                    say("alice", "two", T0 + 2)])
        log.hidden = frozenset({"Mallory"})
        await pilot.pause()
        assert log.plain_lines() == [f"{G}22:13 alice one", f"{G}22:13       two"]
        log.hidden = frozenset()
        log.only_from = frozenset({"mallory"})
        await pilot.pause()
        assert log.plain_lines() == [f"{G}22:13 mallory spam"]

    run(scenario)


def test_time_modes_change_the_lead() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        compact(log)
        log.extend([say("alice", "hi"), event("bob joined", T0 + 1)])
        log.time_mode = "off"
        await pilot.pause()
        assert log.plain_lines() == [f"{G}alice hi", f"{G}→ bob joined"]
        log.time_mode = "datetime"
        await pilot.pause()
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(T0))
        assert log.plain_lines() == [f"{G}{stamp} alice hi", f"{G}{stamp} → bob joined"]

    run(scenario)


def test_a_long_name_is_cut_so_the_text_keeps_its_room() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        compact(log)
        await pilot.resize_terminal(40, 24)
        await pilot.pause()
        name = "n" * 32
        log.add(say(name, "hello there"))
        await pilot.pause()
        [first, *rest] = log.plain_lines()
        assert "…" in first and name not in first
        assert "hello" in first
        text_column = len(first) - len(first.split("… ", 1)[1])
        assert text_column - GUTTER <= int((40 - 1 - GUTTER) * 0.6)
        assert all(line.startswith(" " * text_column) for line in rest)

    run(scenario)


def test_switching_layouts_keeps_the_top_entry_in_view() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend(say(f"user{n % 7}", f"line {n}", T0 + n * 400) for n in range(200))
        await pilot.pause()
        log.scroll_to(y=log.virtual_size.height // 2, animate=False)
        await pilot.pause()
        top = view_row(log, "line").text.split()[-1]
        log.compact = True
        await pilot.pause()
        assert log.virtual_size.height == 200
        assert row(log, 0).text.split()[-1] == top
        log.compact = False
        await pilot.pause()
        assert view_row(log, "line").text.split()[-1] == top

    run(scenario)


def test_auto_follows_the_terminal_size_and_a_choice_wins() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.add(say("alice", "hi"))
        log.compact = None
        await pilot.pause()
        assert log.compacted and log.virtual_size.height == 1  # 80x24
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert not log.compacted and log.virtual_size.height == 4
        await pilot.resize_terminal(59, 40)
        await pilot.pause()
        assert log.compacted
        await pilot.resize_terminal(60, 30)  # the smallest terminal that keeps the full one
        await pilot.pause()
        assert not log.compacted
        await pilot.resize_terminal(60, 29)
        await pilot.pause()
        assert log.compacted
        log.compact = False
        await pilot.resize_terminal(50, 20)
        await pilot.pause()
        assert not log.compacted
        log.compact = True
        await pilot.resize_terminal(120, 50)
        await pilot.pause()
        assert log.compacted

    run(scenario)


NAMES = st.sampled_from(["alice", "bob", CONSOLE, "漢字さん", "n" * 32]) | st.text(min_size=1,
                                                                                max_size=32)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.lists(st.sampled_from(MARKDOWN_BITS) | st.text(max_size=12), max_size=12)
                      .map("".join), min_size=1, max_size=6),
       kinds=st.lists(st.sampled_from(list(EntryKind)), min_size=6, max_size=6),
       names=st.lists(NAMES, min_size=6, max_size=6),
       markdown=st.booleans(), time_mode=st.sampled_from(["time", "datetime", "off"]))
def check_compact_rows_match_the_drawing(log: MessageLog, texts: list[str], kinds: list[EntryKind],
                                         names: list[str], markdown: bool, time_mode: str) -> None:
    """Each entry is as tall as its drawn lines, and no line is wider than the text column."""
    log.markdown, log.time_mode = markdown, time_mode
    log.reset(LogEntry(kinds[n], text, T0 + n * 100, names[n], peer=names[-1 - n])
              for n, text in enumerate(texts))
    drawn = [line for pos in range(len(texts))
             for line in log._rows.text_lines(log._layout, pos, None)]
    assert log.virtual_size.height == len(drawn) == len(log.plain_lines())
    assert all(line.cell_len <= log._text_width for line in drawn)


@given(title=st.text(max_size=40), when=st.sampled_from(["", "22:13", "2025-11-24 16:00"]),
       continued=st.booleans(), limit=st.integers(0, 60))
def test_the_lead_is_as_wide_as_its_measure(title: str, when: str, continued: bool,
                                            limit: int) -> None:
    head = lead(Text(title), when, Style(), continued=continued, limit=limit)
    assert head.cell_len == lead_width(cell_len(title), cell_len(when), limit)


def test_compact_row_counts_equal_the_rendered_rows_for_any_text() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        compact(log)
        check_compact_rows_match_the_drawing(log)
        await pilot.resize_terminal(41, 24)
        await pilot.pause()
        check_compact_rows_match_the_drawing(log)

    run(scenario)


def test_follows_the_end_keeps_place_when_scrolled_up_and_relays_out_on_resize() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        compact(log)
        log.extend(say(f"user{n % 5}", f"message {n}", T0 + n) for n in range(100))
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y == 100 - log.size.height
        log.add(say("bob", "new"))
        await pilot.pause()
        assert row(log, log.size.height - 1).text.rstrip().endswith("bob new")
        log.focus()
        await pilot.press("pageup")
        await pilot.wait_for_animation()
        await pilot.pause()
        away = log.scroll_y
        top = row(log, 0).text
        log.add(say("carol", "while you were away"))
        await pilot.pause()
        assert (log.scroll_y, row(log, 0).text) == (away, top)
        await pilot.resize_terminal(40, 24)  # still compact (under 60 columns, chosen anyway)
        await pilot.pause()
        assert row(log, 0).text.split()[-2:] == top.split()[-2:]  # the same entry on top
        await pilot.press("end")
        await pilot.wait_for_animation()
        await pilot.pause()
        log.add(say("dave", "back"))
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y
        assert row(log, log.size.height - 1).text.rstrip().endswith("dave back")

    run(scenario)
