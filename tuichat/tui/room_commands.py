"""What the room commands do: ``/join``, ``/part``, ``/rooms``, ``/topic``, ``/query`` and
``/window``, one handler per row of ``slash.py`` (all need the rooms extension).

As in ``slash_handlers``, a handler gets the chat screen, its row and the text after the
command's name, and says what it cannot do as an error, so the line stays to be mended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuichat.net.frames import text_problem
from tuichat.net.names import name_problem, normalize_name
from tuichat.net.rooms import normalize_room, room_problem
from tuichat.tui.wording import topic_words

if TYPE_CHECKING:
    from tuichat.tui.chat_host import ChatHost
    from tuichat.tui.slash_command import SlashCommand

MAX_TOPIC_CHARS = 300
"""Longest topic the server takes (one line, chat text rules)."""
CLEAR_TOPIC = "-"


def slash_join(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/join #ROOM``: enter a room (or show it, if we are in it)."""
    if not args or " " in args:
        chat.tell(command.usage_line(chat.me), error=True)
        return
    room = normalize_room(args)
    problem = room_problem(room)
    joined = chat.view.conversations.get(room)
    if problem is not None:
        chat.tell(f"Room not joined: {problem}.", error=True)
    elif joined is not None:
        chat.view.show_conversation(joined)
    elif chat.request(lambda conn: conn.join_room(room)):
        chat.joins.ask(room)


def slash_part(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/part [#ROOM]``: leave a room (the one shown); in a private conversation alone,
    close it."""
    shown = chat.view.conversations.current
    if not args and not shown.is_room:
        chat.view.conversations.close(shown)
        chat.view.show_conversation(chat.view.conversations.current)
        return
    room = normalize_room(args) if args else shown.key
    item = chat.view.conversations.get(room)
    if " " in args:
        chat.tell(command.usage_line(chat.me), error=True)
    elif item is None or not item.is_room:
        chat.tell(f"You are not in {room}.", error=True)
    elif len(chat.view.conversations.rooms) == 1:
        chat.tell(f"You cannot leave {room}: it is the only room you are in "
                  "(/join another first).", error=True)
    else:
        chat.request(lambda conn: conn.part_room(room))


def slash_rooms(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/rooms``: ask for every room; the answer is shown as it comes."""
    chat.request(lambda conn: conn.list_rooms())


def slash_topic(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/topic [TEXT|-]``: show the room's topic, set it, or clear it."""
    room = chat.view.current_room
    if room is None:
        chat.tell("A private conversation has no topic.", error=True)
        return
    if not args:
        chat.tell(topic_words(chat.view.conversations.current))
        return
    text = None if args == CLEAR_TOPIC else args
    problem = None if text is None else text_problem(text, limit=MAX_TOPIC_CHARS)
    if problem is None and text is not None and "\n" in text:
        problem = "the topic must be one line"
    if problem is not None:
        chat.tell(f"Topic not set: {problem}.", error=True)
    else:
        chat.request(lambda conn: conn.set_topic(room, text))


def slash_query(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/query NAME``: open (and show) the private conversation with NAME."""
    name = normalize_name(args)
    problem = name_problem(name) if args and " " not in args else f"usage: {command.usage}"
    if problem is not None:
        chat.tell(f"No conversation opened: {problem}.", error=True)
    elif chat.session.is_me(name):
        chat.tell("You cannot have a private conversation with yourself.", error=True)
    else:
        chat.view.show_conversation(chat.view.open_private(name))


def slash_window(chat: ChatHost, command: SlashCommand, args: str) -> None:
    """``/window N|NAME``: show the N-th conversation of the room list, or the one named."""
    if not args or " " in args:
        chat.tell(command.usage_line(chat.me), error=True)
        return
    item = chat.view.conversations.nth(int(args)) if args.isdigit() else \
        chat.view.conversations.get(normalize_room(args) if args.startswith("#") else args)
    if item is None:
        chat.tell(f"No conversation {args} in the room list.", error=True)
    else:
        chat.view.show_conversation(item)

