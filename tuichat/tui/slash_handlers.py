"""What each client command (``/name ARGS``) does: one handler per row of ``slash.py``
(the rooms' commands are in ``room_commands``).

A handler takes the chat screen, the command's row (for its usage line) and the text after
the command's name; the row's extension was checked before it runs. What it cannot do it
says in the log, as an error, so the line that asked stays in the entry box.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuichat.net.client import CLIENT_SOFTWARE
from tuichat.net.frames import PROTOCOL_VERSION
from tuichat.net.names import name_problem, normalize_name
from tuichat.net.tls import spaced
from tuichat.tui.compact_layout import layout_words
from tuichat.tui.log_markdown import SHRUG
from tuichat.tui.settings import THEMES, TIME_MODES

if TYPE_CHECKING:
    from tuichat.tui.chat_host import ChatHost
    from tuichat.tui.slash_command import SlashCommand

SWITCHES = {"on": True, "off": False}
TIME_WORDS = {"time": "Times are shown as hours and minutes.",
              "datetime": "Times are shown with the date.", "off": "Times are hidden."}


def slash_msg(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/msg NAME TEXT``: send TEXT to NAME alone."""
    name, _, text = args.partition(" ")
    if not name or not text.strip():
        chat.tell(command.usage_line(chat.me), error=True)
        return
    _private(chat, name, text.strip())


