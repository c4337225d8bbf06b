"""The chat log's issue-6 features, driven in a real (headless) Textual app: Markdown,
emoji, time modes, hidden senders, search, the unread marker, the end of the log, and
away users in the user list."""

from __future__ import annotations

import asyncio
import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.strip import Strip

from tests.test_tui_message_log import (
    T0,
    LogApp,
    SolidAvatars,
    cells,
    event,
    row,
    run,
    say,
    styles,
)
from tuichat.tui import STYLESHEET
from tuichat.tui.log_entries import AVATAR_ROWS, GUTTER, EntryKind, LogEntry
from tuichat.tui.log_markdown import looks_like_markdown
from tuichat.tui.message_log import MessageLog
from tuichat.tui.roster import Member
from tuichat.tui.user_list import UserList

G = " " * GUTTER
MARKER = re.compile(rf"^ {{{GUTTER}}}─+ new messages ─+$")


def body(log: MessageLog) -> list[str]:
    """The shown rows without the gutter."""
    return [line[GUTTER:] for line in log.plain_lines()]


def component(log: MessageLog, name: str) -> Style:
    return log.get_component_rich_style(f"message-log--{name}", partial=True)


def view_row(log: MessageLog, text: str) -> Strip:
    """The first row in view that holds ``text``."""
    for y in range(log.size.height):
        strip = row(log, y)
        if text in strip.text:
            return strip
    raise AssertionError(f"{text!r} is not in view")


# -- Markdown and emoji -------------------------------------------------------------------

FENCED = "look:\n```python\ndef f(x):\n    return x\n```\n- one\n- two **bold** `code`"


def test_the_shrug_keeps_its_arm_under_markdown() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.add(say("alice", "**no** idea ¯\\_(ツ)_/¯"))
        await pilot.pause()
        assert body(log)[1].rstrip() == "no idea ¯\\_(ツ)_/¯"
        assert all(s.bold for s in cells(row(log, 1), "no"))

    run(scenario)


def test_markdown_renders_code_blocks_lists_and_emphasis_and_keeps_the_text() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.add(say("alice", FENCED))
        await pilot.pause()
        shown = [line.rstrip() for line in body(log)]
        assert "```python" not in shown
        assert shown[1] == "look:"
        assert "def f(x):" in [line.strip() for line in shown]
        assert " • one" in shown and " • two bold code" in shown
        assert log.entries[0].text == FENCED
        code = view_row(log, "def f(x):")
        assert any(s.bgcolor is not None for s in cells(code, "def"))
        assert any(s.bold for s in cells(view_row(log, "two bold"), "bold"))

        log.markdown = False
        await pilot.pause()
        assert [line.rstrip() for line in body(log)][1:] == FENCED.split("\n")
        assert log.entries[0].text == FENCED

    run(scenario)


def test_markdown_keeps_line_breaks_and_leaves_plain_lines_alone() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend([say("alice", "a *b* c\nnext line"), say("bob", "2 * 3 * 4 = 24", T0 + 1)])
        await pilot.pause()
        shown = [line.rstrip() for line in body(log)]
        assert shown[:3] == ["alice 22:13", "a b c", "next line"]
        assert all(s.italic for s in cells(row(log, 1), "b"))
        assert "2 * 3 * 4 = 24" in shown

    run(scenario)


def test_markdown_detection() -> None:
    for text in ("*x*", "**bold**", "_x_", "`code`", "- a", "* a", "1. a", "> q", "```\nx\n```",
                 "plain\n- item"):
        assert looks_like_markdown(text), text
    for text in ("plain words", "2 * 3 * 4", "snake_case_name", "a - b", "1.5 litres", ">_<",
                 "https://example.com/a_b_c"):
        assert not looks_like_markdown(text), text


def test_emoji_shortcodes_show_as_emoji_unless_off() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.add(say("alice", "hi :smile: :not_an_emoji: 12:30"))
        await pilot.pause()
        assert body(log)[1].rstrip() == "hi 😄 :not_an_emoji: 12:30"
        assert log.entries[0].text == "hi :smile: :not_an_emoji: 12:30"
        log.emoji = False
        await pilot.pause()
        assert body(log)[1].rstrip() == "hi :smile: :not_an_emoji: 12:30"

    run(scenario)


