"""The client's one command table: what the entry box understands besides chat.

Each row (``slash_command.SlashCommand``) holds a command's name, its arguments, its
help, the server extension it needs, its aliases and its handler (shazow/ssh-chat's
``chat/command.go`` is the model). Dispatch (``find_slash`` and ``ChatScreen.run_line``),
``/help``, the command palette, Tab completion and the usage notices all read it, so
adding a command is one row here and one handler (in ``slash_handlers`` or
``room_commands``). A command whose extension the server lacks is left out of help,
palette and completion, and refused with one notice if typed. Admin lines
(``admin -s`` ...) go to the server as typed; the server's table in
``tuichat.net.commands`` describes them, and help and the palette read it too.
"""

from __future__ import annotations

from collections.abc import Iterator

from tuichat.net.commands import ADMIN_COMMANDS
from tuichat.net.session import ROOMS
from tuichat.tui import room_commands as rooms
from tuichat.tui import slash_handlers as handlers
from tuichat.tui.keys import help_rows
from tuichat.tui.log_markdown import SHRUG
from tuichat.tui.slash_command import Extensions, SlashCommand

Row = SlashCommand
SLASH_COMMANDS: tuple[SlashCommand, ...] = (
    Row("/join", "#ROOM", "enter #ROOM (made if it is new) and show it", rooms.slash_join,
        ROOMS),
    Row("/part", "[#ROOM]", "leave #ROOM (alone: the room shown); in a private "
        "conversation: close it", rooms.slash_part, ROOMS, ("/leave",)),
    Row("/rooms", "", "list the rooms, with their members and topics", rooms.slash_rooms,
        ROOMS),
    Row("/topic", "[TEXT|-]", "the room's topic (TEXT sets it, - clears it)",
        rooms.slash_topic, ROOMS),
    Row("/query", "NAME", "open a private conversation with NAME", rooms.slash_query, ROOMS),
    Row("/window", "N|NAME", "show the N-th of the room list, or the one named",
        rooms.slash_window, ROOMS, ("/win",)),
    Row("/msg", "NAME TEXT", "send TEXT privately to NAME", handlers.slash_msg, "private"),
    Row("/reply", "TEXT", "answer the last private message", handlers.slash_reply, "private"),
    Row("/me", "ACTION", "show yourself doing ACTION (/me waves: * {me} waves)",
        handlers.slash_me, "action"),
    Row("/shrug", "[TEXT]", f"say TEXT {SHRUG}", handlers.slash_shrug),
    Row("/slap", "[NAME]", "slap NAME around a bit with a large trout", handlers.slash_slap,
        "action"),
    Row("/nick", "NAME", "rename yourself; everyone sees the change", handlers.slash_nick,
        "rename"),
    Row("/away", "[TEXT]", "mark yourself away (again, or /back: here again)",
        handlers.slash_away, "away"),
    Row("/back", "", "you are here again", handlers.slash_back, "away"),
    Row("/whois", "NAME", "who NAME is: away text, admin, here since, picture",
        handlers.slash_whois, "whois"),
    Row("/names", "", "list who is here", handlers.slash_names),
    Row("/ignore", "[NAME]", "hide NAME's messages on this server (alone: list)",
        handlers.slash_ignore),
    Row("/unignore", "NAME", "show NAME's messages again", handlers.slash_unignore),
    Row("/focus", "[NAME...|off]", "show only these users' messages (and yours)",
        handlers.slash_focus),
    Row("/quiet", "", "hide or show joins, leaves and other room events",
        handlers.slash_quiet),
    Row("/search", "[TEXT]", "highlight TEXT in the log (f3/shift+f3: next/previous; "
        "alone: stop)", handlers.slash_search),
    Row("/timestamp", "[time|datetime|off]", "how message times are shown "
        "(alone: the next choice)", handlers.slash_timestamp),
    Row("/markdown", "[on|off]", "render Markdown in messages (alone: toggle)",
        handlers.slash_markdown),
    Row("/compact", "[on|off|auto]", "one row per line of text, with a small picture "
        "(alone: toggle; auto: by the terminal's size)", handlers.slash_compact),
    Row("/theme", "[NAME]", "switch to Textual theme NAME (alone: list them)",
        handlers.slash_theme),
    Row("/bell", "[on|off]", "ring the terminal bell when you are mentioned "
        "(alone: toggle)", handlers.slash_bell),
    Row("/version", "", "this client's version and the server's", handlers.slash_version),
    Row("/Debug", "", "show or hide the debug pane (client log and frames)",
        handlers.slash_debug),
    Row("/help", "", "list commands and keys", handlers.slash_help),
    Row("/quit", "", "leave the chat (the others see you leave); also /exit",
        handlers.slash_quit, aliases=("/exit",)),
)

_BY_NAME = {name.casefold(): command for command in SLASH_COMMANDS
            for name in (command.name, *command.aliases)}
ADMIN_AT_ONCE = frozenset({"-s", "-h"})
"""Admin commands the palette runs directly; the others are put in the entry box."""
SLASH_TEXT = ("//TEXT", "say /TEXT: a line that starts with / (//tmp is full says /tmp is full)")
"""The one line starting with ``/`` that is not a command: its ``/help`` row."""


def find_slash(line: str) -> tuple[SlashCommand, str] | None:
    """The client command ``line`` names (case-insensitive, aliases too) and its
    arguments, or None."""
    words = line.split(maxsplit=1)
    if not words:
        return None
    command = _BY_NAME.get(words[0].casefold())
    if command is None:
        return None
    return command, words[1].strip() if len(words) > 1 else ""


def completion_words(extensions: Extensions = None) -> list[str]:
    """What Tab completes on the first line: client commands and admin commands."""
    slash = [command.name + (" " if command.argument else "") for command in SLASH_COMMANDS
             if command.offered(extensions)]
    admin = [command.usage if not command.argument else f"admin {command.flag} "
             for command in ADMIN_COMMANDS]
    return slash + admin


def room_commands() -> frozenset[str]:
    """The names (aliases too, casefolded) of the commands whose argument is a room."""
    return frozenset(name.casefold() for command in SLASH_COMMANDS if command.takes_room
                     for name in (command.name, *command.aliases))


def palette(me: str, extensions: Extensions) -> Iterator[tuple[str, str, str, bool]]:
    """The palette's entries: (title, help, the line it stands for, run at once?)."""
    for command in SLASH_COMMANDS:
        if command.offered(extensions):
            yield (command.usage, command.summary_for(me),
                   command.name if command.runs_at_once else f"{command.name} ",
                   command.runs_at_once)
    for admin in ADMIN_COMMANDS:
        at_once = admin.flag in ADMIN_AT_ONCE
        line = admin.usage if at_once or not admin.argument else f"admin {admin.flag} "
        yield admin.usage, admin.summary, line, at_once


def help_sections(me: str, extensions: Extensions = None,
                  ) -> list[tuple[str, list[tuple[str, str]]]]:
    """The ``/help`` text: client commands, admin commands and keys, each a titled list of
    (what to type, what it does); ``me``, the user's name, stands in the examples."""
    rooms_too = extensions is None or ROOMS in extensions
    return [
        ("Commands", [(command.usage, command.summary_for(me)) for command in SLASH_COMMANDS
                      if command.offered(extensions)] + [SLASH_TEXT]),
        ("Admin commands (answered by the server)",
         [(command.usage, command.summary) for command in ADMIN_COMMANDS]),
        ("Keys", help_rows(rooms_too)),
    ]
