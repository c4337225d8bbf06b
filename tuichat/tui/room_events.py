"""What the rooms extension's updates mean on screen: rooms joined and left, topics, the
list of rooms, and the private conversations a message opens.

``RoomEvents`` keeps what only it needs: the rooms the user asked to join (shown when the
server says they are in) and every room name seen (Tab completes them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuichat.net.frames import CONSOLE
from tuichat.net.updates import RoomJoined, RoomParted, RoomsListed, TopicChanged
from tuichat.tui.conversations import Conversation
from tuichat.tui.log_entries import EntryKind, LogEntry
from tuichat.tui.message_entries import message_entry

if TYPE_CHECKING:
    from tuichat.tui.chat_screen import ChatScreen


class RoomEvents:
    """Applies the rooms extension's updates to one chat screen (on the UI thread)."""

    def __init__(self, chat: ChatScreen) -> None:
        self.chat = chat
        self.wanted: set[str] = set()
        """Rooms the user asked to join: each is shown when its ``room_joined`` comes."""
        self.known: set[str] = set()
        """Every room name seen (ours, ``/rooms``, whois): what Tab completes."""

    def ask_to_join(self, room: str) -> None:
        """The user asked for ``room``: show it once the server says we are in."""
        self.wanted.add(room)
        self.known.add(room)

    def joined(self, update: RoomJoined) -> None:
        """We are in a room (asked for, or again after a rejoin): its members, topic and
        history; shown at once if the user asked for it."""
        chat = self.chat
        self.known.add(update.room)
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
        if update.room in self.wanted:
            self.wanted.discard(update.room)
            chat.tell(f"You joined {update.room}. {self._topic_words(item)}", item=item)
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
        self.known.update(info.room for info in update.rooms)
        if not update.rooms:
            self.chat.tell("There are no rooms yet: /join #NAME makes one.")
            return
        lines = [f"{info.room} ({info.members} here)" + (f": {info.topic}" if info.topic
                                                          else "")
                 for info in update.rooms]
        count = f"{len(lines)} room{'s' if len(lines) != 1 else ''}"
        self.chat.tell(f"{count} (/join #NAME enters one):\n" + "\n".join(lines))

    def topic_words(self) -> str:
        """``/topic`` alone: the shown room's topic and who set it."""
        return self._topic_words(self.chat.view.conversations.current)

    @staticmethod
    def _topic_words(item: Conversation) -> str:
        if not item.topic:
            return f"{item.key} has no topic (/topic TEXT sets one)."
        by = f" (set by {item.topic_by})" if item.topic_by else ""
        return f"The topic of {item.key}: {item.topic}{by}"
