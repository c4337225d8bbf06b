"""A stable colour per user name, from a palette that reads well in 16 colours too."""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache

from rich.style import Style

NAME_COLOURS = (
    "red", "green", "yellow", "blue", "magenta", "cyan",
    "bright_red", "bright_green", "bright_yellow", "bright_blue", "bright_magenta", "bright_cyan",
)


@lru_cache(maxsize=4_096)
def name_colour(name: str) -> str:
    """The colour of ``name``: the same for every client, whatever the case of the name."""
    key = unicodedata.normalize("NFC", name).casefold().encode()
    return NAME_COLOURS[hashlib.sha256(key).digest()[0] % len(NAME_COLOURS)]


@lru_cache(maxsize=4_096)
def name_style(name: str) -> Style:
    """``name_colour`` as a bold Rich style."""
    return Style(color=name_colour(name), bold=True)
