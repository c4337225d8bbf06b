"""What the entry box understands besides chat: client commands and the help text.

Admin lines (``admin -s`` ...) go to the server as typed; the server's table in
``tuichat.net.commands`` describes them, so ``/help`` and the palette read it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from tuichat.net.commands import ADMIN_COMMANDS


@dataclass(frozen=True, slots=True)
class SlashCommand:
    """A command the client runs itself: its name, the action it runs, and what it does."""

    name: str
    action: str
    summary: str


SLASH_COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand("/Debug", "toggle_debug", "show or hide the debug pane (client log and frames)"),
    SlashCommand("/help", "help", "list commands and keys"),
    SlashCommand("/quit", "quit", "leave the chat (the others see you leave)"),
)

_BY_NAME = {command.name.casefold(): command for command in SLASH_COMMANDS}

KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "send"),
    ("ctrl+j", "new line in the entry box"),
    ("up / down", "earlier lines you sent"),
    ("tab", "complete a name or command (again: next choice)"),
    ("pageup / pagedown", "scroll the log (end: back to the newest)"),
    ("f2", "debug pane"),
    ("ctrl+p", "command palette"),
    ("ctrl+r", "reconnect now (when disconnected)"),
    ("ctrl+q", "quit"),
)


def find_slash(line: str) -> SlashCommand | None:
    """The client command ``line`` names (case-insensitive), or None."""
    words = line.split(maxsplit=1)
    return _BY_NAME.get(words[0].casefold()) if words else None


def completion_words() -> list[str]:
    """What Tab completes on the first line: client commands and admin commands."""
    admin = [command.usage if not command.argument else f"admin {command.flag} "
             for command in ADMIN_COMMANDS]
    return [command.name for command in SLASH_COMMANDS] + admin


def help_text() -> str:
    """The ``/help`` text: client commands, admin commands, keys."""
    lines = ["Commands:"]
    lines += [f"  {command.name:<18} {command.summary}" for command in SLASH_COMMANDS]
    lines.append("Admin commands (answered by the server):")
    lines += [f"  {command.usage:<18} {command.summary}" for command in ADMIN_COMMANDS]
    lines.append("Keys:")
    lines += [f"  {key:<18} {what}" for key, what in KEYS]
    return "\n".join(lines)