MARKDOWN_BITS = ["*em*", "**strong**", "_u_", "`code`", "\n- item ", "\n1. first ", "\n> quote ",
                 "\n```\ncode line\n```\n", ":smile:", ":thumbs_up:", "漢字", "🎉", " ",
                 "https://example.com/x ", "\n", "word ", "x" * 90]


@settings(max_examples=80, deadline=None)
@given(texts=st.lists(st.lists(st.sampled_from(MARKDOWN_BITS) | st.text(max_size=12), max_size=12)
                      .map("".join), min_size=1, max_size=6),
       markdown=st.booleans(), emoji=st.booleans())
def check_rows_match_the_drawing(log: MessageLog, texts: list[str], markdown: bool,
                                 emoji: bool) -> None:
    """Each entry (its own run here) is as tall as its drawn lines, or as the avatar."""
    log.markdown, log.emoji = markdown, emoji
    log.reset(say("alice" if n % 2 else "bob", text, T0 + n * 1000)
              for n, text in enumerate(texts))
    for pos in range(len(texts)):
        drawn = len(log._rows.text_lines(log._layout, pos, None))
        assert log._layout.height(pos) == max(drawn, AVATAR_ROWS)
    assert len(log.plain_lines()) == log.virtual_size.height


def test_row_counts_equal_the_rendered_rows_for_any_text() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        check_rows_match_the_drawing(log)
        await pilot.resize_terminal(41, 24)
        await pilot.pause()
        check_rows_match_the_drawing(log)

    run(scenario)


# -- time modes and kinds -----------------------------------------------------------------


def test_time_modes_change_headers_events_and_actions() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend([say("alice", "hi"), event("bob joined", T0 + 1),
                    LogEntry(EntryKind.ACTION, "waves", T0 + 2, "alice")])
        await pilot.pause()
        assert [line.rstrip() for line in body(log)] == [
            "alice 22:13", "hi", "", "", "→ bob joined  22:13", "* alice waves  22:13"]
        log.time_mode = "datetime"
        await pilot.pause()
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(T0))
        assert body(log)[0].rstrip() == f"alice {stamp}"
        assert body(log)[4].rstrip() == f"→ bob joined  {stamp}"
        log.time_mode = "off"
        await pilot.pause()
        assert [line.rstrip() for line in body(log)] == [
            "alice", "hi", "", "", "→ bob joined", "* alice waves"]

    run(scenario)


def test_an_unknown_time_mode_is_refused() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        try:
            log.time_mode = "sundial"
        except ValueError:
            return
        raise AssertionError("no ValueError")

    run(scenario)


# -- hidden senders -----------------------------------------------------------------------


def test_hidden_senders_vanish_and_runs_join_over_them() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        entries = [say("alice", "one"), say("Mallory", "spam", T0 + 1),
                   LogEntry(EntryKind.ACTION, "spams", T0 + 2, "mallory"),
                   say("alice", "two", T0 + 3), event("mallory left", T0 + 4)]
        log.extend(entries)
        await pilot.pause()
        everything = log.plain_lines()
        log.hidden = frozenset({"MALLORY"})
        await pilot.pause()
        assert log.hidden == frozenset({"mallory"})
        assert log.plain_lines() == [f"{G}alice 22:13", f"{G}one", f"{G}two", "",
                                     f"{G}→ mallory left  22:13"]
        assert len(log.entries) == 5
        assert [row(log, y).crop(0, 8).text for y in range(4)] == ["▄" * 8] * 4
        log.hidden = frozenset()
        await pilot.pause()
        assert log.plain_lines() == everything

    run(scenario)


