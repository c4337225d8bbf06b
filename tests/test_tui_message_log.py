"""The chat log widget, driven in a real (headless) Textual app."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.strip import Strip

from tuichat.tui import STYLESHEET
from tuichat.tui.log_entries import GUTTER, EntryKind, LogEntry
from tuichat.tui.message_log import MessageLog
from tuichat.tui.name_colours import NameColours

T0 = 1_700_000_000.0
"""22:13:20 UTC."""
TEXT_WIDTH = 80 - 1 - GUTTER
"""The text column at 80 columns: less the scrollbar and the avatar gutter."""


def utc(ts: float) -> str:
    return time.strftime("%H:%M", time.gmtime(ts))


class SolidAvatars:
    """An avatar provider of flat blocks, one colour per sender, that can change colour."""

    def __init__(self, **colours: str) -> None:
        self.colours = colours

    def __call__(self, entry: LogEntry, columns: int) -> list[Strip]:
        style = Style(color=self.colours.get(entry.sender, "red"), bgcolor="blue")
        return [Strip([Segment("▄" * columns, style)])] * (columns // 2)


class LogApp(App[None]):
    """A screen holding only the log."""

    CSS_PATH = STYLESHEET

    def __init__(self, avatars: SolidAvatars, me: str = "") -> None:
        super().__init__()
        self.chat = MessageLog(avatars, me=me, time_format=utc)

    def compose(self) -> ComposeResult:
        yield self.chat


Scenario = Callable[[Pilot[None], MessageLog], Awaitable[None]]


def run(scenario: Scenario, avatars: SolidAvatars | None = None, me: str = "") -> None:
    """Run ``scenario`` against a log in an 80 x 24 app."""
    app = LogApp(avatars or SolidAvatars(), me)

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await scenario(pilot, app.chat)

    asyncio.run(main())


def say(sender: str, text: str, ts: float = T0, **fields: Any) -> LogEntry:
    return LogEntry(EntryKind.MESSAGE, text, ts, sender, **fields)


def event(text: str, ts: float = T0) -> LogEntry:
    return LogEntry(EntryKind.EVENT, text, ts)


def row(log: MessageLog, y: int) -> Strip:
    """Row ``y`` of the view as the widget renders it."""
    return log.render_line(y)


def styles(strip: Strip, start: int = 0, end: int | None = None) -> list[Style]:
    """The style of each segment of ``strip`` between cells ``start`` and ``end``."""
    return [segment.style or Style.null() for segment in strip.crop(start, end)]


def cells(strip: Strip, text: str) -> list[Style]:
    """The styles over the first occurrence of ``text`` in ``strip``."""
    start = strip.text.index(text)
    return styles(strip, start, start + len(text))


def colours(styles: list[Style]) -> set[str]:
    """The foreground colour names among ``styles``."""
    return {style.color.name for style in styles if style.color}


def test_run_shares_header_until_five_minutes_pass_or_sender_changes() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend(
            [
                say("alice", "one", T0),
                say("alice", "two", T0 + 60),
                say("alice", "three", T0 + 60 + 299),
                say("alice", "four", T0 + 60 + 299 + 301),
                say("bob", "five", T0 + 700),
            ]
        )
        await pilot.pause()
        g = " " * GUTTER
        assert log.plain_lines() == [
            f"{g}alice 22:13",
            f"{g}one",
            f"{g}two",
            f"{g}three",
            f"{g}alice 22:24",
            f"{g}four",
            "",
            "",
            f"{g}bob 22:25",
            f"{g}five",
            "",
            "",
        ]

    run(scenario)


def test_run_is_as_tall_as_the_avatar_and_only_its_first_rows_show_it() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend([say("alice", "hi"), *(say("bob", f"line {n}") for n in range(5))])
        await pilot.pause()
        gutters = [row(log, y).crop(0, GUTTER) for y in range(10)]
        assert [g.text for g in gutters[:4]] == ["▄" * 8 + " "] * 4
        assert colours([style for g in gutters[:4] for style in styles(g, 0, 8)]) == {"red"}
        assert [g.text for g in gutters[4:]] == ["▄" * 8 + " "] * 4 + [" " * GUTTER] * 2
        assert colours([style for g in gutters[4:8] for style in styles(g, 0, 8)]) == {"green"}
        assert log.virtual_size.height == 4 + 6

    run(scenario, SolidAvatars(alice="red", bob="green"))


def test_events_break_runs_and_have_no_avatar() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend([say("alice", "hi"), event("bob joined", T0 + 1), say("alice", "again")])
        await pilot.pause()
        g = " " * GUTTER
        assert log.plain_lines()[4:7] == [f"{g}→ bob joined  22:13", f"{g}alice 22:13", f"{g}again"]
        event_row = row(log, 4)
        assert event_row.crop(0, GUTTER).text == g
        assert all(s.dim for s in cells(event_row, "→ bob joined  22:13"))

    run(scenario)


def test_text_wraps_long_words_wide_characters_and_newlines() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend(
            [
                say("alice", "x" * (TEXT_WIDTH + 5)),
                say("alice", "漢" * 40),
                say("alice", "first\n\nthird"),
            ]
        )
        await pilot.pause()
        body = [line[GUTTER:] for line in log.plain_lines()[1:]]
        assert body == ["x" * TEXT_WIDTH, "x" * 5, "漢" * 35, "漢" * 5, "first", "", "third"]
        assert all(row(log, y).cell_length == 80 - 1 for y in range(log.virtual_size.height))

    run(scenario)


def test_mentions_of_me_and_urls_are_styled() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        url = "https://example.com/a?b=c"
        log.extend(
            [
                say("alice", f"hey BOB, bobby: {url}."),
                say("bob", "bob talks of bob"),
            ]
        )
        await pilot.pause()
        mention = log.get_component_rich_style("message-log--mention", partial=True)
        line = row(log, 1)
        assert all(s.bgcolor == mention.bgcolor for s in cells(line, "BOB"))
        assert all(s.bgcolor != mention.bgcolor for s in cells(line, "bobby"))
        assert all(s.link == url and s.underline for s in cells(line, url))
        after = line.text.index(url) + len(url)
        assert line.text[after] == "."
        assert all(s.link is None for s in styles(line, after, after + 1))
        own = row(log, 5)
        assert all(s.bgcolor != mention.bgcolor for s in cells(own, "bob talks of bob"))

    run(scenario, me="bob")


def test_setting_me_repaints_mentions() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.add(say("alice", "hi carol"))
        await pilot.pause()
        mention = log.get_component_rich_style("message-log--mention", partial=True)
        assert all(s.bgcolor != mention.bgcolor for s in cells(row(log, 1), "carol"))
        log.me = "Carol"
        await pilot.pause()
        assert all(s.bgcolor == mention.bgcolor for s in cells(row(log, 1), "carol"))

    run(scenario)


def test_console_notices_and_errors_have_their_styles() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend(
            [
                LogEntry(EntryKind.NOTICE, "you are admin", T0, "Console"),
                LogEntry(EntryKind.ERROR, "no such user", T0, "Console"),
            ]
        )
        await pilot.pause()
        console = log.get_component_rich_style("message-log--console", partial=True)
        error = log.get_component_rich_style("message-log--error", partial=True)
        assert all(s.italic and s.bold for s in cells(row(log, 0), "Console"))
        assert all(s.color == console.color for s in cells(row(log, 0), "Console"))
        assert all(s.italic for s in cells(row(log, 1), "you are admin"))
        assert all(s.color == error.color for s in cells(row(log, 2), "no such user"))

    run(scenario)


def test_control_characters_never_reach_the_terminal() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend([say("ev\x1bil", "a\x1b[31mred\x07\x9b2J\x7f"), event("\x1b]0;title\x07")])
        await pilot.pause()
        rendered = [row(log, y) for y in range(log.virtual_size.height)]
        text = "".join(s.text for strip in rendered for s in strip)
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text)
        assert "a␛[31mred␇\ufffd2J␡" in rendered[1].text
        assert "ev␛il" in rendered[0].text

    run(scenario)


def test_bidi_controls_cannot_reorder_the_rest_of_the_row() -> None:
    """An unclosed override (U+202E) or isolate would reverse whatever follows it on the
    terminal row in a terminal that does bidi; the marks (U+200F) are harmless and stay."""

    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.add(say("alice", "gnp.\u202eexe \u2067x\u2069 \u200f\u05e9\u05dc\u05d5\u05dd"))
        await pilot.pause()
        shown = row(log, 1).text
        assert "gnp.\ufffdexe \ufffdx\ufffd \u200f\u05e9\u05dc\u05d5\u05dd" in shown
        assert log.entries[0].text.count("\u202e") == 1  # stored as sent

    run(scenario)


def test_follows_at_the_bottom_and_keeps_place_when_scrolled_up() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend(say("alice", f"message {n}", T0 + n) for n in range(100))
        await pilot.pause()
        assert log.max_scroll_y > 0
        assert log.scroll_y == log.max_scroll_y
        log.add(say("bob", "new"))
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y
        assert row(log, log.size.height - 3).text[GUTTER:].strip() == "new"

        log.focus()
        await pilot.press("pageup", "up")
        await pilot.wait_for_animation()
        await pilot.pause()
        away = log.scroll_y
        assert away < log.max_scroll_y
        log.add(say("carol", "while you were away"))
        await pilot.pause()
        assert log.scroll_y == away

        await pilot.press("end")
        await pilot.wait_for_animation()
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y
        log.add(say("dave", "back"))
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y

        await pilot.press("home")
        await pilot.pause()
        assert log.scroll_y == 0

    run(scenario)


def test_extend_appends_and_reset_replaces() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend(say("alice", f"old {n}", T0 + n) for n in range(50))
        await pilot.pause()
        assert len(log.entries) == 50
        log.reset([say("bob", "fresh"), event("carol joined")])
        await pilot.pause()
        assert [entry.text for entry in log.entries] == ["fresh", "carol joined"]
        assert [line.strip() for line in log.plain_lines()] == [
            "bob 22:13",
            "fresh",
            "",
            "",
            "→ carol joined  22:13",
        ]
        assert log.virtual_size.height == 5
        assert log.scroll_y == 0

    run(scenario)


def test_refresh_avatars_repaints_with_the_new_avatar() -> None:
    avatars = SolidAvatars(alice="red")

    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.add(say("alice", "hi"))
        await pilot.pause()
        assert colours(styles(row(log, 0), 0, 8)) == {"red"}
        avatars.colours["alice"] = "yellow"
        log.refresh_avatars()
        await pilot.pause()
        assert colours(styles(row(log, 0), 0, 8)) == {"yellow"}

    run(scenario, avatars)


def test_resize_lays_out_again_and_keeps_the_top_entry() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend(say("alice", f"{n:03} " + "word " * 18, T0 + n) for n in range(60))
        await pilot.pause()
        assert log.virtual_size.height == 1 + 60 * 2
        log.scroll_to(y=1 + 20 * 2, animate=False)
        await pilot.pause()
        assert row(log, 0).text[GUTTER:].startswith("020 ")

        await pilot.resize_terminal(140, 24)
        await pilot.pause()
        assert log.virtual_size == (140 - 1, 1 + 60)
        assert row(log, 0).text[GUTTER:].startswith("020 ")
        assert log.plain_lines()[1] == " " * GUTTER + "000" + " word" * 18

    run(scenario)


def test_ten_thousand_entries_render_the_right_rows() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        senders = ["alice", "bob", "carol"]
        for n in range(10_000):
            log.add(say(senders[n // 5 % 3], f"message {n}", T0 + n))
        await pilot.pause()
        lines = log.plain_lines()
        assert len(lines) == log.virtual_size.height
        height = log.size.height

        def view() -> list[str]:
            return [(" " * GUTTER + row(log, y).text[GUTTER:]).rstrip() for y in range(height)]

        assert log.scroll_y == log.max_scroll_y
        assert view() == lines[-height:]
        assert lines[-1] == " " * GUTTER + "message 9999"
        middle = len(lines) // 2 + 1
        log.scroll_to(y=middle, animate=False)
        await pilot.pause()
        assert view() == lines[middle : middle + height]

    run(scenario)


def test_an_entry_taller_than_the_screen_scrolls_row_by_row() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.add(say("alice", "\n".join(f"row {n}" for n in range(2_000))))
        log.add(say("bob", "after"))
        await pilot.pause()
        log.scroll_to(y=1_001, animate=False)
        await pilot.pause()
        assert [row(log, y).text[GUTTER:].rstrip() for y in range(3)] == [
            "row 1000",
            "row 1001",
            "row 1002",
        ]
        g = " " * GUTTER
        assert log.plain_lines()[-5:] == [f"{g}row 1999", f"{g}bob 22:13", f"{g}after", "", ""]

    run(scenario)


def test_actions_are_lines_with_the_coloured_name_and_break_runs() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend([say("alice", "hi"), LogEntry(EntryKind.ACTION, "waves", T0 + 1, "alice"),
                    say("alice", "again", T0 + 2)])
        await pilot.pause()
        g = " " * GUTTER
        assert log.plain_lines()[:7] == [f"{g}alice 22:13", f"{g}hi", "", "",
                                         f"{g}* alice waves  22:13", f"{g}alice 22:13", f"{g}again"]
        action = row(log, 4)
        assert action.crop(0, GUTTER).text == g
        alice = NameColours.of(log).style("alice").color
        assert all(s.bold and s.color == alice for s in cells(action, "alice"))
        assert all(s.italic for s in cells(action, "waves"))
        assert all(s.dim for s in cells(action, "22:13"))

    run(scenario)


def test_private_messages_have_their_own_runs_and_header() -> None:
    def private(text: str, ts: float, peer: str = "bob") -> LogEntry:
        return LogEntry(EntryKind.PRIVATE, text, ts, "alice", peer=peer)

    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend([say("alice", "public"), private("psst", T0 + 1), private("more", T0 + 2),
                    private("other", T0 + 3, "carol"), say("alice", "public again", T0 + 4)])
        await pilot.pause()
        assert [line.strip() for line in log.plain_lines()] == [
            "alice 22:13", "public", "", "",
            "alice → bob · private 22:13", "psst", "more", "",
            "alice → carol · private 22:13", "other", "", "",
            "alice 22:13", "public again", "", "",
        ]
        header = row(log, 4)
        private_style = log.get_component_rich_style("message-log--private", partial=True)
        assert all(s.italic and s.color == private_style.color for s in cells(header, "private"))
        assert all(s.color == NameColours.of(log).style("bob").color for s in cells(header, "bob"))

    run(scenario)


def test_the_message_of_the_day_has_its_own_header_and_style() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend([LogEntry(EntryKind.NOTICE, "welcome", T0, "Console"),
                    LogEntry(EntryKind.MOTD, "Be nice :smile:", T0 + 1, "Console")])
        await pilot.pause()
        assert [line.strip() for line in log.plain_lines()[4:6]] == [
            "Message of the day 22:13", "Be nice 😄"]
        motd = log.get_component_rich_style("message-log--motd", partial=True)
        assert all(s.color == motd.color and s.bold for s in cells(row(log, 4), "Message"))
        assert all(s.color == motd.color and s.italic for s in cells(row(log, 5), "Be nice"))

    run(scenario)


class SnapshotApp(App[None]):
    """A few runs, an event, a notice, an error, a mention and a URL."""

    CSS_PATH = STYLESHEET

    def compose(self) -> ComposeResult:
        log = MessageLog(
            SolidAvatars(alice="red", bob="green", carol="magenta", Console="yellow"),
            me="bob",
            time_format=utc,
        )
        log.extend(
            [
                LogEntry(EntryKind.NOTICE, "Welcome! 3 users online.", T0, "Console"),
                say("alice", "morning all", T0 + 10),
                say("alice", "bob, the notes are at https://example.com/notes", T0 + 20),
                event("carol joined", T0 + 30),
                say("bob", "thanks alice! a long reply " + "that wraps " * 8, T0 + 40),
                say("carol", "漢字 and emoji 🎉 wrap by cells", T0 + 50),
                LogEntry(EntryKind.ERROR, "no such user: dave", T0 + 60, "Console"),
                event("Connection lost, reconnecting in 2 s", T0 + 70),
            ]
        )
        yield log


def test_snapshot_of_a_small_conversation(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(SnapshotApp(), terminal_size=(80, 24))
