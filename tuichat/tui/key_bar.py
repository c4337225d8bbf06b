"""A one-line bar of the main keys: what Textual's Footer shows, for a fraction of its cost.

The Footer builds a widget per binding, which costs about 0.1 s at start-up here; this bar
is one Static with a fixed list of keys per screen.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KeyBar(Static):
    """``key label`` pairs on one line, the keys highlighted."""

    COMPONENT_CLASSES = {"key-bar--key"}

    def __init__(self, keys: list[tuple[str, str]], *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self._keys = keys

    def on_mount(self) -> None:
        self.refresh_keys()

    def show(self, keys: list[tuple[str, str]]) -> None:
        """Show other keys (the screen's state changed what they do)."""
        self._keys = keys
        self.refresh_keys()

    def refresh_keys(self) -> None:
        key_style = self.get_component_rich_style("key-bar--key", partial=True)
        text = Text(no_wrap=True, overflow="ellipsis")
        for key, label in self._keys:
            text.append(f" {key} ", key_style)
            text.append(f"{label} ")
        self.update(text)