def test_only_from_shows_just_those_users_besides_me_console_and_events() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.me = "zoe"
        log.extend([say("alice", "from alice"), say("bob", "from bob", T0 + 1),
                    say("Zoe", "from me", T0 + 2), say("Console", "from the server", T0 + 3),
                    event("carol joined", T0 + 4),
                    LogEntry(EntryKind.PRIVATE, "psst", T0 + 5, "bob", peer="zoe")])
        await pilot.pause()
        everything = log.plain_lines()
        log.only_from = frozenset({"ALICE"})
        await pilot.pause()
        shown = "\n".join(log.plain_lines())
        assert log.only_from == frozenset({"alice"})
        for text in ("from alice", "from me", "from the server", "carol joined"):
            assert text in shown
        assert "from bob" not in shown and "psst" not in shown
        assert log.search("from") == 3  # hidden lines are not found
        assert not log.is_hidden(log.entries[0]) and log.is_hidden(log.entries[1])
        log.only_from = None
        log.clear_search()
        await pilot.pause()
        assert log.plain_lines() == everything

    run(scenario)


# -- search -------------------------------------------------------------------------------


def test_search_counts_highlights_and_steps_through_matches() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend([say("alice", "Cake or cake?"), say("bob", "no", T0 + 1),
                    say("carol", "CAKE!", T0 + 2), event("dave baked a cake", T0 + 3)])
        await pilot.pause()
        assert log.search_step() is None
        assert log.search("cake") == 3
        await pilot.pause()
        match, current = component(log, "match"), component(log, "match-current")
        first = view_row(log, "Cake or cake?")
        assert all(s.underline and not s.reverse for s in cells(first, "Cake"))
        assert all(s.underline for s in styles(first, first.text.index("cake?"))[:1])
        assert not any(s.underline for s in cells(first, " or "))

        assert log.search_step() == (1, 3)
        await pilot.pause()
        assert all(s.reverse for s in cells(view_row(log, "baked a cake"), "cake"))
        assert not any(s.reverse for s in cells(view_row(log, "CAKE!"), "CAKE"))
        assert log.search_step() == (2, 3)
        await pilot.pause()
        assert all(s.reverse for s in cells(view_row(log, "CAKE!"), "CAKE"))
        assert log.search_step() == (3, 3)
        assert log.search_step() == (1, 3)
        assert log.search_step(backward=False) == (3, 3)
        assert match.underline and current.reverse

        log.clear_search()
        await pilot.pause()
        assert not any(s.underline or s.reverse for s in cells(view_row(log, "CAKE!"), "CAKE"))
        assert log.search("") == 0
        assert log.search("nothing like it") == 0
        assert log.search_step() is None

    run(scenario)


def test_search_skips_hidden_entries_counts_new_ones_and_highlights_markdown() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend([say("alice", "- a **tea** list"), say("mallory", "tea", T0 + 1)])
        log.hidden = frozenset({"mallory"})
        assert log.search("tea") == 1
        log.add(say("bob", "more tea", T0 + 2))
        assert log.search_step() == (1, 2)
        await pilot.pause()
        assert log.search_step() == (2, 2)
        await pilot.pause()
        tea = cells(view_row(log, "a tea list"), "tea")
        assert all(s.reverse and s.bold for s in tea)

    run(scenario)


def test_search_step_scrolls_the_current_match_into_view() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend(say("alice", f"needle {n}" if n in (5, 150) else f"hay {n}", T0 + n)
                   for n in range(200))
        await pilot.pause()
        assert log.search("needle") == 2
        assert log.search_step() == (1, 2)
        await pilot.pause()
        assert "needle 150" in "".join(row(log, y).text for y in range(log.size.height))
        assert log.search_step() == (2, 2)
        await pilot.pause()
        assert "needle 5" in "".join(row(log, y).text for y in range(log.size.height))
        assert not log.at_end

    run(scenario)


# -- unread marker ------------------------------------------------------------------------


