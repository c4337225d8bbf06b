"""Every name is legible where it is drawn: each theme, in 24-bit, 256 and 16 colours and
under NO_COLOR, measured as the terminal shows it (WCAG 2 contrast ratios)."""

from __future__ import annotations

import asyncio

import pytest
from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual import constants
from textual.app import App, ComposeResult
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.filter import ANSIToTruecolor, Monochrome
from textual.strip import Strip
from textual.widget import Widget

from tests.test_tui_message_log import SolidAvatars
from tuichat.tui import STYLESHEET
from tuichat.tui.log_entries import EntryKind, LogEntry
from tuichat.tui.message_log import MessageLog
from tuichat.tui.roster import Member
from tuichat.tui.settings import THEMES
from tuichat.tui.user_list import ROWS_PER_USER, UserList

NAMES = [f"user{number}" for number in range(24)]
"""Enough names to land on every colour of a palette of ten (checked below)."""
DRAWN_THEMES = [theme for theme in THEMES if not theme.startswith("ansi")]
"""The ansi-* themes are the terminal's own colours: only the terminal knows them."""
MODES = {"24-bit": ("truecolor", ColorSystem.TRUECOLOR), "256": ("256", ColorSystem.EIGHT_BIT),
         "16": ("standard", ColorSystem.STANDARD), "NO_COLOR": ("truecolor", None)}
WCAG_AA = 4.5


def luminance(colour: Color) -> float:
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = colour.rgb
    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def ratio(one: Color, other: Color) -> float:
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


class Names(App[None]):
    """A log and a user list, styled as in the chat, holding every name."""

    CSS_PATH = STYLESHEET

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield MessageLog(SolidAvatars(), id="log")
            with Vertical(id="side"):  # the user list's column, as on the chat screen
                yield UserList(lambda member, columns: [Strip.blank(columns, Style())]
                               * (columns // 2), id="users")


class Terminal:
    """What a terminal in one mode shows of a colour drawn by ``app``: Textual's own
    filters, then the terminal's palette of 256 or 16."""

    def __init__(self, app: App[None], system: ColorSystem | None) -> None:
        self._filters = [ANSIToTruecolor(app.ansi_theme)] + ([Monochrome()] if system is None
                                                            else [])
        self._system = system or ColorSystem.TRUECOLOR

    def shows(self, colour: Color, background: Color) -> Color:
        segments = [Segment("x", Style(color=colour.rich_color))]
        for line_filter in self._filters:
            segments = line_filter.apply(segments, background)
        style = segments[0].style
        assert style is not None and style.color is not None
        shown = style.color
        if self._system is not ColorSystem.TRUECOLOR:
            shown = RichColor.from_triplet(shown.get_truecolor()).downgrade(self._system)
        triplet = shown.get_truecolor()
        return Color(triplet.red, triplet.green, triplet.blue)


def name_colours(widget: Widget, rows: int) -> dict[str, Color]:
    """The colour each name is drawn in, in the first ``rows`` rows of ``widget`` (the
    name's own colour, or else the widget's text colour)."""
    text = widget.colors[3]
    found: dict[str, Color] = {}
    for y in range(rows):
        for segment in widget.render_line(y):
            if segment.text.strip() in NAMES:
                colour = segment.style.color if segment.style else None
                found[segment.text.strip()] = \
                    Color.from_rich_color(colour) if colour is not None else text
    return found


@pytest.mark.parametrize("mode", list(MODES))
def test_every_name_is_legible_in_every_theme(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    console_system, system = MODES[mode]
    monkeypatch.setattr(constants, "COLOR_SYSTEM", console_system)
    if system is None:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    app = Names()
    failures: list[str] = []

    async def main() -> None:
        async with app.run_test(size=(60, 2 * len(NAMES) + 2)) as pilot:
            log, users = app.query_one(MessageLog), app.query_one(UserList)
            log.extend(LogEntry(EntryKind.ACTION, "waves", 0.0, sender=name) for name in NAMES)
            users.show([Member(name) for name in NAMES])
            terminal = Terminal(app, system)
            colours_seen: set[Color] = set()
            for theme in DRAWN_THEMES:
                app.theme = theme
                await pilot.pause()
                for widget, rows in ((log, len(NAMES)), (users, len(NAMES) * ROWS_PER_USER)):
                    _, _, background, text = widget.colors
                    ground = terminal.shows(background, background)
                    wanted = min(WCAG_AA, ratio(terminal.shows(text, background), ground))
                    colours = name_colours(widget, rows)
                    assert sorted(colours) == sorted(NAMES)
                    for name, colour in colours.items():
                        colours_seen.add(colour)
                        got = ratio(terminal.shows(colour, background), ground)
                        if got < wanted:
                            failures.append(f"{theme} {type(widget).__name__} {name} "
                                            f"{colour.hex}: {got:.2f} < {wanted:.2f}")
            if system is not None:
                assert len(colours_seen) >= 10, "the names did not show the whole palette"

    asyncio.run(main())
    assert not failures, "\n".join(failures[:20])
