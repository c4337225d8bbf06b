"""The entry box: Enter sends, ctrl+j adds a line, up/down walk the input history,
Tab completes names, rooms and commands.

Every key is applied in the order it was typed, however many arrive in one read of the
terminal (a paste without bracketed-paste mode, a laggy SSH link). Textual inserts a
printable key in the focused widget at once but runs a key's binding only after the key
has bubbled up to the app (and a priority binding before the widget has seen the keys
queued ahead of it), so in a burst ``ab`` ctrl+j ``cd`` became ``abcd`` and a new line.
The box therefore runs the binding of each key itself, as the key comes, and hands a
line to its owner on Enter without a message in between.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from enum import Enum

from textual import events
from textual.binding import Binding
from textual.widgets import TextArea

from tuichat.net.frames import MAX_TEXT_CHARS

MAX_HISTORY = 200
CATCH_UP_TIMEOUT = 1.0
PLACEHOLDER = "Type a message: enter sends, ctrl+j adds a line, /help lists commands"
COUNTER_FROM = MAX_TEXT_CHARS - 500
"""The character counter appears when the entry holds more than this."""


def counter_text(length: int) -> str:
    """What the counter beside the entry shows for ``length`` characters."""
    return f"{length:,}/{MAX_TEXT_CHARS:,}" if length > COUNTER_FROM else ""


class Outcome(Enum):
    """What became of the line the user sent with Enter."""

    TAKEN = "taken"
    """Sent or run: the box empties and the line joins the input history."""
    SECRET = "secret"
    """Taken, but kept out of the input history (it holds a password)."""
    KEPT = "kept"
    """Refused: the text stays, all selected, so the next key types over it."""


@dataclass
class _Completion:
    """A Tab completion in progress: where the word starts and the candidates to cycle."""

    row: int
    start: int
    choices: list[str]
    index: int = 0


def completions(line: str, first_line: bool, names: Iterable[str],
                commands: Iterable[str], rooms: Iterable[str] = (),
                room_commands: Collection[str] = ()) -> tuple[int, list[str]]:
    """Where the text before the cursor may be completed from, and the choices.

    On the first line, ``/…`` and ``admin…`` complete as whole commands. Otherwise (and
    after a command's own words: ``/msg bo``, ``admin -k bo``) the last word completes to
    a user name: ``name: `` at the start of a line, ``name `` elsewhere; a word starting
    with ``#``, or the first argument of a command that takes a room (``room_commands``:
    ``/join de``), completes to a room name.
    """
    folded = line.casefold()
    if first_line and (line.startswith("/") or folded.startswith("admin")
                       or (line and "admin".startswith(folded))):
        pool = {command for command in commands if command.casefold().startswith(folded)}
        if pool or " " not in line:
            return 0, sorted(pool, key=str.casefold)
    start = max(line.rfind(" "), line.rfind("\t")) + 1
    word = line[start:].casefold()
    words = line.split()
    of_room = first_line and len(words) == 2 and start > 0 and \
        words[0].casefold() in room_commands
    if word.startswith("#") or (word and of_room):
        wanted = word if word.startswith("#") else "#" + word
        found = {room for room in rooms if room.casefold().startswith(wanted)}
        return start, [room + " " for room in sorted(found)]
    if not word:
        return start, []
    suffix = ": " if start == 0 else " "
    pool = {name for name in names if name.casefold().startswith(word)}
    return start, [name + suffix for name in sorted(pool, key=str.casefold)]


class Composer(TextArea):
    """A multi-line entry box for chat lines and commands."""

    BINDINGS = [
        Binding("ctrl+j", "newline", "New line", show=False),
        Binding("tab", "complete", "Complete", show=False),
    ]

    def __init__(self, *, names: Callable[[], Iterable[str]],
                 commands: Callable[[], Iterable[str]], submit: Callable[[str], Outcome],
                 rooms: Callable[[], Iterable[str]] = tuple,
                 room_commands: Collection[str] = (), id: str | None = None) -> None:
        """``submit`` gets the box's text on Enter and says what became of it; ``names``,
        ``commands`` and ``rooms`` give what Tab completes, as things are now."""
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus",
                         compact=True, highlight_cursor_line=False, placeholder=PLACEHOLDER)
        self._submit = submit
        self._names = names
        self._commands = commands
        self._rooms = rooms
        self._room_commands = room_commands
        self._history: list[str] = []
        self._history_index = 0
        self._draft = ""
        self._completion: _Completion | None = None

    def on_mount(self) -> None:
        """Blink the cursor unless the app says not to (its ``blink_cursor``)."""
        self.cursor_blink = getattr(self.app, "blink_cursor", True)

    # -- sending and history ----------------------------------------------------------------

    async def _on_key(self, event: events.Key) -> None:
        """Apply ``event`` now, before the keys behind it: Enter, or the key's binding
        (the box's own, or the screen's and app's); printable keys go on to TextArea."""
        if event.key != "tab":
            self._completion = None
        if event.key == "enter":
            self._send()
        elif event.is_printable or not await self._run_binding(event.key):
            return
        event.stop()
        event.prevent_default()

    async def _run_binding(self, key: str) -> bool:
        """Run what ``key`` is bound to from here up, as the app would once the key had
        bubbled up to it; False if nothing takes it (it then bubbles as usual)."""
        active = self.screen.active_bindings.get(key)
        if active is None or active.binding.priority or not active.enabled:
            return False  # priority bindings ran before the key was forwarded here
        return await self.app.run_action(active.binding.action, active.node)

    async def caught_up(self) -> None:
        """Return once the keys given to the box so far have been applied (at most
        CATCH_UP_TIMEOUT later): a priority binding such as ctrl+q runs ahead of them."""
        done = asyncio.Event()
        if self.call_later(done.set):  # queued behind those keys
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), CATCH_UP_TIMEOUT)

    def _send(self) -> None:
        """Hand the text to the owner; empty the box, or select what it refused."""
        text = self.text
        outcome = self._submit(text)
        if outcome is Outcome.KEPT:
            self.select_all()
        else:
            self.remember(text.strip() if outcome is Outcome.TAKEN else "")

    def remember(self, text: str) -> None:
        """Add a sent line to the input history and clear the box."""
        if text and (not self._history or self._history[-1] != text):
            self._history.append(text)
            del self._history[:-MAX_HISTORY]
        self._history_index = len(self._history)
        self._draft = ""
        self.clear()

    def action_newline(self) -> None:
        """A new line where the cursor is, over the selection as typing does."""
        self.replace("\n", *self.selection, maintain_selection_offset=False)

    def action_cursor_up(self, select: bool = False) -> None:
        if select or self.cursor_location[0] > 0 or not self._history_index:
            super().action_cursor_up(select)
            return
        if self._history_index == len(self._history):
            self._draft = self.text
        self._history_index -= 1
        self._show(self._history[self._history_index])

    def action_cursor_down(self, select: bool = False) -> None:
        last_row = self.document.line_count - 1
        if select or self.cursor_location[0] < last_row or \
                self._history_index >= len(self._history):
            super().action_cursor_down(select)
            return
        self._history_index += 1
        at_draft = self._history_index == len(self._history)
        self._show(self._draft if at_draft else self._history[self._history_index])

    def _show(self, text: str) -> None:
        self.text = text
        self.move_cursor(self.document.end)

    # -- completion -------------------------------------------------------------------------

    def action_complete(self) -> None:
        """Complete the word before the cursor; Tab again cycles through the choices."""
        row, column = self.cursor_location
        if self._completion is None or self._completion.row != row:
            line = self.document[row][:column]
            start, choices = completions(line, row == 0, self._names(), self._commands(),
                                         self._rooms(), self._room_commands)
            if not choices:
                self.app.bell()
                return
            self._completion = _Completion(row, start, choices)
        else:
            self._completion.index = (self._completion.index + 1) % len(self._completion.choices)
        completion = self._completion
        choice = completion.choices[completion.index]
        self.replace(choice, (row, completion.start), self.cursor_location)
        self.move_cursor((row, completion.start + len(choice)))
