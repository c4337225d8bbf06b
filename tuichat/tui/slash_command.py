"""One row of the client's command table (``slash.py``): a command typed as ``/name ARGS``.

The row type lives apart from the table so that the handlers it names
(``slash_handlers``, ``room_commands``) can take their own row without importing the
table that imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TypeAlias

from tuichat.tui.chat_host import ChatHost

SlashHandler: TypeAlias = Callable[[ChatHost, "SlashCommand", str], None]
"""Runs a command on the chat screen, given its row and the text after its name."""
Extensions: TypeAlias = Collection[str] | None
"""What the server speaks; None: not known yet (everything is offered)."""


@dataclass(frozen=True, slots=True)
class SlashCommand:
    """A command typed as ``/name ARGS``: what it takes, what it does, how it is run.

    A command whose arguments are all optional (in brackets) or absent runs at once from
    the palette; the others are put in the entry box to finish. An argument starting
    with ``#`` is a room, which Tab completes.
    """

    name: str
    argument: str
    summary: str
    handler: SlashHandler
    extension: str | None = None
    """The server extension the command needs, or None."""
    aliases: tuple[str, ...] = ()

    @property
    def usage(self) -> str:
        """The command as a user types it, e.g. ``/msg NAME TEXT``."""
        return f"{self.name} {self.argument}".rstrip()

    def summary_for(self, me: str) -> str:
        """The summary with ``{me}`` (in examples) as the user's own name."""
        return self.summary.replace("{me}", me)

    def usage_line(self, me: str) -> str:
        """The usage notice of a command typed wrong: how it is typed, what it does."""
        return f"Usage: {self.usage} ({self.summary_for(me)})"

    @property
    def runs_at_once(self) -> bool:
        """True when the command needs no argument."""
        return not self.argument or self.argument.startswith("[")

    @property
    def takes_room(self) -> bool:
        """True when the first argument is a room name."""
        return self.argument.lstrip("[").startswith("#")

    def offered(self, extensions: Extensions) -> bool:
        """True when the server speaks what the command needs (or that is not known)."""
        return self.extension is None or extensions is None or self.extension in extensions