def test_the_marker_goes_above_the_next_entry_and_breaks_its_run() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.add(say("alice", "seen"))
        await pilot.pause()
        before = log.plain_lines()
        assert not log.has_marker
        log.mark_unread()
        assert log.has_marker
        log.add(say("alice", "new", T0 + 1))
        log.mark_unread()
        log.add(say("alice", "newer", T0 + 2))
        await pilot.pause()
        lines = log.plain_lines()
        assert lines[:2] == before[:2]
        assert MARKER.match(lines[4]), lines
        assert lines[5:] == [f"{G}alice 22:13", f"{G}new", f"{G}newer", ""]
        assert sum(bool(MARKER.match(line)) for line in lines) == 1
        marker = row(log, 4)
        assert marker.crop(0, GUTTER).text == G
        assert all(s.bold for s in cells(marker, "new messages"))
        assert [row(log, y).crop(0, 8).text for y in range(5, 9)] == ["▄" * 8] * 4

        log.clear_marker()
        await pilot.pause()
        assert not log.has_marker
        assert log.plain_lines() == [f"{G}alice 22:13", f"{G}seen", f"{G}new", f"{G}newer"]

    run(scenario)


def test_clearing_the_marker_lays_out_as_if_there_had_been_none() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        senders = ["alice", "alice", "bob", "bob", "bob", "bob", "bob", "carol"]
        entries = [say(sender, f"line {n}\n" * (n % 3) + "end", T0 + n)
                   for n, sender in enumerate(senders * 3)]
        for cut in (1, 3, 5, 9, 14, 23):
            log.reset(entries[:cut])
            log.mark_unread()
            log.extend(entries[cut:])
            await pilot.pause()
            assert sum(bool(MARKER.match(line)) for line in log.plain_lines()) == 1
            log.clear_marker()
            marked = log.plain_lines()
            log.reset(entries)
            assert marked == log.plain_lines(), cut

    run(scenario)


def test_the_marker_waits_for_a_shown_entry_and_can_be_cleared_while_pending() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.hidden = frozenset({"mallory"})
        log.add(say("alice", "seen"))
        log.mark_unread()
        log.add(say("mallory", "spam", T0 + 1))
        log.add(event("bob joined", T0 + 2))
        await pilot.pause()
        assert MARKER.match(log.plain_lines()[4])
        assert log.plain_lines()[5] == f"{G}→ bob joined  22:13"
        log.clear_marker()
        log.mark_unread()
        log.clear_marker()
        log.add(say("alice", "more", T0 + 3))
        await pilot.pause()
        assert not any(MARKER.match(line) for line in log.plain_lines())

    run(scenario)


# -- whois cards -------------------------------------------------------------------------


def test_a_whois_card_never_reads_as_the_users_own_words() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.add(say("bob", "hello", T0))
        log.add(LogEntry(EntryKind.PROFILE, "not an admin\nhere (not away)", T0 + 1, "bob"))
        log.add(say("bob", "again", T0 + 2))
        await pilot.pause()
        shown = [line.rstrip() for line in body(log)]
        card = shown.index("bob · whois 22:13")
        assert shown[card + 1:card + 3] == ["not an admin", "here (not away)"]
        assert shown[card + 3:].count("bob 22:13") == 1  # bob's next line has a header
        assert all(s.italic for s in cells(view_row(log, "not an admin"), "not an admin"))
        assert not any(s.italic for s in cells(view_row(log, "again"), "again"))

    run(scenario)


# -- the end of the log -------------------------------------------------------------------


class EndApp(LogApp):
    """The log app, counting ReachedEnd messages."""

    def __init__(self) -> None:
        super().__init__(SolidAvatars())
        self.reached = 0

    def on_message_log_reached_end(self, _: MessageLog.ReachedEnd) -> None:
        self.reached += 1


async def filled(pilot: Pilot[None], app: EndApp) -> MessageLog:
    """The app's log, after 100 messages: taller than the view."""
    app.chat.extend(say("alice", f"message {n}", T0 + n) for n in range(100))
    await pilot.pause()
    return app.chat


async def reached_and_follows(pilot: Pilot[None], app: EndApp) -> None:
    """Once the scroll has settled: the end was reached once, and a new line is followed."""
    await pilot.wait_for_animation()
    await pilot.pause()
    log = app.chat
    assert log.at_end and app.reached == 1
    log.add(say("dave", "followed"))
    await pilot.pause()
    assert log.scroll_y == log.max_scroll_y
    assert log.at_end and app.reached == 1


