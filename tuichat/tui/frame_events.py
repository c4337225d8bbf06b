"""What the link reports, shown: the server's updates, joins, losses, pictures.

``FrameEvents`` turns each ``LinkEvent`` into log entries, roster changes, the banner and
the chat screen's state, each in the conversation it is about: a room's message in its
room, a private message in its private conversation (with the rooms extension), a
notice or an error where the user is. The rooms extension's own updates are
``RoomEvents``' (``room_events``). Updates come typed (``tuichat.net.updates``), already
read by the session: a message seen before never arrives twice.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tuichat.net.frames import CONSOLE
from tuichat.net.updates import (
    AvatarChanged,
    ChatMessage,
    ErrorReport,
    HistoryBatch,
    Notice,
    PrivateMessage,
    RoomJoined,
    RoomParted,
    RoomsListed,
    Shutdown,
    TopicChanged,
    Update,
    UserChanged,
    UserJoined,
    UserLeft,
    WhoisAnswer,
)
from tuichat.tui.conversations import Conversation
from tuichat.tui.link import (
    ENDING_CODES,
    AvatarFetched,
    AvatarRefused,
    FrameIn,
    Joined,
    LinkEvent,
    Lost,
    Refused,
    Retrying,
)
from tuichat.tui.log_entries import EntryKind, LogEntry
from tuichat.tui.message_entries import message_entry, private_entry
from tuichat.tui.room_events import RoomEvents
from tuichat.tui.wording import ago, delay_words, leave_words

if TYPE_CHECKING:
    from tuichat.tui.chat_host import ChatHost


class FrameEvents:
    """Applies the link's events to one chat screen (on the UI thread)."""

    def __init__(self, chat: ChatHost) -> None:
        self.chat = chat
        self.rooms = RoomEvents(chat)
        self._shutdown_text = ""
        """What the server said as it shut down; empty while it has not."""

    def apply(self, event: LinkEvent) -> None:
        """Show what one event from the link means."""
        chat = self.chat
        if isinstance(event, FrameIn):
            if event.update is not None:
                self._update(event.update)
        elif isinstance(event, Joined):
            self._joined(event)
        elif isinstance(event, Lost):
            chat.book.forget_requests()
            chat.state = "reconnecting"
            chat.cause = f"the server shut down ({self._shutdown_text.rstrip('.')})" \
                if self._shutdown_text else f"connection lost ({event.reason.rstrip('.')})"
            chat.tell(f"{chat.cause[0].upper()}{chat.cause[1:]}. Reconnecting…")
            chat.show_banner(f"Disconnected: {chat.cause}. Reconnecting in "
                             f"{delay_words(event.retry_in)} (ctrl+r: now, ctrl+q: quit). "
                             "Your unsent text is kept.")
        elif isinstance(event, Retrying):
            chat.show_banner(f"Disconnected: {chat.cause}. Try {event.attempt} failed "
                             f"({event.reason}); next in {delay_words(event.retry_in)} "
                             "(ctrl+r: now, ctrl+q: quit).")
        elif isinstance(event, Refused):
            chat.end_for_good(event)
        elif isinstance(event, AvatarFetched):
            for log in chat.view.logs:
                log.refresh_avatars()
            chat.view.show_users()
        elif isinstance(event, AvatarRefused):
            chat.tell(f"Your picture was refused: {event.reason}", error=True)

    def _joined(self, event: Joined) -> None:
        """A session began (first or again): the default room's members, topic and history."""
        chat = self.chat
        welcome, rejoined = event.welcome, event.rejoined
        chat.tls_fingerprint = event.tls_fingerprint
        chat.server_software = f"{welcome.server or 'unknown'}, protocol {welcome.version}"
        chat.book.console_avatar = welcome.console_avatar
        chat.joins.forget()  # asked on the connection lost: answered there or never
        lobby = self._default_room(welcome.room, rejoined)
        fresh = [message_entry(message) for message in welcome.history]
        if lobby is not None:
            lobby.roster.reset(welcome.users)
            lobby.topic = welcome.topic
            if welcome.history_replaced:
                lobby.log.reset(fresh)
            else:
                lobby.log.extend(fresh)
        chat.state = "connected"
        self._shutdown_text = ""
        chat.hide_banner()
        chat.welcomed()
        if rejoined and welcome.history_replaced:
            chat.tell(f"Reconnected to {chat.target.host}; its history is not the one "
                      "shown before (it was lost or replaced), so it is shown anew.",
                      error=True)
        elif rejoined:
            missed = f"{len(fresh)} new message{'s' if len(fresh) != 1 else ''}"
            chat.tell(f"Reconnected to {chat.target.host}; {missed} since.")
            if welcome.history_truncated:
                chat.tell("Some messages from while you were away are not shown "
                          "(more than the server replays).", error=True)
            if event.was_admin:
                self._admin_again(event.admin_asked)
        else:
            # Two rows even in the compact layout at 80x24: the key bar shows the keys
            # that switch rooms, and /help the commands that join them.
            where, help_too = (f" in {welcome.room}", ", keys and rooms") if chat.rooms_mode \
                else ("", " and keys")
            chat.tell(f"Joined {chat.target.host} as {chat.me}{where}. "
                      f"Type to chat; /help or F1 for commands{help_too}.")

    def _default_room(self, room: str, rejoined: bool) -> Conversation | None:
        """The default room's conversation; None when we had left it (we leave again)."""
        chat = self.chat
        conversations = chat.view.conversations
        if not rejoined:
            conversations.current.key = room  # the first one, named by the server now
            return conversations.current
        if chat.session.parted_default:
            return None
        return conversations.open(room)

    def _admin_again(self, asked: bool) -> None:
        """After a rejoin as an admin: say whether the rights came back, and if not, why."""
        chat = self.chat
        if chat.admin:
            chat.tell("Admin rights restored.")
        elif asked:
            chat.tell("Admin rights dropped: the server did not accept the admin password "
                      "again (its reason follows). admin -a PASSWORD tries again.", error=True)
        else:
            chat.tell("Admin rights dropped: the new session started without them. "
                      "admin -a PASSWORD gives them back.", error=True)

    def _update(self, update: Update) -> None:
        """Show what an update from the server means, where it belongs."""
        chat = self.chat
        conversations = chat.view.conversations
        if isinstance(update, ChatMessage):
            item = conversations.get(update.room)
            if item is not None:
                mine = update.ref is not None or chat.session.is_me(update.sender)
                chat.view.arrived(message_entry(update), item, live=not update.replay, mine=mine)
        elif isinstance(update, PrivateMessage):
            self._private(update)
        elif isinstance(update, WhoisAnswer):
            self._whois(update)
        elif isinstance(update, Notice):
            kind = EntryKind.MOTD if update.motd else \
                EntryKind.ERROR if update.error else EntryKind.NOTICE
            item = conversations.room_for(chat.session.default_room if update.motd
                                          else update.room)
            item.log.add(LogEntry(kind, update.text, chat.clock(), sender=CONSOLE))
            if update.error:
                chat.joins.refused(update.text)  # a refused join waits no more
        elif isinstance(update, ErrorReport) and update.code != "not_found":
            text = update.text if update.code in ENDING_CODES \
                else f"{update.text} ({update.code})"
            chat.log_view.add(LogEntry(EntryKind.ERROR, text, chat.clock(), sender=CONSOLE))
        elif isinstance(update, HistoryBatch):
            self._history(update)
        elif isinstance(update, Shutdown):
            self._shutdown_text = update.text or "no reason given"
            chat.log_view.add(LogEntry(EntryKind.NOTICE, self._shutdown_text, chat.clock(),
                                       sender=CONSOLE))
        elif isinstance(update, UserJoined | UserLeft):
            self._presence(update)
        elif isinstance(update, UserChanged | AvatarChanged):
            self._changed(update)
        elif isinstance(update, RoomJoined):
            self.rooms.joined(update)
        elif isinstance(update, RoomParted):
            self.rooms.parted(update)
        elif isinstance(update, TopicChanged):
            self.rooms.topic(update)
        elif isinstance(update, RoomsListed):
            self.rooms.listed(update)

    def _private(self, update: PrivateMessage) -> None:
        """A private message: in its own conversation with the rooms extension, else in
        the log shown, as ever."""
        chat = self.chat
        entry = private_entry(update)
        mine = update.ref is not None or chat.session.is_me(update.sender)
        hidden = chat.log_view.is_hidden(entry)  # ignored, or not in focus
        if not mine and not hidden:
            chat.last_private = update.sender
        item = chat.view.conversations.current
        if chat.rooms_mode and not hidden:
            item = chat.view.open_private(update.to if mine else update.sender)
        chat.view.arrived(entry, item, live=True, mine=mine)

    def _history(self, update: HistoryBatch) -> None:
        """More history from the server, or (``reset``) a history that replaces ours."""
        chat = self.chat
        item = chat.view.conversations.get(update.room)
        if item is None:
            return
        entries = [message_entry(message) for message in update.messages]
        if update.reset:
            item.log.reset(entries)
            chat.tell(f"The server replaced the history ({len(entries)} messages).", item=item)
        else:
            item.log.extend(entries)

    def _presence(self, update: UserJoined | UserLeft) -> None:
        """Someone joined, left, parted or renamed in a room: its roster and its log."""
        chat = self.chat
        item = chat.view.conversations.get(update.room)
        member = item.roster.apply(update) if item is not None else None
        if item is None or member is None:
            return
        if isinstance(update, UserJoined) and update.renamed_from is not None:
            self._renamed(update.renamed_from, member.name, item)
        elif isinstance(update, UserJoined) and not update.present:
            chat.view.room_event(f"{member.name} joined", item)
        elif isinstance(update, UserLeft) and update.renamed_to is None:
            chat.view.room_event(f"{member.name} {leave_words(update)}", item)
        chat.view.show_users()

    def _changed(self, update: UserChanged | AvatarChanged) -> None:
        """Someone's picture, rights or away state changed: in every room they are in."""
        chat = self.chat
        for item in chat.view.conversations.rooms:
            before = item.roster.get(update.name if isinstance(update, AvatarChanged)
                                     else update.user.name)
            was_away = before.away if before is not None else None
            member = item.roster.apply(update)
            if isinstance(update, UserChanged) and member is not None \
                    and member.away != was_away:
                chat.view.room_event(f"{member.name} is away: {member.away}" if member.away
                                else f"{member.name} is back", item)
        chat.view.show_users()

    def _renamed(self, old: str, new: str, item: Conversation) -> None:
        """Someone (perhaps we) took a new name: follow them everywhere we keep names."""
        chat = self.chat
        if chat.session.is_me(new):
            chat.settings.name = new
            for log in chat.view.logs:
                log.me = new
            chat.welcomed()
            chat.tell(f"You are now known as {new}", item=item)
        else:
            chat.view.room_event(f"{old} is now known as {new}", item)
        if chat.last_private.casefold() == old.casefold():
            chat.last_private = new
        private = chat.view.conversations.get(old)
        if private is not None and not private.is_room:
            private.key = new
            chat.view.show_rooms()
        if chat.ignored is not None and old in chat.ignored:
            chat.ignored.rename(old, new)
            for log in chat.view.logs:
                log.hidden = chat.ignored.keys
        focus = chat.log_view.only_from
        if focus is not None and old.casefold() in focus:  # what they wrote as old stays
            for log in chat.view.logs:
                log.only_from = focus | {new}

    def _whois(self, update: WhoisAnswer) -> None:
        """Show a ``whois`` answer under the user's own picture."""
        chat = self.chat
        user = update.user
        chat.view.known_rooms.update(update.rooms)
        lines = ["an admin" if user.admin else "not an admin"]
        lines.append(f"away: {user.away}" if user.away else "here (not away)")
        if update.joined is not None:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(update.joined))
            lines.append(f"here since {when} ({ago(chat.clock() - update.joined)})")
        if update.rooms:
            lines.append(f"in {', '.join(update.rooms)}")
        if update.address is not None:
            lines.append(f"address: {update.address} (shown to admins only)")
        chat.log_view.add(LogEntry(EntryKind.PROFILE, "\n".join(lines), chat.clock(),
                                   sender=user.name, avatar=user.avatar))
