"""The chat screen's keys, in one table: its bindings, the key bar and ``/help`` read it.

Each row names the keys (as Textual does), how help shows them, what they do, and the
screen action they run; a row without an action is a key the entry box handles itself
(Enter, Tab) or the app's (ctrl+q, f1, f2, the palette), listed for help. A row with a
``bar`` label shows in the key bar; ``rooms`` rows only where the server speaks rooms.

Switching conversations: ctrl+n and alt+down go to the next, alt+up to the previous; all
three reach the app through tmux and SSH. alt+1 to alt+9 go to the n-th, in terminals
that report them (kitty's keyboard protocol: kitty, foot, WezTerm, ghostty); xterm and
tmux send ESC and the digit, which Textual reads as a character (``¡`` ...), so there
``/window N`` does it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class KeyRow:
    """One key (or a few doing one thing) of the chat screen."""

    keys: str
    """Textual's names, comma-separated: ``ctrl+n,alt+down``."""
    shown: str
    """As help writes them: ``ctrl+n / alt+down``."""
    summary: str
    action: str | None = None
    """The screen action it runs; None: handled by the entry box or the app."""
    bar: str | None = None
    """Its label in the key bar (the first of ``keys`` is shown), or None."""
    priority: bool = False
    """Taken before the entry box sees it (the box would move its cursor)."""
    rooms: bool = False
    """Only with the rooms extension (help and key bar)."""

    @property
    def bar_key(self) -> str:
        """The first key as the bar writes it: ``^n``, ``f4``, ``alt+↑``."""
        parts = [_SHORT.get(part, part) for part in self.keys.split(",")[0].split("+")]
        return "+".join(parts).replace("^+", "^")


_SHORT = {"ctrl": "^", "pageup": "pgup", "up": "↑", "down": "↓"}
"""How the key bar writes the parts of a key's name."""

KEY_ROWS: tuple[KeyRow, ...] = (
    KeyRow("ctrl+q", "ctrl+q", "quit", bar="Quit"),
    KeyRow("f1", "f1", "this help", bar="Help"),
    KeyRow("ctrl+n,alt+down", "ctrl+n / alt+down", "the next room or private conversation",
           "step_conversation(1)", bar="Next", rooms=True),
    KeyRow("alt+up", "alt+up", "the previous room or private conversation",
           "step_conversation(-1)", bar="Prev", rooms=True),
    KeyRow(",".join(f"alt+{n}" for n in range(1, 10)), "alt+1 … alt+9",
           "the n-th in the room list (where the terminal reports alt+digit; else /window N)",
           "pick_conversation", rooms=True),
    KeyRow("f4", "f4", "show the whole room list, or only the room shown", "toggle_rooms",
           bar="Rooms", rooms=True),
    KeyRow("f2", "f2", "debug pane (client log and frames)", bar="Debug"),
    KeyRow("ctrl+p", "ctrl+p", "command palette", bar="Commands"),
    KeyRow("enter", "enter", "send"),
    KeyRow("ctrl+j", "ctrl+j", "new line in the entry box"),
    KeyRow("up,down", "up / down", "earlier lines you sent"),
    KeyRow("tab", "tab", "complete a name, #room or command (again: next choice)"),
    KeyRow("pageup", "pageup / pagedown", "scroll the log", "scroll_log(-1)", bar="Scroll",
           priority=True),
    KeyRow("pagedown", "", "", "scroll_log(1)", priority=True),
    KeyRow("ctrl+end", "ctrl+end", "back to the newest", "follow", priority=True),
    KeyRow("ctrl+f", "ctrl+f", "search the log (escape: stop)", "start_search"),
    KeyRow("f3", "f3 / shift+f3", "previous / next match", "search_step(True)"),
    # shift+f3 is f15 where the terminal says so (tmux, xterm: see terminal_keys.py).
    KeyRow("shift+f3,f15", "", "", "search_step(False)"),
    KeyRow("escape", "", "", "stop_search"),
    KeyRow("ctrl+r", "ctrl+r", "reconnect now (when disconnected); after a kick: the connect "
           "screen", "reconnect"),
)


BindingRow = Binding | tuple[str, str] | tuple[str, str, str]
"""What Textual takes as a binding (a screen's ``BINDINGS`` holds these)."""


def pick_bindings() -> list[BindingRow]:
    """alt+1 … alt+9, each to its own place in the list (one row of the table)."""
    row = next(row for row in KEY_ROWS if row.action == "pick_conversation")
    return [Binding(key, f"pick_conversation({number})", show=False)
            for number, key in enumerate(row.keys.split(","), start=1)]


def screen_bindings() -> list[BindingRow]:
    """The chat screen's bindings: every row with an action."""
    bindings: list[BindingRow] = [
        Binding(row.keys, row.action, row.summary or row.action, show=False,
                priority=row.priority)
        for row in KEY_ROWS if row.action and row.action != "pick_conversation"]
    return bindings + pick_bindings()


END_BAR = [("^r", "Join again"), ("^q", "Quit"), ("f1", "Help"), ("f2", "Debug"),
           ("pgup", "Scroll")]
"""The key bar once the server has ended the session for good (a kick, a ban, a refusal)."""


def help_rows(rooms: bool) -> list[tuple[str, str]]:
    """The ``/help`` rows of keys: (keys, what they do)."""
    return [(row.shown, row.summary) for row in KEY_ROWS
            if row.shown and (rooms or not row.rooms)]


def bar_keys(rooms: bool) -> list[tuple[str, str]]:
    """The key bar: (key, label) for each row with a label."""
    return [(row.bar_key, row.bar) for row in KEY_ROWS
            if row.bar is not None and (rooms or not row.rooms)]
