"""What the link reports, shown: the server's frames, joins, losses, pictures.

``FrameEvents`` turns each ``LinkEvent`` into log entries, roster changes, the banner and
the chat screen's state; it keeps what only it needs (the newest ``seq`` seen, the
server's shutdown words, our away text to say again after a reconnect).
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

from tuichat.net.client import ConnectionClosed
from tuichat.net.frames import CONSOLE, Frame, FrameType
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
from tuichat.tui.user_list import UserList
from tuichat.tui.wording import ago, delay_words, leave_words

if TYPE_CHECKING:
    from tuichat.tui.chat_screen import ChatScreen


def message_entry(frame: Frame) -> LogEntry | None:
    """A log entry for a ``message`` frame, or None if the frame is malformed."""
    seq, ts, sender, text = (frame.get(key) for key in ("seq", "ts", "from", "text"))
    if not (isinstance(sender, str) and isinstance(text, str)):
        return None
    avatar = frame.get("avatar")
    kind = EntryKind.ACTION if frame.get("action") is True else EntryKind.MESSAGE
    return LogEntry(kind, text, float(ts) if isinstance(ts, int | float) else 0.0,
                    sender=sender, avatar=avatar if isinstance(avatar, str) else None,
                    seq=seq if isinstance(seq, int) else None)


def private_entry(frame: Frame) -> LogEntry | None:
    """A log entry for a ``private`` frame, or None if the frame is malformed."""
    sender, to, text, ts = (frame.get(key) for key in ("from", "to", "text", "ts"))
    if not (isinstance(sender, str) and isinstance(to, str) and isinstance(text, str)):
        return None
    avatar = frame.get("avatar")
    return LogEntry(EntryKind.PRIVATE, text, float(ts) if isinstance(ts, int | float) else 0.0,
                    sender=sender, avatar=avatar if isinstance(avatar, str) else None, peer=to)


class FrameEvents:
    """Applies the link's events to one chat screen (on the UI thread)."""

    def __init__(self, chat: ChatScreen) -> None:
        self.chat = chat
        self._last_seq = 0
        """The newest message ``seq`` shown: a reconnect's replay skips up to it."""
        self._shutdown_text = ""
        """What the server said as it shut down; empty while it has not."""
        self._away: str | None = None
        """Our away text, said again after a reconnect."""

    def apply(self, event: LinkEvent) -> None:
        """Show what one event from the link means."""
        chat = self.chat
        if isinstance(event, FrameIn):
            self._frame(event.frame)
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
            chat.log_view.refresh_avatars()
            chat.show_users()
        elif isinstance(event, AvatarRefused):
            chat.tell(f"Your picture was refused: {event.reason}", error=True)

    def _joined(self, event: Joined) -> None:
        """A session began (first or again): take the welcome's name, rights and history."""
        chat = self.chat
        welcome, rejoined, was_admin = event.welcome, event.rejoined, chat.admin
        replaced = event.history_replaced
        chat.me = str(welcome.get("name", chat.me))
        chat.admin = welcome.get("admin") is True
        chat.tls_fingerprint = event.tls_fingerprint
        extensions = welcome.get("extensions")
        chat.extensions = frozenset(name for name in extensions if isinstance(name, str)) \
            if isinstance(extensions, list) else frozenset()
        software, version = welcome.get("server"), welcome.get("version")
        chat.server_software = f"{software if isinstance(software, str) else 'unknown'}, " \
            f"protocol {version}"
        console = welcome.get("console_avatar")
        chat.book.console_avatar = console if isinstance(console, str) else None
        chat.roster.reset(welcome.get("users"))
        chat.log_view.me = chat.me
        chat.query_one(UserList).me = chat.me
        chat.show_users()
        history = welcome.get("history")
        entries = [entry for frame in (history if isinstance(history, list) else [])
                   if isinstance(frame, dict) and (entry := message_entry(frame)) is not None]
        if replaced:
            self._last_seq = 0  # the seqs seen before belong to the other history
            fresh = self._fresh(entries)
            chat.log_view.reset(fresh)
        else:
            fresh = self._fresh(entries)
            chat.log_view.extend(fresh)
        chat.state = "connected"
        self._shutdown_text = ""
        chat.query_one("#banner").display = False
        if rejoined and replaced:
            self._still_away()
            chat.tell(f"Reconnected to {chat.target.host}; its history is not the one "
                      "shown before (it was lost or replaced), so it is shown anew.",
                      error=True)
        elif rejoined:
            self._still_away()
            missed = f"{len(fresh)} new message{'s' if len(fresh) != 1 else ''}"
            chat.tell(f"Reconnected to {chat.target.host}; {missed} since.")
            if welcome.get("history_truncated"):
                chat.tell("Some messages from while you were away are not shown "
                          "(more than the server replays).", error=True)
            if was_admin:
                self._admin_again(event.admin_asked)
        else:
            chat.tell(f"Joined {chat.target.host} as {chat.me}. "
                      "Type to chat; /help or F1 for commands and keys.")

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

    def _still_away(self) -> None:
        """A new session starts "here": tell the server again that we are away."""
        if self._away and "away" in self.chat.extensions:
            with contextlib.suppress(ConnectionClosed):
                self.chat.connected_link().send({"type": "away", "text": self._away})

    def _fresh(self, entries: list[LogEntry]) -> list[LogEntry]:
        """The entries not shown yet (a reconnect may replay some); notes the newest seq."""
        fresh = [entry for entry in entries if entry.seq is None or entry.seq > self._last_seq]
        for entry in fresh:
            if entry.seq is not None:
                self._last_seq = max(self._last_seq, entry.seq)
        return fresh

    def _frame(self, frame: Frame) -> None:
        """Show what a frame from the server means."""
        chat = self.chat
        kind = frame.get("type")
        if kind == FrameType.MESSAGE:
            entry = message_entry(frame)
            if entry is not None:
                for fresh in self._fresh([entry]):
                    chat.arrived(fresh, live=frame.get("replay") is not True)
        elif kind == FrameType.PRIVATE:
            entry = private_entry(frame)
            if entry is not None:
                mine = entry.sender.casefold() == chat.me.casefold()
                if not mine and not chat.log_view.is_hidden(entry):  # ignored or not in focus
                    chat.last_private = entry.sender
                chat.arrived(entry, live=True)
        elif kind == FrameType.WHOIS:
            self._whois(frame)
        elif kind == FrameType.NOTICE:
            level = EntryKind.ERROR if frame.get("level") == "error" else EntryKind.NOTICE
            if frame.get("motd") is True:
                level = EntryKind.MOTD
            chat.log_view.add(LogEntry(level, str(frame.get("text", "")), chat.clock(),
                                       sender=CONSOLE))
        elif kind == FrameType.ERROR and frame.get("code") != "not_found":
            code = frame.get("code", "error")
            text = str(frame.get("text", ""))
            text = text if code in ENDING_CODES else f"{text} ({code})"
            chat.log_view.add(LogEntry(EntryKind.ERROR, text, chat.clock(), sender=CONSOLE))
        elif kind == FrameType.HISTORY:
            self._history(frame)
        elif kind == FrameType.SHUTDOWN:
            self._shutdown_text = str(frame.get("text", "")) or "no reason given"
            chat.log_view.add(LogEntry(EntryKind.NOTICE, self._shutdown_text, chat.clock(),
                                       sender=CONSOLE))
        elif kind in (FrameType.JOIN, FrameType.LEAVE, FrameType.AVATAR_CHANGED,
                      FrameType.USER_CHANGED):
            self._presence(frame)

    def _history(self, frame: Frame) -> None:
        """More history from the server, or (``reset``) a history that replaces ours."""
        chat = self.chat
        messages = frame.get("messages")
        entries = [entry for item in (messages if isinstance(messages, list) else [])
                   if isinstance(item, dict) and (entry := message_entry(item)) is not None]
        if frame.get("reset") is True:
            self._last_seq = 0
            chat.log_view.reset(self._fresh(entries))
            chat.tell(f"The server replaced the history ({len(entries)} messages).")
        else:
            chat.log_view.extend(self._fresh(entries))

    def _presence(self, frame: Frame) -> None:
        """Someone joined, left, renamed, went away or changed: the roster and the log."""
        chat = self.chat
        kind = frame.get("type")
        before = chat.roster.get(str(frame.get("name", "")))
        was_away = before.away if before is not None else None
        member = chat.roster.apply(frame)
        if member is None:
            return
        renamed_from = frame.get("renamed_from")
        if kind == FrameType.JOIN and isinstance(renamed_from, str):
            self._renamed(renamed_from, member.name)
        elif kind == FrameType.JOIN and frame.get("present") is not True:
            chat.room_event(f"{member.name} joined")
        elif kind == FrameType.LEAVE and not isinstance(frame.get("renamed_to"), str):
            chat.room_event(f"{member.name} {leave_words(frame)}")
        elif kind == FrameType.USER_CHANGED:
            if member.name == chat.me:
                chat.admin, self._away = member.admin, member.away
            if member.away != was_away:
                chat.room_event(f"{member.name} is away: {member.away}" if member.away
                                else f"{member.name} is back")
        chat.show_users()

    def _renamed(self, old: str, new: str) -> None:
        """Someone (perhaps we) took a new name: follow them everywhere we keep names."""
        chat = self.chat
        if old.casefold() == chat.me.casefold():
            chat.me = chat.settings.name = new
            chat.log_view.me = new
            chat.query_one(UserList).me = new
            chat.tell(f"You are now known as {new}")
        else:
            chat.room_event(f"{old} is now known as {new}")
        if chat.last_private.casefold() == old.casefold():
            chat.last_private = new
        if chat.ignored is not None and old in chat.ignored:
            chat.ignored.rename(old, new)
            chat.log_view.hidden = chat.ignored.keys
        focus = chat.log_view.only_from
        if focus is not None and old.casefold() in focus:  # what they wrote as old stays
            chat.log_view.only_from = focus | {new}

    def _whois(self, frame: Frame) -> None:
        """Show a ``whois`` answer under the user's own picture."""
        chat = self.chat
        name = str(frame.get("name", "?"))
        joined = frame.get("joined")
        lines = ["an admin" if frame.get("admin") is True else "not an admin"]
        away = frame.get("away")
        lines.append(f"away: {away}" if isinstance(away, str) and away else "here (not away)")
        if isinstance(joined, int | float) and not isinstance(joined, bool):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(joined))
            lines.append(f"here since {when} ({ago(chat.clock() - joined)})")
        address = frame.get("address")
        if isinstance(address, str):
            lines.append(f"address: {address} (shown to admins only)")
        avatar = frame.get("avatar")
        chat.log_view.add(LogEntry(EntryKind.PROFILE, "\n".join(lines), chat.clock(),
                                   sender=name, avatar=avatar if isinstance(avatar, str) else None))

