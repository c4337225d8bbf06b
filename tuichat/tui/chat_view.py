"""What the chat screen shows of its conversations: the log in view, its members, its
topic, the room list with each conversation's counts, and the status line.

``ChatView`` owns the conversations (``conversations``) and the widgets that show them
(the screen composes them and routes to it; ``FrameEvents`` and the commands call it).
It sees the screen as a ``ViewHost``. In the compact layout the room and its topic go in
the status line, so the topic line costs the log no row. The lines it adds in the
client's own voice (``tell``) count as refusals when they are errors:
``ChatScreen.run_line`` keeps a refused line in the entry box.
"""

from __future__ import annotations

from textual.containers import Vertical
from textual.strip import Strip
from textual.widgets import Static

from tuichat.net.rooms import DEFAULT_ROOM
from tuichat.tui.chat_search import ChatSearch
from tuichat.tui.compact_layout import auto_compact
from tuichat.tui.conversations import Conversation, Conversations
from tuichat.tui.log_entries import EntryKind, LogEntry
from tuichat.tui.message_log import MessageLog
from tuichat.tui.room_list import RoomList, RoomRow
from tuichat.tui.roster import Member
from tuichat.tui.status_line import Status
from tuichat.tui.user_list import UserList
from tuichat.tui.view_host import ViewHost