def slash_reply(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/reply TEXT``: answer whoever last wrote to us privately."""
    if not args:
        chat.tell(command.usage_line(chat.me), error=True)
    elif not chat.last_private:
        chat.tell("Nobody has sent you a private message yet: use /msg NAME TEXT.",
                  error=True)
    else:
        _private(chat, chat.last_private, args)


def _private(chat: ChatHost, name: str, text: str) -> None:
    """Send ``text`` privately to ``name``, if it may be sent; with rooms, the private
    conversation with ``name`` opens (its copy goes there)."""
    if not chat.sendable(text):
        return
    if chat.rooms_mode and name.casefold() != chat.me.casefold():
        chat.view.open_private(name)
    chat.request(lambda conn: conn.private(name, text))


def _action(chat: ChatHost, command: SlashCommand, text: str) -> None:
    """Send ``text`` as an action line to the room shown (not in a private one)."""
    room = chat.view.current_room
    if room is None and chat.rooms_mode:
        chat.tell(f"Not sent: {command.name} works in rooms; a private message cannot be "
                  "an action.", error=True)
    else:
        chat.request(lambda conn: conn.say(text, action=True, room=room))


def slash_me(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/me ACTION``: an action line (``* NAME waves``)."""
    if not args:
        chat.tell(f"Not sent: /me needs an action. Usage: {command.usage}", error=True)
    elif chat.sendable(args, command.usage):
        _action(chat, command, args)


def slash_shrug(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/shrug [TEXT]``: say TEXT with the shrug after it."""
    chat.say(f"{args} {SHRUG}".lstrip())


def slash_slap(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/slap [NAME]``: the trout, as an action line."""
    if " " in args:
        chat.tell(command.usage_line(chat.me), error=True)
    else:
        _action(chat, command, f"slaps {args or 'themself'} around a bit with a large trout")


def slash_nick(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/nick NAME``: ask the server for a new name."""
    name = normalize_name(args)
    problem = name_problem(name) if args else f"usage: {command.usage}"
    if problem is not None:
        chat.tell(f"Name not changed: {problem}.", error=True)
    else:
        chat.request(lambda conn: conn.nick(name))


def slash_away(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/away [TEXT]``: mark us away; alone, while away: back again."""
    if not args and chat.session.away:
        slash_back(chat, command, "")
    else:
        chat.request(lambda conn: conn.away(args or "away"))


def slash_back(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/back``: we are here again."""
    chat.request(lambda conn: conn.away(None))


def slash_whois(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/whois NAME``: ask the server who NAME is."""
    if not args or " " in args:
        chat.tell(command.usage_line(chat.me), error=True)
    else:
        chat.request(lambda conn: conn.whois(args))


def slash_names(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/names``: list who is here (in the room shown), admins and away texts included."""
    members = sorted(chat.roster, key=lambda member: member.name.casefold())
    described = [member.name + (" (admin)" if member.admin else "")
                 + (f" (away: {member.away})" if member.away else "") for member in members]
    count = f"{len(members)} here" if len(members) != 1 else "1 here"
    chat.tell(f"{count}: {', '.join(described)}")


def slash_ignore(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/ignore [NAME]``: hide NAME on this server; alone: list the ignored."""
    if chat.ignored is None:
        chat.tell("Ignoring is not available here.", error=True)
    elif not args:
        names = chat.ignored.names
        chat.tell(f"Ignored on this server: {', '.join(names)} (/unignore NAME)" if names
                  else "You ignore nobody on this server.")
    elif args.casefold() == chat.me.casefold():
        chat.tell("You cannot ignore yourself.", error=True)
    elif (problem := name_problem(normalize_name(args))) is not None:
        chat.tell(f"No one can be called {args!r}: {problem}.", error=True)
    elif not chat.ignored.add(args):
        chat.tell(f"You already ignore {args}.", error=True)
    else:
        for log in chat.view.logs:
            log.hidden = chat.ignored.keys
        here = "" if chat.view.member(args) else f" ({args} is not here now)"
        chat.tell(f"Ignoring {args} on this server{here}: their messages are hidden. "
                  f"/unignore {args} shows them again.")


def slash_focus(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/focus [NAME...|off]``: show only these users (and us); alone: say who."""
    log = chat.log_view
    names = args.split()
    if not names:
        chat.tell("Showing only the messages of " + ", ".join(sorted(log.only_from))
                  + " (and yours). /focus off shows everyone's again."
                  if log.only_from is not None else
                  "Showing everyone's messages. /focus NAME... shows only theirs.")
    elif args.casefold() in ("off", "$"):
        for each in chat.view.logs:
            each.only_from = None
        chat.tell("Showing everyone's messages again.")
    elif problems := [f"{name!r}: {problem}" for name in names
                      if (problem := name_problem(normalize_name(name))) is not None]:
        chat.tell(f"No one can be called {'; '.join(problems)}.", error=True)
    else:
        for each in chat.view.logs:
            each.only_from = frozenset(normalize_name(name) for name in names)
        away = [name for name in names if chat.view.member(name) is None]
        gone = f" ({', '.join(away)} not here now)" if away else ""
        chat.tell(f"Showing only the messages of {', '.join(names)}{gone} and yours: "
                  "/focus off shows everyone's again.")


def slash_unignore(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/unignore NAME``: show NAME's messages again."""
    if not args:
        chat.tell(command.usage_line(chat.me), error=True)
    elif chat.ignored is None or not chat.ignored.remove(args):
        chat.tell(f"You do not ignore {args}.", error=True)
    else:
        for log in chat.view.logs:
            log.hidden = chat.ignored.keys
        chat.tell(f"No longer ignoring {args}.")


def slash_search(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/search [TEXT]``: highlight TEXT in the log; alone: stop searching."""
    chat.view.search.start(args)


def slash_timestamp(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/timestamp [time|datetime|off]``: how times show; alone: the next."""
    mode = args.casefold()
    if not mode:
        mode = TIME_MODES[(TIME_MODES.index(chat.settings.timestamps) + 1) % len(TIME_MODES)]
    if mode not in TIME_MODES:
        chat.tell(command.usage_line(chat.me), error=True)
        return
    chat.settings.timestamps = mode
    for log in chat.view.logs:
        log.time_mode = mode
    chat.tell(TIME_WORDS[mode])


def slash_version(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/version``: this client, the server and its extensions, TLS."""
    server = (f"the server: {chat.server_software}, extensions: "
              f"{', '.join(sorted(chat.extensions)) or 'none'}"
              if chat.server_software else "not connected yet")
    tls = f" Over TLS; the server's certificate is {spaced(chat.tls_fingerprint)}." \
        if chat.tls_fingerprint and chat.state == "connected" else ""
    chat.tell(f"This is {CLIENT_SOFTWARE} (protocol {PROTOCOL_VERSION}); {server}.{tls}")


def slash_theme(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/theme [NAME]``: switch theme; alone: list them."""
    if not args:
        chat.tell(f"Themes: {', '.join(THEMES)}. Now: {chat.app.theme}. "
                  "ctrl+p then 'theme' previews them.")
    elif args.casefold() not in THEMES:
        chat.tell(f"No theme named {args!r}: /theme lists them.", error=True)
    else:
        chat.app.theme = args.casefold()
        chat.tell(f"Theme: {chat.app.theme}.")


def slash_markdown(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/markdown [on|off]``: render Markdown in messages or not."""
    value = _switch(chat, command, args, chat.settings.markdown)
    if value is not None:
        chat.settings.markdown = value
        for log in chat.view.logs:
            log.markdown = value
        chat.tell("Markdown in messages is rendered." if value
                  else "Messages are shown as typed (no Markdown).")


def slash_compact(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/compact [on|off|auto]``: the one-row layout, or by the terminal's size."""
    log = chat.log_view
    if args.casefold() == "auto":
        choice: bool | None = None
    elif (choice := _switch(chat, command, args, log.compacted)) is None:
        return
    chat.settings.compact = choice
    for each in chat.view.logs:
        each.compact = choice
    chat.view.redraw()  # the room list, and the topic line or the status line
    chat.tell(layout_words(choice, log.compacted))


def slash_bell(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/bell [on|off]``: ring for mentions and private messages or not."""
    value = _switch(chat, command, args, chat.settings.bell)
    if value is not None:
        chat.settings.bell = value
        chat.tell("The bell rings when you are mentioned or messaged privately."
                  if value else "The bell is off: it never rings.")


def slash_quiet(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/quiet``: hide or show room events (joins, leaves, renames, away)."""
    chat.quiet = not chat.quiet
    chat.tell("Joins, leaves and other room events are hidden (/quiet shows them)."
              if chat.quiet else "Room events are shown again.")


def slash_debug(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/Debug``: show or hide the debug pane."""
    chat.toggle_debug()


def slash_help(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/help``: the help screen."""
    chat.show_help()


def slash_quit(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/quit`` (or ``/exit``): leave the chat."""
    chat.action_quit()


def _switch(chat: ChatHost, command: SlashCommand, args: str, current: bool) -> bool | None:
    """``on``/``off``, or the opposite of ``current`` when no argument; None if wrong."""
    if not args:
        return not current
    value = SWITCHES.get(args.casefold())
    if value is None:
        chat.tell(command.usage_line(chat.me), error=True)
    return value


