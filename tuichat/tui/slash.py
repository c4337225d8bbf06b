"""What the entry box understands besides chat: client commands and the help text.

Admin lines (``admin -s`` ...) go to the server as typed; the server's table in
``tuichat.net.commands`` describes them, so ``/help`` and the palette read it too. The
table below feeds the parser, ``/help``, Tab completion and the command palette.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from tuichat.net.commands import ADMIN_COMMANDS
from tuichat.tui import slash_handlers as handlers
from tuichat.tui.log_markdown import SHRUG

if TYPE_CHECKING:
    from tuichat.tui.chat_screen import ChatScreen

SlashHandler: TypeAlias = Callable[["ChatScreen", "SlashCommand", str], None]
"""Runs a command on the chat screen, given its row and the text after its name."""


@dataclass(frozen=True, slots=True)
class SlashCommand:
    """A command typed as ``/name ARGS``: what it takes, what it does, how it is run.

    ``handler`` (in ``slash_handlers.py``) runs it. A command whose
    arguments are all optional (in brackets) or absent runs at once from the palette;
    the others are put in the entry box to finish.
    """

    name: str
    argument: str
    summary: str
    handler: SlashHandler

    @property
    def usage(self) -> str:
        """The command as a user types it, e.g. ``/msg NAME TEXT``."""
        return f"{self.name} {self.argument}".rstrip()

    def summary_for(self, me: str) -> str:
        """The summary with ``{me}`` (in examples) as the user's own name."""
        return self.summary.replace("{me}", me)

    @property
    def runs_at_once(self) -> bool:
        """True when the command needs no argument."""
        return not self.argument or self.argument.startswith("[")


SLASH_COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand("/msg", "NAME TEXT", "send TEXT privately to NAME", handlers.slash_msg),
    SlashCommand("/reply", "TEXT", "answer the last private message", handlers.slash_reply),
    SlashCommand("/me", "ACTION", "show yourself doing ACTION (/me waves: * {me} waves)",
                 handlers.slash_me),
    SlashCommand("/shrug", "[TEXT]", f"say TEXT {SHRUG}", handlers.slash_shrug),
    SlashCommand("/slap", "[NAME]", "slap NAME around a bit with a large trout",
                 handlers.slash_slap),
    SlashCommand("/nick", "NAME", "rename yourself; everyone sees the change",
                 handlers.slash_nick),
    SlashCommand("/away", "[TEXT]", "mark yourself away (again, or /back: here again)",
                 handlers.slash_away),
    SlashCommand("/back", "", "you are here again", handlers.slash_back),
    SlashCommand("/whois", "NAME", "who NAME is: away text, admin, here since, picture",
                 handlers.slash_whois),
    SlashCommand("/names", "", "list who is here", handlers.slash_names),
    SlashCommand("/ignore", "[NAME]", "hide NAME's messages on this server (alone: list)",
                 handlers.slash_ignore),
    SlashCommand("/unignore", "NAME", "show NAME's messages again", handlers.slash_unignore),
    SlashCommand("/focus", "[NAME...|off]", "show only these users' messages (and yours)",
                 handlers.slash_focus),
    SlashCommand("/quiet", "", "hide or show joins, leaves and other room events",
                 handlers.slash_quiet),
    SlashCommand("/search", "[TEXT]", "highlight TEXT in the log (f3/shift+f3: next/previous; "
                 "alone: stop)", handlers.slash_search),
    SlashCommand("/timestamp", "[time|datetime|off]", "how message times are shown "
                 "(alone: the next choice)", handlers.slash_timestamp),
    SlashCommand("/markdown", "[on|off]", "render Markdown in messages (alone: toggle)",
                 handlers.slash_markdown),
    SlashCommand("/compact", "[on|off|auto]", "one row per line of text, with a small "
                 "picture (alone: toggle; auto: by the terminal's size)", handlers.slash_compact),
    SlashCommand("/theme", "[NAME]", "switch to Textual theme NAME (alone: list them)",
                 handlers.slash_theme),
    SlashCommand("/bell", "[on|off]", "ring the terminal bell when you are mentioned "
                 "(alone: toggle)", handlers.slash_bell),
    SlashCommand("/version", "", "this client's version and the server's",
                 handlers.slash_version),
    SlashCommand("/Debug", "", "show or hide the debug pane (client log and frames)",
                 handlers.slash_debug),
    SlashCommand("/help", "", "list commands and keys", handlers.slash_help),
    SlashCommand("/quit", "", "leave the chat (the others see you leave); also /exit",
                 handlers.slash_quit),
)

_ALIASES = {"/exit": "/quit"}
_BY_NAME = {command.name.casefold(): command for command in SLASH_COMMANDS}

KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "send"),
    ("ctrl+j", "new line in the entry box"),
    ("up / down", "earlier lines you sent"),
    ("tab", "complete a name or command (again: next choice)"),
    ("pageup / pagedown", "scroll the log (ctrl+end: back to the newest)"),
    ("ctrl+f", "search the log (f3 / shift+f3: next / previous match, escape: stop)"),
    ("f2", "debug pane"),
    ("ctrl+p", "command palette"),
    ("ctrl+r", "reconnect now (when disconnected); after a kick: the connect screen"),
    ("ctrl+q", "quit"),
)


def find_slash(line: str) -> tuple[SlashCommand, str] | None:
    """The client command ``line`` names (case-insensitive) and its arguments, or None."""
    words = line.split(maxsplit=1)
    if not words:
        return None
    name = words[0].casefold()
    command = _BY_NAME.get(_ALIASES.get(name, name))
    if command is None:
        return None
    return command, words[1].strip() if len(words) > 1 else ""


def completion_words() -> list[str]:
    """What Tab completes on the first line: client commands and admin commands."""
    slash = [command.name + (" " if command.argument else "") for command in SLASH_COMMANDS]
    admin = [command.usage if not command.argument else f"admin {command.flag} "
             for command in ADMIN_COMMANDS]
    return slash + admin


SLASH_TEXT = ("//TEXT", "say /TEXT: a line that starts with / (//tmp is full says /tmp is full)")
"""The one line starting with ``/`` that is not a command: its ``/help`` row."""


def help_sections(me: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The ``/help`` text: client commands, admin commands and keys, each a titled list of
    (what to type, what it does); ``me``, the user's name, stands in the examples."""
    return [
        ("Commands", [(command.usage, command.summary_for(me)) for command in SLASH_COMMANDS]
         + [SLASH_TEXT]),
        ("Admin commands (answered by the server)",
         [(command.usage, command.summary) for command in ADMIN_COMMANDS]),
        ("Keys", list(KEYS)),
    ]
