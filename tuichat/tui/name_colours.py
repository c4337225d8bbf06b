"""The colour of each name: stable per name, and legible on the background it is drawn on.

A name keeps its hue everywhere; its lightness is chosen so that, as the terminal will
show it (after Textual reduces colours to 256 or 16), it reaches WCAG's 4.5:1 contrast with
the background, or at least the contrast of the theme's own text there, when a theme in
16 colours offers less. Under ``NO_COLOR`` names have no colour of their own (the
stylesheet makes them bold). A theme of the terminal's own ANSI colours gets ANSI names:
only the terminal knows what they look like.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.style import Style
from textual.color import Color
from textual.widget import Widget

HUES = (0, 120, 55, 225, 300, 180, 25, 90, 265, 330)
"""Degrees on the colour wheel: red, green, yellow, blue, magenta, cyan (the order of the
ANSI names, so a name keeps its colour family), then orange, lime, violet, pink. A name's
hue is one of these, picked by a hash of the name."""
SATURATION = 0.8
MIN_CONTRAST = 4.5
"""WCAG 2's minimum for normal text (AA)."""
ANSI_NAMES = ("red", "green", "yellow", "blue", "magenta", "cyan", "bright_red", "bright_green",
              "bright_blue", "bright_magenta")
"""For themes drawn in the terminal's own colours (``ansi-dark``, ``ansi-light``)."""
SYSTEMS = {"truecolor": ColorSystem.TRUECOLOR, "256": ColorSystem.EIGHT_BIT,
           "standard": ColorSystem.STANDARD, "windows": ColorSystem.WINDOWS}
"""Rich's names of the colour systems (``Console.color_system``)."""


def slot(name: str) -> int:
    """Which of the hues ``name`` has, the same in every session."""
    return zlib.crc32(name.casefold().encode()) % len(HUES)


def contrast(one: Color, other: Color) -> float:
    """The WCAG 2 contrast ratio of two opaque colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def as_shown(colour: Color, system: ColorSystem) -> Color:
    """``colour`` as a terminal with ``system`` shows it (the nearest of its 256 or 16)."""
    if system is ColorSystem.TRUECOLOR:
        return colour
    shown = RichColor.from_rgb(*colour.rgb).downgrade(system).get_truecolor()
    return Color(shown.red, shown.green, shown.blue)


@lru_cache(maxsize=1024)
def legible(hue: int, background: Color, text: Color, system: ColorSystem) -> Color:
    """The colour of ``hue`` nearest to mid-lightness that is legible on ``background``."""
    ground = as_shown(background, system)
    wanted = min(MIN_CONTRAST, contrast(as_shown(text, system), ground))
    step = 0.02 if ground.brightness < 0.5 else -0.02
    for lightness in (0.5 + step * n for n in range(26)):
        colour = Color.from_hsl(hue / 360, SATURATION, lightness)
        if contrast(as_shown(colour, system), ground) >= wanted:
            return colour
    return text


@dataclass(frozen=True)
class NameColours:
    """How names are coloured in one widget: on its background, in the terminal's colours."""

    background: Color
    text: Color
    system: ColorSystem
    plain: bool = False
    """NO_COLOR: names have no colour of their own."""
    ansi: bool = False
    """The theme is the terminal's own colours: names are ANSI colours too."""

    @classmethod
    def of(cls, widget: Widget) -> NameColours:
        """The colours for names drawn in ``widget`` (mounted), as the app is set up now."""
        app = widget.app
        _, _, background, text = widget.colors
        system = SYSTEMS.get(app.console.color_system or "", ColorSystem.TRUECOLOR)
        return cls(background, text, system, plain=app.no_color,
                   ansi=background.ansi is not None or app.current_theme.name.startswith("ansi"))

    def style(self, name: str) -> Style:
        """The style of ``name`` (its colour; nothing at all under NO_COLOR)."""
        if self.plain:
            return Style()
        if self.ansi:
            return Style(color=ANSI_NAMES[slot(name)])
        colour = legible(HUES[slot(name)], self.background, self.text, self.system)
        return Style(color=colour.rich_color)


def _luminance(colour: Color) -> float:
    """WCAG 2's relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = colour.rgb
    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
