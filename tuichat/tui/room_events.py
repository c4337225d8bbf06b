"""What the rooms extension's updates mean on screen: rooms joined and left, topics, the
list of rooms.

A room the user asked for (``ChatHost.joins``) is shown when the server says we are in
it; one the server put us in again (a rejoin) stays where it is in the room list. Every
room name seen goes to the view's ``known_rooms``, which Tab completes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuichat.net.frames import CONSOLE
from tuichat.net.updates import RoomJoined, RoomParted, RoomsListed, TopicChanged
from tuichat.tui.log_entries import EntryKind, LogEntry
from tuichat.tui.message_entries import message_entry
from tuichat.tui.wording import topic_words

if TYPE_CHECKING:
    from tuichat.tui.chat_host import ChatHost


class RoomEvents:
    """Applies the rooms extension's updates to one chat screen (on the UI thread)."""

    def __init__(self, chat: ChatHost) -> None:
        self.chat = chat

    def joined(self, update: RoomJoined) -> None:
        """We are in a room (asked for, or again after a rejoin): its members, topic and
        history; shown at once if the user asked for it."""
        chat = self.chat
        chat.view.known_rooms.add(update.room)
        item = chat.view.conversations.open(update.room)
        item.roster.reset(update.users)
        item.topic, item.topic_by = update.topic, None
        entries = [message_entry(message) for message in update.history]
        if update.history_replaced:
            item.log.reset(entries)
            chat.tell(f"The history of {update.room} is not the one shown before (it was "
                      "lost or replaced), so it is shown anew.", error=True, item=item)
        else:
            item.log.extend(entries)
        if update.motd:
            item.log.add(LogEntry(EntryKind.MOTD, update.motd, chat.clock(), sender=CONSOLE,
                                  avatar=chat.book.console_avatar))
        if update.history_truncated:
            chat.tell("Some earlier messages of this room are not shown (more than the "
                      "server replays).", item=item)
        if chat.joins.joined(update.room):
            chat.tell(f"You joined {update.room}. {topic_words(item)}", item=item)
            chat.view.show_conversation(item)
        chat.view.show_rooms()

    def parted(self, update: RoomParted) -> None:
        """We left a room: its log goes, and a neighbour is shown if it was."""
        chat = self.chat
        item = chat.view.conversations.get(update.room)
        if item is None:
            return
        was_shown = item is chat.view.conversations.current
        chat.view.conversations.close(item)
        if was_shown:
            chat.view.show_conversation(chat.view.conversations.current)
        chat.tell(f"You left {update.room}.")
        chat.view.show_rooms()

    def topic(self, update: TopicChanged) -> None:
        """A room's topic changed: keep it, say who changed it, show it if shown."""
        chat = self.chat
        item = chat.view.conversations.get(update.room)
        if item is None:
            return
        item.topic, item.topic_by = update.text, update.by
        who = update.by or "someone"
        chat.view.room_event(f"{who} set the topic: {update.text}" if update.text
                             else f"{who} cleared the topic", item)
        chat.view.show_topic()

    def listed(self, update: RoomsListed) -> None:
        """The answer to ``/rooms``: every room with its members and topic, as our line."""
        self.chat.view.known_rooms.update(info.room for info in update.rooms)
        if not update.rooms:
            self.chat.tell("There are no rooms yet: /join #NAME makes one.")
            return
        lines = [f"{info.room} ({info.members} here)" + (f": {info.topic}" if info.topic
                                                          else "")
                 for info in update.rooms]
        count = f"{len(lines)} room{'s' if len(lines) != 1 else ''}"
        self.chat.tell(f"{count} (/join #NAME enters one):\n" + "\n".join(lines))