def test_reached_end_is_posted_when_the_user_scrolls_back_down() -> None:
    async def main() -> None:
        app = EndApp()
        async with app.run_test(size=(80, 24)) as pilot:
            log = await filled(pilot, app)
            assert log.at_end and app.reached == 0
            log.add(say("bob", "more"))
            await pilot.pause()
            assert log.at_end and app.reached == 0
            log.focus()
            await pilot.press("pageup")
            await pilot.pause()
            assert not log.at_end
            log.add(say("carol", "while away"))
            await pilot.pause()
            assert not log.at_end and app.reached == 0
            for _ in range(3):
                await pilot.press("pagedown")
            await reached_and_follows(pilot, app)

    asyncio.run(main())


def test_at_end_holds_while_entries_arrive_between_frames() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        log.extend(say("alice", f"message {n}", T0 + n) for n in range(100))
        await pilot.pause()
        for n in range(5):
            log.add(say("bob", f"burst {n}"))
            assert log.at_end
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y

    run(scenario)


# -- mentions -----------------------------------------------------------------------------


def test_mentions_me_counts_people_not_notices_or_myself() -> None:
    async def scenario(pilot: Pilot[None], log: MessageLog) -> None:
        assert log.mentions_me(say("alice", "hi Bob!"))
        assert log.mentions_me(LogEntry(EntryKind.ACTION, "pokes bob", T0, "alice"))
        assert log.mentions_me(LogEntry(EntryKind.PRIVATE, "bob?", T0, "alice", peer="bob"))
        assert not log.mentions_me(say("alice", "bobby"))
        assert not log.mentions_me(say("bob", "I am bob"))
        assert not log.mentions_me(LogEntry(EntryKind.NOTICE, "bob joined", T0, "Console"))
        assert not log.mentions_me(event("bob joined"))
        log.add(LogEntry(EntryKind.ACTION, "pokes bob", T0, "alice"))
        await pilot.pause()
        mention = component(log, "mention")
        assert all(s.bgcolor == mention.bgcolor for s in cells(row(log, 0), "bob"))

    run(scenario, me="bob")


# -- user list ----------------------------------------------------------------------------


class UsersApp(App[None]):
    CSS_PATH = STYLESHEET

    def compose(self) -> ComposeResult:
        def avatar(_: Member, columns: int) -> list[Strip]:
            return [Strip([Segment("▄" * columns)])] * (columns // 2)

        yield UserList(avatar)


def test_away_users_are_dimmed_with_their_away_text_below() -> None:
    async def main() -> None:
        app = UsersApp()
        async with app.run_test(size=(18, 10)) as pilot:
            users = app.query_one(UserList)
            users.show([Member("alice"), Member("bob", away="lunch, back at two", admin=True),
                        Member("carol", away="away")])
            await pilot.pause()
            bob, note, alice = (users.render_line(y) for y in range(3))
            assert bob.text.rstrip() == "▄▄▄▄ bob @"
            assert note.text == "▄▄▄▄ away: lunch,…"  # cut to the 18 columns
            assert alice.text.rstrip() == "▄▄▄▄ alice"
            assert all(s.dim for s in cells(bob, "bob") + cells(note, "away: lunch,…"))
            assert not any(s.dim for s in cells(alice, "alice"))
            assert users.render_line(5).text.rstrip() == "▄▄▄▄ away"  # no text: the word
            assert users.render_line(3).text.rstrip() == "▄▄▄▄"  # here: nothing below
            users.show([Member("mallory", away="\u202eyawa")])
            await pilot.pause()
            assert users.render_line(1).text.rstrip() == "▄▄▄▄ away: \ufffdyawa"

    asyncio.run(main())


def test_an_animated_scroll_that_ends_at_the_bottom_follows_again() -> None:
    """Reaching the end on an animation's last step must not stop that animation from
    inside the animator (Textual then fails to delete it: KeyError)."""

    async def main() -> None:
        app = EndApp()
        async with app.run_test(size=(80, 24)) as pilot:
            log = await filled(pilot, app)
            log.scroll_to(y=0, animate=False)
            log.release_anchor()
            await pilot.pause()
            assert not log.at_end
            log.scroll_to(y=log.max_scroll_y, animate=True, duration=0.001)
            await reached_and_follows(pilot, app)

    asyncio.run(main())
