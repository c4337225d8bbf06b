"""Keys that terminals send but Textual reads as something else.

xterm and tmux send F3 with modifiers as ``ESC [ 1 ; m R``: shift+F3 is ``ESC[1;2R``. That
is also how a terminal answers "where is the cursor?" (row 1, column 2), and Textual takes
it for that answer (``events.CursorPosition``), so the key never arrives. A full-screen
app never asks where the cursor is, so such an answer here is the key it really is, named
as Textual's own table of sequences names it (``ESC[1;2R`` is f15, which is shift+F3).
"""

from __future__ import annotations

from textual import events

F3_BY_MODIFIER = {2: "f15", 5: "ctrl+f3", 6: "ctrl+f15"}
"""xterm's modifier number (1 + shift 1, alt 2, ctrl 4) to Textual's name for that F3."""


def key_behind(report: events.CursorPosition) -> events.Key | None:
    """The key a "cursor position report" nobody asked for really is, or None."""
    if report.y != 0:
        return None
    name = F3_BY_MODIFIER.get(report.x + 1)
    return events.Key(name, None) if name is not None else None