class ChatView:
    """The conversations of one chat screen, and how they are shown."""

    def __init__(self, chat: ViewHost) -> None:
        self.chat = chat
        self.status = Static(id="status", markup=False)
        self._status_line = ""
        """What the status line shows now."""
        self.topic_line = Static(id="topic", markup=False)
        self.room_list = RoomList(id="rooms")
        self.user_list = UserList(self._member_avatar, id="users")
        self.logs_box = Vertical(id="logs")
        """Where the logs are mounted, one shown at a time."""
        self.conversations = Conversations(self.logs_box, self._new_log)
        self.conversations.adopt(DEFAULT_ROOM, self._new_log())
        self.known_rooms: set[str] = set()
        """Every room name seen (ours, ``/rooms``, whois): what Tab completes."""
        self.search = ChatSearch(lambda: self.log, lambda text: self.tell(text))
        self.refusals = 0
        """Errors told so far."""
        self.unread = 0
        self.mentions = 0
        """Messages, and mentions of us, that came while the shown log was scrolled up."""
        self.rooms_open: bool | None = None
        """f4: the whole room list (True) or one row (False); None: by the layout."""

    def _new_log(self) -> MessageLog:
        """A message log with the screen's settings (and the shown log's filters)."""
        chat, settings = self.chat, self.chat.settings
        log = MessageLog(self._entry_avatar, me=chat.me, classes="log")
        log.markdown, log.emoji = settings.markdown, settings.emoji
        log.time_mode, log.compact = settings.timestamps, settings.compact
        if chat.ignored is not None:
            log.hidden = chat.ignored.keys
        if self.conversations:
            log.only_from = self.log.only_from
        return log

    # -- what there is -------------------------------------------------------------------

    @property
    def log(self) -> MessageLog:
        """The log shown."""
        return self.conversations.current.log

    @property
    def logs(self) -> list[MessageLog]:
        """Every conversation's log."""
        return [item.log for item in self.conversations]

    @property
    def current_room(self) -> str | None:
        """The room shown; None in a private conversation."""
        item = self.conversations.current
        return item.key if item.is_room else None

    def member(self, name: str) -> Member | None:
        """``name`` as any of our rooms knows them, or None."""
        return next((found for item in self.conversations.rooms
                     if (found := item.roster.get(name)) is not None), None)

    def all_names(self) -> list[str]:
        """Everyone in our rooms, and our private conversations' users (Tab completes)."""
        names = {name.casefold(): name for item in self.conversations
                 for name in (item.roster.names if item.is_room else [item.key])}
        return list(names.values())

    def room_names(self) -> list[str]:
        """Our rooms and the others seen (Tab completes them)."""
        return sorted({*self.known_rooms,
                       *(item.key for item in self.conversations.rooms)})

    # -- changing what is shown ------------------------------------------------------------

    def open_private(self, name: str) -> Conversation:
        """The private conversation with ``name``, opened if it was not."""
        member = self.member(name)
        item = self.conversations.open(member.name if member is not None else name)
        self.show_rooms()
        return item

    def show_conversation(self, item: Conversation) -> None:
        """Show ``item``: its log, members and topic; its counts are read."""
        old = self.log
        if self.conversations.show(item):
            self.search.stop(old)
            self.unread = self.mentions = 0
        self.redraw()

    def toggle_rooms(self) -> None:
        """f4: the whole room list, or one row."""
        self.rooms_open = self.room_list.collapsed
        self.show_rooms()

    def arrived(self, entry: LogEntry, item: Conversation, *, live: bool, mine: bool) -> None:
        """Add a chat entry to ``item``'s log; count it unless it is shown and followed,
        ring for a mention."""
        chat, log = self.chat, item.log
        if not live or mine or log.is_hidden(entry):
            log.add(entry)
            return
        mention = log.mentions_me(entry)
        if item is not self.conversations.current:
            if not item.unread:
                log.mark_unread()
            item.unread += 1
            item.mentions += mention
            self.show_rooms()
            self.show_status()
        elif not log.at_end or not chat.app.app_focus:
            if not self.unread:
                log.mark_unread()
            self.unread += 1
            self.mentions += mention
        if chat.settings.bell and (mention or entry.kind is EntryKind.PRIVATE):
            chat.app.bell()
        log.add(entry)

    def read_all(self) -> None:
        """The newest of the shown log is in view: nothing there is unread any more."""
        self.unread = self.mentions = 0
        self.show_status()

    def tell(self, text: str, *, error: bool = False, item: Conversation | None = None) -> None:
        """Say something in the client's own voice (never as Console, the server's), in
        ``item`` (the shown conversation by default)."""
        self.refusals += error
        kind = EntryKind.LOCAL_ERROR if error else EntryKind.LOCAL
        (item.log if item is not None else self.log).add(LogEntry(kind, text,
                                                                  self.chat.clock()))

    def room_event(self, text: str, item: Conversation | None = None) -> None:
        """Someone joined, left, renamed or went away: logged (in ``item``, the shown
        conversation by default) unless ``/quiet``."""
        if not self.chat.quiet:
            log = item.log if item is not None else self.log
            log.add(LogEntry(EntryKind.EVENT, text, self.chat.clock()))

    # -- drawing -----------------------------------------------------------------------------

    def redraw(self) -> None:
        """The user list, room list, topic and status line as things are now."""
        self.show_users()
        self.show_rooms()
        self.show_topic()
        self.show_status()

    def show_users(self) -> None:
        """The user list: the shown room's members (in private: the two of you)."""
        item = self.conversations.current
        if not item.is_room:
            names = (self.chat.me, item.key)
            item.roster.hold([self.member(name) or Member(name) for name in names])
        self.user_list.show(list(item.roster))

    @property
    def compact(self) -> bool:
        """True while the logs draw the compact layout (chosen, or by the terminal's size)."""
        choice = self.chat.settings.compact  # as the logs choose their layout
        return auto_compact(self.chat.app.size) if choice is None else choice

    def show_rooms(self) -> None:
        """The room list as things are now (one row in the compact layout, unless f4)."""
        if not self.chat.rooms_mode:
            return
        current = self.conversations.current
        rows = [RoomRow(item.key, item.unread, item.mentions, item is current)
                for item in self.conversations]
        collapsed = self.compact if self.rooms_open is None else not self.rooms_open
        self.room_list.show(rows, collapsed=collapsed)

    def show_topic(self) -> None:
        """The line above the log: the room shown and its topic. Not in the compact
        layout, where the status line says them (``show_status``)."""
        item = self.conversations.current
        if item.is_room:
            about = item.topic or "no topic (/topic TEXT sets one)"
        else:
            about = "private conversation (/part closes it)"
        self.topic_line.update(f"{item.key} · {about}")
        self.topic_line.display = self.chat.rooms_mode and not self.compact

    def show_status(self) -> None:
        """The status line as things are now (cut to its width)."""
        chat = self.chat
        me = self.member(chat.me)
        current = self.conversations.current
        others = [item for item in self.conversations if item is not current]
        hidden = chat.has_class("narrow") or chat.has_class("debugging")
        elsewhere = (sum(item.unread for item in others),
                     sum(item.mentions for item in others)) if hidden else (0, 0)
        place, topic = self._place() if chat.rooms_mode and self.compact else ("", "")
        status = Status(chat.me, chat.target.host, chat.state, chat.cause,
                        tls=bool(chat.tls_fingerprint), unread=self.unread,
                        mentions=self.mentions, search=self.search.term,
                        search_at=self.search.at, away=me is not None and bool(me.away),
                        focus=self.log.only_from is not None,
                        users=len(current.roster), admin=chat.admin,
                        elsewhere=elsewhere, place=place, topic=topic)
        line = status.line(self.status.content_region.width)
        if line != self._status_line:  # an update lays the whole screen out again
            self._status_line = line
            self.status.update(line)

    def _place(self) -> tuple[str, str]:
        """The conversation shown and its topic, as the status line says them in the
        compact layout (there is no topic line there)."""
        item = self.conversations.current
        if not item.is_room:
            return f"{item.key} (private)", ""
        return item.key, item.topic or ""

    def _entry_avatar(self, entry: LogEntry, columns: int) -> list[Strip]:
        return self.chat.book.strips(entry.sender, entry.avatar, columns)

    def _member_avatar(self, member: Member, columns: int) -> list[Strip]:
        return self.chat.book.strips(member.name, member.avatar, columns)
