"""``/help`` (and F1): the commands and keys, in a scrolling box that says how to close it."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tuichat.tui.slash import help_sections
from tuichat.tui.slash_command import Extensions

CLOSE_HINT = "escape closes this"
"""In the box's frame, so it shows on every page of a help taller than the terminal."""


def help_table(me: str, extensions: Extensions = None) -> Table:
    """The help in two columns, so a long description wraps under itself; ``me`` is the
    user's name, which the examples use; commands the server lacks (``extensions``) are
    left out."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column()
    for number, (title, rows) in enumerate(help_sections(me, extensions)):
        if number:
            table.add_row("", "")
        table.add_row(Text(f"{title}:", style="bold"), "")
        for usage, summary in rows:
            table.add_row(Text(f"  {usage}"), Text(summary))
    return table


class HelpScreen(ModalScreen[None]):
    """``/help``: commands and keys; any of escape, q, f1 closes it."""

    BINDINGS = [Binding("escape,q,f1", "dismiss", "Close")]

    def __init__(self, me: str, extensions: Extensions = None) -> None:
        super().__init__()
        self._me = me
        self._extensions = extensions

    def compose(self) -> ComposeResult:
        box = VerticalScroll(id="help-box")
        box.border_title = "Help"
        box.border_subtitle = CLOSE_HINT
        with box:
            yield Static(help_table(self._me, self._extensions), id="help-text")
