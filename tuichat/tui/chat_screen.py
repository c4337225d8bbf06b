"""The chat screen: status line, message log, user list, debug pane and entry box."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import Static, TextArea

from tuichat.net.client import CLIENT_SOFTWARE, ConnectionClosed
from tuichat.net.commands import admin_password, is_admin_line
from tuichat.net.frames import (
    CONSOLE,
    MAX_TEXT_CHARS,
    PROTOCOL_VERSION,
    Frame,
    FrameType,
    text_problem,
)
from tuichat.net.names import name_problem, normalize_name
from tuichat.net.tls import spaced
from tuichat.tui.avatar_book import AvatarBook
from tuichat.tui.compact_layout import layout_words
from tuichat.tui.composer import Composer, Outcome
from tuichat.tui.debug_pane import DebugPane, DebugRecord
from tuichat.tui.help_screen import HelpScreen
from tuichat.tui.ignore import IgnoreList
from tuichat.tui.key_bar import KeyBar
from tuichat.tui.link import (
    ENDING_CODES,
    AvatarFetched,
    AvatarRefused,
    ChatLink,
    FrameIn,
    Joined,
    LinkEvent,
    Lost,
    Refused,
    Retrying,
    Target,
)
from tuichat.tui.log_entries import EntryKind, LogEntry
from tuichat.tui.log_markdown import SHRUG
from tuichat.tui.message_log import MessageLog
from tuichat.tui.roster import Member, Roster
from tuichat.tui.settings import THEMES, TIME_MODES, Settings
from tuichat.tui.slash import SlashCommand, completion_words, find_slash
from tuichat.tui.user_list import UserList
from tuichat.tui.wording import ago, delay_words, end_words, leave_words

MAIN_KEYS = [("^q", "Quit"), ("f1", "Help"), ("f2", "Debug"), ("^p", "Commands"),
             ("pgup", "Scroll")]
END_KEYS = [("^r", "Join again"), ("^q", "Quit"), ("f1", "Help"), ("f2", "Debug"),
            ("pgup", "Scroll")]
"""The keys once the server has ended the session for good (a kick, a ban, a refusal)."""
NARROW_BELOW = 60
COUNTER_FROM = MAX_TEXT_CHARS - 500
"""The character counter appears when the entry holds more than this."""

SWITCHES = {"on": True, "off": False}
TIME_WORDS = {"time": "Times are shown as hours and minutes.",
              "datetime": "Times are shown with the date.", "off": "Times are hidden."}


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


class ChatScreen(Screen[None]):
    """One conversation with one server."""

    BINDINGS = [
        Binding("ctrl+r", "reconnect", "Reconnect", show=False),
        # Priority: the entry box (a TextArea) would take these keys for its cursor.
        Binding("pageup", "scroll_log(-1)", "Scroll up", show=False, priority=True),
        Binding("pagedown", "scroll_log(1)", "Scroll down", show=False, priority=True),
        Binding("ctrl+end", "follow", "Newest", show=False, priority=True),
        Binding("ctrl+f", "start_search", "Search", show=False),
        Binding("f3", "search_step(True)", "Previous match", show=False),
        # shift+f3 is f15 where the terminal says so (tmux, xterm: see terminal_keys.py).
        Binding("shift+f3,f15", "search_step(False)", "Next match", show=False),
        Binding("escape", "stop_search", "Stop searching", show=False),
    ]

    def __init__(self, target: Target, book: AvatarBook, link: Callable[[], ChatLink | None], *,
                 clock: Callable[[], float] = time.time,
                 debug_records: Callable[[], Iterable[DebugRecord]] = tuple,
                 settings: Settings | None = None, ignored: IgnoreList | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else Settings()
        """Display preferences; changed by /timestamp, /markdown, /bell (remembered at exit)."""
        self.ignored = ignored
        """Names ignored on this server; None: ignoring is not available (nowhere to keep it)."""
        self.extensions: frozenset[str] = frozenset()
        """What the server adds to the contract (from ``welcome``)."""
        self.server_software = ""
        """What the server said it runs, from its ``welcome``."""
        self.tls_fingerprint: str | None = None
        """The server certificate's fingerprint while the session is over TLS."""
        self._last_private = ""
        """Who last wrote to us privately: ``/reply`` answers them."""
        self._unread = 0
        self._mentions = 0
        """Messages, and mentions of us, that came while the log was scrolled up."""
        self._search = ""
        self._search_at: tuple[int, int] | None = None
        self._away: str | None = None
        """Our away text, said again after a reconnect."""
        self._quiet = False
        """``/quiet``: room events (joins, leaves, renames, away) are not logged."""
        self._refusals = 0
        """Errors shown so far: one shown while a line runs means the line was refused."""
        self.target = target
        self._link = link
        self.book = book
        self.clock = clock
        self.roster = Roster()
        self.me = target.name
        self.admin = False
        self.state = "connecting"
        self._last_seq = 0
        self._shutdown_text = ""
        self._cause = ""
        self._early: list[LinkEvent] | None = []
        """Events that came before the widgets existed (the link can be faster than
        composing the screen); applied in order on mount. None once mounted."""
        self._gone = False
        self._debug_records = debug_records
        """Everything the debug pane would show; the pane is built when first opened."""

    def compose(self) -> ComposeResult:
        yield Static(id="status", markup=False)
        yield Static(id="banner", markup=False)
        with Horizontal(id="body"):
            yield MessageLog(self._entry_avatar, me=self.me, id="log")
            yield UserList(self._member_avatar, id="users")
        with Horizontal(id="entry-row"):
            yield Composer(names=lambda: self.roster.names, commands=completion_words(),
                           submit=self.run_line, id="composer")
            yield Static(id="counter", markup=False)
        yield KeyBar(MAIN_KEYS, id="keys")

    def on_mount(self) -> None:
        log = self.log_view
        log.markdown = self.settings.markdown
        log.emoji = self.settings.emoji
        log.time_mode = self.settings.timestamps
        log.compact = self.settings.compact
        if self.ignored is not None:
            log.hidden = self.ignored.keys
        self.query_one("#banner").display = False
        self.query_one(Composer).focus()
        self.watch(self.app, "app_focus", self._terminal_focus, init=False)
        early, self._early = self._early or [], None
        for event in early:
            self.handle(event)
        self._update_status()

    def on_unmount(self) -> None:
        self._gone = True

    def on_resize(self, event: events.Resize) -> None:
        """Below 60 columns the user list gives its room to the log."""
        self.set_class(event.size.width < NARROW_BELOW, "narrow")

    @property
    def log_view(self) -> MessageLog:
        return self.query_one(MessageLog)

    # -- what the link tells us -------------------------------------------------------------

    def handle(self, event: LinkEvent) -> None:
        """Apply one event from the link (on the UI thread)."""
        if self._gone:
            return  # the app is closing: the link's last events have nowhere to go
        if self._early is not None:
            self._early.append(event)
            return
        try:
            self._apply(event)
        except NoMatches:  # torn down between two of the link's last events
            self._gone = True

    def _apply(self, event: LinkEvent) -> None:
        if isinstance(event, FrameIn):
            self.apply_frame(event.frame)
        elif isinstance(event, Joined):
            self._joined(event)
        elif isinstance(event, Lost):
            self.book.forget_requests()
            self.state = "reconnecting"
            self._cause = f"the server shut down ({self._shutdown_text.rstrip('.')})" \
                if self._shutdown_text else f"connection lost ({event.reason.rstrip('.')})"
            self._event(f"{self._cause[0].upper()}{self._cause[1:]}. Reconnecting…")
            self._banner(f"Disconnected: {self._cause}. Reconnecting in "
                         f"{delay_words(event.retry_in)} (ctrl+r: now, ctrl+q: quit). "
                         "Your unsent text is kept.")
        elif isinstance(event, Retrying):
            self._banner(f"Disconnected: {self._cause}. Try {event.attempt} failed "
                         f"({event.reason}); next in {delay_words(event.retry_in)} "
                         "(ctrl+r: now, ctrl+q: quit).")
        elif isinstance(event, Refused):
            self._ended(event)
        elif isinstance(event, AvatarFetched):
            self.log_view.refresh_avatars()
            self._show_users()
        elif isinstance(event, AvatarRefused):
            self._event(f"Your picture was refused: {event.reason}", error=True)
        self._update_status()

    def _joined(self, event: Joined) -> None:
        welcome, rejoined, was_admin = event.welcome, event.rejoined, self.admin
        replaced = event.history_replaced
        self.me = str(welcome.get("name", self.me))
        self.admin = welcome.get("admin") is True
        self.tls_fingerprint = event.tls_fingerprint
        extensions = welcome.get("extensions")
        self.extensions = frozenset(name for name in extensions if isinstance(name, str)) \
            if isinstance(extensions, list) else frozenset()
        software, version = welcome.get("server"), welcome.get("version")
        self.server_software = f"{software if isinstance(software, str) else 'unknown'}, " \
            f"protocol {version}"
        console = welcome.get("console_avatar")
        self.book.console_avatar = console if isinstance(console, str) else None
        self.roster.reset(welcome.get("users"))
        self.log_view.me = self.me
        self.query_one(UserList).me = self.me
        self._show_users()
        history = welcome.get("history")
        entries = [entry for frame in (history if isinstance(history, list) else [])
                   if isinstance(frame, dict) and (entry := message_entry(frame)) is not None]
        if replaced:
            self._last_seq = 0  # the seqs seen before belong to the other history
            fresh = self._fresh(entries)
            self.log_view.reset(fresh)
        else:
            fresh = self._fresh(entries)
            self.log_view.extend(fresh)
        self.state = "connected"
        self._shutdown_text = ""
        self.query_one("#banner").display = False
        if rejoined and replaced:
            self._still_away()
            self._event(f"Reconnected to {self.target.host}; its history is not the one "
                        "shown before (it was lost or replaced), so it is shown anew.",
                        error=True)
        elif rejoined:
            self._still_away()
            missed = f"{len(fresh)} new message{'s' if len(fresh) != 1 else ''}"
            self._event(f"Reconnected to {self.target.host}; {missed} since.")
            if welcome.get("history_truncated"):
                self._event("Some messages from while you were away are not shown "
                            "(more than the server replays).", error=True)
            if was_admin:
                self._admin_again(event.admin_asked)
        else:
            self._event(f"Joined {self.target.host} as {self.me}. "
                        "Type to chat; /help or F1 for commands and keys.")

    def _admin_again(self, asked: bool) -> None:
        """After a rejoin as an admin: say whether the rights came back, and if not, why."""
        if self.admin:
            self._event("Admin rights restored.")
        elif asked:
            self._event("Admin rights dropped: the server did not accept the admin password "
                        "again (its reason follows). admin -a PASSWORD tries again.", error=True)
        else:
            self._event("Admin rights dropped: the new session started without them. "
                        "admin -a PASSWORD gives them back.", error=True)

    def _ended(self, event: Refused) -> None:
        """The link stopped for good: say why, let go of the room, offer to join again."""
        self.state = "refused"
        self._cause = end_words(event.reason)
        if event.code not in ENDING_CODES:  # a kick or ban was shown as it came
            self._event(f"The server refused to let us back in: {event.reason}", error=True)
        self._banner(f"Disconnected for good: {event.reason.rstrip('.')}. "
                     "ctrl+r: back to the connect screen, ctrl+q: quit.")
        self.admin = False
        self.roster.reset([])
        self._show_users()
        self.query_one(KeyBar).show(END_KEYS)

    def _still_away(self) -> None:
        """A new session starts "here": tell the server again that we are away."""
        if self._away and "away" in self.extensions:
            with contextlib.suppress(ConnectionClosed):
                self._connected_link().send({"type": "away", "text": self._away})

    def _fresh(self, entries: list[LogEntry]) -> list[LogEntry]:
        """The entries not shown yet (a reconnect may replay some); notes the newest seq."""
        fresh = [entry for entry in entries if entry.seq is None or entry.seq > self._last_seq]
        for entry in fresh:
            if entry.seq is not None:
                self._last_seq = max(self._last_seq, entry.seq)
        return fresh

    def apply_frame(self, frame: Frame) -> None:
        """Show what a frame from the server means."""
        kind = frame.get("type")
        if kind == FrameType.MESSAGE:
            entry = message_entry(frame)
            if entry is not None:
                for fresh in self._fresh([entry]):
                    self._arrived(fresh, live=frame.get("replay") is not True)
        elif kind == FrameType.PRIVATE:
            entry = private_entry(frame)
            if entry is not None:
                mine = entry.sender.casefold() == self.me.casefold()
                if not mine and not self.log_view.is_hidden(entry):  # ignored or not in focus
                    self._last_private = entry.sender
                self._arrived(entry, live=True)
        elif kind == FrameType.WHOIS:
            self._whois(frame)
        elif kind == FrameType.NOTICE:
            level = EntryKind.ERROR if frame.get("level") == "error" else EntryKind.NOTICE
            if frame.get("motd") is True:
                level = EntryKind.MOTD
            self.log_view.add(LogEntry(level, str(frame.get("text", "")), self.clock(),
                                       sender=CONSOLE))
        elif kind == FrameType.ERROR and frame.get("code") != "not_found":
            code = frame.get("code", "error")
            text = str(frame.get("text", ""))
            text = text if code in ENDING_CODES else f"{text} ({code})"
            self.log_view.add(LogEntry(EntryKind.ERROR, text, self.clock(), sender=CONSOLE))
        elif kind == FrameType.HISTORY:
            self._history(frame)
        elif kind == FrameType.SHUTDOWN:
            self._shutdown_text = str(frame.get("text", "")) or "no reason given"
            self.log_view.add(LogEntry(EntryKind.NOTICE, self._shutdown_text, self.clock(),
                                       sender=CONSOLE))
        elif kind in (FrameType.JOIN, FrameType.LEAVE, FrameType.AVATAR_CHANGED,
                      FrameType.USER_CHANGED):
            self._presence(frame)

    def _history(self, frame: Frame) -> None:
        messages = frame.get("messages")
        entries = [entry for item in (messages if isinstance(messages, list) else [])
                   if isinstance(item, dict) and (entry := message_entry(item)) is not None]
        if frame.get("reset") is True:
            self._last_seq = 0
            self.log_view.reset(self._fresh(entries))
            self._event(f"The server replaced the history ({len(entries)} messages).")
        else:
            self.log_view.extend(self._fresh(entries))

    def _presence(self, frame: Frame) -> None:
        kind = frame.get("type")
        before = self.roster.get(str(frame.get("name", "")))
        was_away = before.away if before is not None else None
        member = self.roster.apply(frame)
        if member is None:
            return
        renamed_from = frame.get("renamed_from")
        if kind == FrameType.JOIN and isinstance(renamed_from, str):
            self._renamed(renamed_from, member.name)
        elif kind == FrameType.JOIN and frame.get("present") is not True:
            self._room_event(f"{member.name} joined")
        elif kind == FrameType.LEAVE and not isinstance(frame.get("renamed_to"), str):
            self._room_event(f"{member.name} {leave_words(frame)}")
        elif kind == FrameType.USER_CHANGED:
            if member.name == self.me:
                self.admin, self._away = member.admin, member.away
            if member.away != was_away:
                self._room_event(f"{member.name} is away: {member.away}" if member.away
                                 else f"{member.name} is back")
        self._show_users()

    def _renamed(self, old: str, new: str) -> None:
        """Someone (perhaps we) took a new name: follow them everywhere we keep names."""
        if old.casefold() == self.me.casefold():
            self.me = self.settings.name = new
            self.log_view.me = new
            self.query_one(UserList).me = new
            self._event(f"You are now known as {new}")
        else:
            self._room_event(f"{old} is now known as {new}")
        if self._last_private.casefold() == old.casefold():
            self._last_private = new
        if self.ignored is not None and old in self.ignored:
            self.ignored.rename(old, new)
            self.log_view.hidden = self.ignored.keys
        focus = self.log_view.only_from
        if focus is not None and old.casefold() in focus:  # what they wrote as old stays
            self.log_view.only_from = focus | {new}

    def _whois(self, frame: Frame) -> None:
        """Show a ``whois`` answer under the user's own picture."""
        name = str(frame.get("name", "?"))
        joined = frame.get("joined")
        lines = ["an admin" if frame.get("admin") is True else "not an admin"]
        away = frame.get("away")
        lines.append(f"away: {away}" if isinstance(away, str) and away else "here (not away)")
        if isinstance(joined, int | float) and not isinstance(joined, bool):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(joined))
            lines.append(f"here since {when} ({ago(self.clock() - joined)})")
        address = frame.get("address")
        if isinstance(address, str):
            lines.append(f"address: {address} (shown to admins only)")
        avatar = frame.get("avatar")
        self.log_view.add(LogEntry(EntryKind.PROFILE, "\n".join(lines), self.clock(),
                                   sender=name, avatar=avatar if isinstance(avatar, str) else None))

    def _arrived(self, entry: LogEntry, *, live: bool) -> None:
        """Add a chat entry; count it while the log is scrolled up, ring for a mention."""
        log = self.log_view
        mine = entry.sender.casefold() == self.me.casefold()
        if not live or mine or log.is_hidden(entry):
            log.add(entry)
            return
        mention = log.mentions_me(entry)
        if not log.at_end or not self.app.app_focus:
            if not self._unread:
                log.mark_unread()
            self._unread += 1
            self._mentions += mention
        if self.settings.bell and (mention or entry.kind is EntryKind.PRIVATE):
            self.app.bell()
        log.add(entry)

    def on_message_log_reached_end(self, message: MessageLog.ReachedEnd) -> None:
        """Back at the newest: nothing is unread any more."""
        self._read_all()

    def _terminal_focus(self, focused: bool) -> None:
        """Back in the terminal (where it reports focus) with the newest in view: read."""
        if focused and self.log_view.at_end:
            self._read_all()

    def _read_all(self) -> None:
        self._unread = self._mentions = 0
        self._update_status()

    # -- what the user does -----------------------------------------------------------------

    def run_line(self, text: str) -> Outcome:
        """Act on a line from the entry box (or the palette): command, admin line or chat.

        A line that drew an error (a usage, a refusal, not connected) is kept, so the user
        can mend it or type over it; ``//`` at the start sends the rest as chat, so a line
        can start with ``/``.
        """
        line = text.strip()
        refusals = self._refusals
        if line.startswith("//"):
            self._say(text.lstrip()[1:].rstrip())
        elif (slash := find_slash(line)) is not None:
            command, args = slash
            getattr(self, f"slash_{command.action}")(command, args)
            self._update_status()
        elif line.startswith("/"):
            word = line.split()[0]
            self._event(f"Unknown command {word}: /help lists the commands; start the "
                        f"line with /{word} to send it as chat.", error=True)
        elif is_admin_line(line):
            try:
                self._connected_link().command(line)
            except ConnectionClosed:
                self._not_connected()
            else:
                self._read_up()
        elif line:
            self._say(text.rstrip())
        if self._refusals != refusals:
            return Outcome.KEPT
        # A password never goes into the input history.
        return Outcome.SECRET if admin_password(line) is not None else Outcome.TAKEN

    def _sendable(self, text: str, usage: str = "") -> bool:
        """True if ``text`` may be sent as a chat line; otherwise say why (and ``usage``)."""
        problem = text_problem(text)
        if problem is not None:
            self._event(f"Not sent: {problem}.{usage and f' Usage: {usage}'}", error=True)
        return problem is None

    def _say(self, text: str) -> None:
        """Send a chat line, or explain why not."""
        if not self._sendable(text):
            return
        try:
            self._connected_link().say(text)
        except ConnectionClosed:
            self._not_connected()
            return
        self._read_up()

    # -- client commands (/name ARGS), from the table in slash.py ---------------------------

    def slash_msg(self, command: SlashCommand, args: str) -> None:
        name, _, text = args.partition(" ")
        if not name or not text.strip():
            self._usage(command)
            return
        self._private(name, text.strip())

    def slash_reply(self, command: SlashCommand, args: str) -> None:
        if not args:
            self._usage(command)
        elif not self._last_private:
            self._event("Nobody has sent you a private message yet: use /msg NAME TEXT.",
                        error=True)
        else:
            self._private(self._last_private, args)

    def _private(self, name: str, text: str) -> None:
        if self._sendable(text) and self._supports("private", "/msg"):
            self._send({"type": "private", "to": name, "text": text})

    def slash_me(self, command: SlashCommand, args: str) -> None:
        if not args:
            self._event(f"Not sent: /me needs an action. Usage: {command.usage}", error=True)
        elif self._sendable(args, command.usage) and self._supports("action", "/me"):
            self._send({"type": "say", "text": args, "action": True})

    def slash_shrug(self, command: SlashCommand, args: str) -> None:
        self._say(f"{args} {SHRUG}".lstrip())

    def slash_slap(self, command: SlashCommand, args: str) -> None:
        if " " in args:
            self._usage(command)
        elif self._supports("action", "/slap"):
            target = args or "themself"
            self._send({"type": "say", "text": f"slaps {target} around a bit with a large trout",
                        "action": True})

    def slash_nick(self, command: SlashCommand, args: str) -> None:
        name = normalize_name(args)
        problem = name_problem(name) if args else f"usage: {command.usage}"
        if problem is not None:
            self._event(f"Name not changed: {problem}.", error=True)
        elif self._supports("rename", "/nick"):
            self._send({"type": "nick", "name": name})

    def slash_away(self, command: SlashCommand, args: str) -> None:
        me = self.roster.get(self.me)
        if not args and me is not None and me.away:
            self.slash_back(command, "")
        elif self._supports("away", "/away"):
            self._send({"type": "away", "text": args or "away"})

    def slash_back(self, command: SlashCommand, args: str) -> None:
        if self._supports("away", "/back"):
            self._send({"type": "away", "text": None})

    def slash_whois(self, command: SlashCommand, args: str) -> None:
        if not args or " " in args:
            self._usage(command)
        elif self._supports("whois", "/whois"):
            self._send({"type": "whois", "name": args})

    def slash_names(self, command: SlashCommand, args: str) -> None:
        members = sorted(self.roster, key=lambda member: member.name.casefold())
        described = [member.name + (" (admin)" if member.admin else "")
                     + (f" (away: {member.away})" if member.away else "") for member in members]
        count = f"{len(members)} here" if len(members) != 1 else "1 here"
        self._event(f"{count}: {', '.join(described)}")

    def slash_ignore(self, command: SlashCommand, args: str) -> None:
        if self.ignored is None:
            self._event("Ignoring is not available here.", error=True)
        elif not args:
            names = self.ignored.names
            self._event(f"Ignored on this server: {', '.join(names)} (/unignore NAME)" if names
                        else "You ignore nobody on this server.")
        elif args.casefold() == self.me.casefold():
            self._event("You cannot ignore yourself.", error=True)
        elif (problem := name_problem(normalize_name(args))) is not None:
            self._event(f"No one can be called {args!r}: {problem}.", error=True)
        elif not self.ignored.add(args):
            self._event(f"You already ignore {args}.", error=True)
        else:
            self.log_view.hidden = self.ignored.keys
            here = "" if self.roster.get(args) else f" ({args} is not here now)"
            self._event(f"Ignoring {args} on this server{here}: their messages are hidden. "
                        f"/unignore {args} shows them again.")

    def slash_focus(self, command: SlashCommand, args: str) -> None:
        log = self.log_view
        names = args.split()
        if not names:
            self._event("Showing only the messages of " + ", ".join(sorted(log.only_from))
                        + " (and yours). /focus off shows everyone's again."
                        if log.only_from is not None else
                        "Showing everyone's messages. /focus NAME... shows only theirs.")
        elif args.casefold() in ("off", "$"):
            log.only_from = None
            self._event("Showing everyone's messages again.")
        elif problems := [f"{name!r}: {problem}" for name in names
                          if (problem := name_problem(normalize_name(name))) is not None]:
            self._event(f"No one can be called {'; '.join(problems)}.", error=True)
        else:
            log.only_from = frozenset(normalize_name(name) for name in names)
            away = [name for name in names if self.roster.get(name) is None]
            gone = f" ({', '.join(away)} not here now)" if away else ""
            self._event(f"Showing only the messages of {', '.join(names)}{gone} and yours: "
                        "/focus off shows everyone's again.")

    def slash_unignore(self, command: SlashCommand, args: str) -> None:
        if not args:
            self._usage(command)
        elif self.ignored is None or not self.ignored.remove(args):
            self._event(f"You do not ignore {args}.", error=True)
        else:
            self.log_view.hidden = self.ignored.keys
            self._event(f"No longer ignoring {args}.")

    def slash_search(self, command: SlashCommand, args: str) -> None:
        if not args:
            self.action_stop_search()
            return
        self._search = args
        count = self.log_view.search(args)
        self._search_at = self.log_view.search_step() if count else None
        if not count:
            self._event(f"No message holds {args!r}.")

    def slash_timestamp(self, command: SlashCommand, args: str) -> None:
        mode = args.casefold()
        if not mode:
            mode = TIME_MODES[(TIME_MODES.index(self.settings.timestamps) + 1) % len(TIME_MODES)]
        if mode not in TIME_MODES:
            self._usage(command)
            return
        self.settings.timestamps = mode
        self.log_view.time_mode = mode
        self._event(TIME_WORDS[mode])

    def slash_version(self, command: SlashCommand, args: str) -> None:
        server = (f"the server: {self.server_software}, extensions: "
                  f"{', '.join(sorted(self.extensions)) or 'none'}"
                  if self.server_software else "not connected yet")
        tls = f" Over TLS; the server's certificate is {spaced(self.tls_fingerprint)}." \
            if self.tls_fingerprint and self.state == "connected" else ""
        self._event(f"This is {CLIENT_SOFTWARE} (protocol {PROTOCOL_VERSION}); {server}.{tls}")

    def slash_theme(self, command: SlashCommand, args: str) -> None:
        if not args:
            self._event(f"Themes: {', '.join(THEMES)}. Now: {self.app.theme}. "
                        "ctrl+p then 'theme' previews them.")
        elif args.casefold() not in THEMES:
            self._event(f"No theme named {args!r}: /theme lists them.", error=True)
        else:
            self.app.theme = args.casefold()
            self._event(f"Theme: {self.app.theme}.")

    def slash_markdown(self, command: SlashCommand, args: str) -> None:
        value = self._switch(command, args, self.settings.markdown)
        if value is not None:
            self.settings.markdown = self.log_view.markdown = value
            self._event("Markdown in messages is rendered." if value
                        else "Messages are shown as typed (no Markdown).")

    def slash_compact(self, command: SlashCommand, args: str) -> None:
        log = self.log_view
        if args.casefold() == "auto":
            choice: bool | None = None
        elif (choice := self._switch(command, args, log.compacted)) is None:
            return
        self.settings.compact = log.compact = choice
        self._event(layout_words(choice, log.compacted))

    def slash_bell(self, command: SlashCommand, args: str) -> None:
        value = self._switch(command, args, self.settings.bell)
        if value is not None:
            self.settings.bell = value
            self._event("The bell rings when you are mentioned or messaged privately."
                        if value else "The bell is off: it never rings.")

    def slash_quiet(self, command: SlashCommand, args: str) -> None:
        self._quiet = not self._quiet
        self._event("Joins, leaves and other room events are hidden (/quiet shows them)."
                    if self._quiet else "Room events are shown again.")

    def slash_debug(self, command: SlashCommand, args: str) -> None:
        self.toggle_debug()

    def slash_help(self, command: SlashCommand, args: str) -> None:
        self.show_help()

    def slash_quit(self, command: SlashCommand, args: str) -> None:
        self.action_quit()

    def _switch(self, command: SlashCommand, args: str, current: bool) -> bool | None:
        """``on``/``off``, or the opposite of ``current`` when no argument; None if wrong."""
        if not args:
            return not current
        value = SWITCHES.get(args.casefold())
        if value is None:
            self._usage(command)
        return value

    def _usage(self, command: SlashCommand) -> None:
        self._event(f"Usage: {command.usage} ({command.summary_for(self.me)})", error=True)

    def _supports(self, extension: str, what: str) -> bool:
        """True if the server speaks ``extension``; else say that ``what`` cannot work."""
        if extension in self.extensions or self.state != "connected":
            return True  # when disconnected, _send says so
        self._event(f"{what} is not available: this server does not support it.", error=True)
        return False

    def _send(self, frame: Frame) -> None:
        try:
            self._connected_link().send(frame)
        except ConnectionClosed:
            self._not_connected()
            return
        self._read_up()

    def _not_connected(self) -> None:
        self._event("Not connected: your text is kept in the entry box; "
                    "send it again once reconnected.", error=True)

    def _read_up(self) -> None:
        """We spoke: whatever was new has been seen, and the log follows again."""
        self.log_view.clear_marker()
        self.log_view.scroll_end(animate=False)

    def _connected_link(self) -> ChatLink:
        link = self._link()
        if link is None:
            raise ConnectionClosed("not connected")
        return link

    def prefill(self, text: str) -> None:
        """Put ``text`` in the entry box for the user to finish (from the palette)."""
        composer = self.query_one(Composer)
        composer.text = text
        composer.move_cursor(composer.document.end)
        composer.focus()

    def on_text_area_changed(self, message: TextArea.Changed) -> None:
        length = len(message.text_area.text)
        counter = self.query_one("#counter", Static)
        counter.update(f"{length:,}/{MAX_TEXT_CHARS:,}" if length > COUNTER_FROM else "")
        counter.set_class(length > MAX_TEXT_CHARS, "over")

    def action_help(self) -> None:
        self.show_help()

    def show_help(self) -> None:
        self.app.push_screen(HelpScreen(self.me))

    def action_toggle_debug(self) -> None:
        self.toggle_debug()

    def toggle_debug(self) -> None:
        """Show or hide the debug pane; it is built (from the app's record) when first shown."""
        panes = self.query(DebugPane)
        if not panes:
            pane = DebugPane(id="debug")
            self.query_one("#body").mount(pane)
            for record in self._debug_records():
                pane.add(record)
        else:
            pane = panes.first()
            pane.display = not pane.display
        self.set_class(pane.display, "debugging")

    async def caught_up(self) -> None:
        """Let the entry box apply what was typed before now (a line sent in the same
        burst as ctrl+q still goes)."""
        await self.query_one(Composer).caught_up()

    def action_quit(self) -> None:
        self.app.call_later(self.app.run_action, "leave")

    class JoinAgain(Message):
        """The session ended for good and the user asked to go back to the connect screen."""

    def action_reconnect(self) -> None:
        """Reconnect now; once the session has ended for good, go back to the connect screen."""
        if self.state == "refused":
            self.post_message(self.JoinAgain())
            return
        link = self._link()
        if link is not None and not link.connected:
            link.retry_now()

    def action_scroll_log(self, pages: int) -> None:
        log = self.log_view
        if pages < 0:
            log.scroll_page_up()
        else:
            log.scroll_page_down()

    def action_follow(self) -> None:
        self.log_view.scroll_end(animate=False)

    def action_start_search(self) -> None:
        self.prefill("/search ")

    def action_search_step(self, backward: bool) -> None:
        if self._search:
            self._search_at = self.log_view.search_step(backward)
            self._update_status()

    def action_stop_search(self) -> None:
        if self._search:
            self._search, self._search_at = "", None
            self.log_view.clear_search()
            self._update_status()

    # -- drawing helpers --------------------------------------------------------------------

    def debug_line(self, record: DebugRecord) -> None:
        """Show a new record in the debug pane, if it has been built."""
        for pane in self.query(DebugPane):
            pane.add(record)

    def _room_event(self, text: str) -> None:
        """Someone joined, left, renamed or went away: logged unless ``/quiet``."""
        if not self._quiet:
            self.log_view.add(LogEntry(EntryKind.EVENT, text, self.clock()))

    def _event(self, text: str, *, error: bool = False) -> None:
        """Say something in the client's own voice (never as Console, the server's); an
        error also keeps the line in the entry box (see ``run_line``)."""
        self._refusals += error
        kind = EntryKind.LOCAL_ERROR if error else EntryKind.LOCAL
        self.log_view.add(LogEntry(kind, text, self.clock()))

    def _banner(self, text: str) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(text)
        banner.display = True

    def _show_users(self) -> None:
        self.query_one(UserList).show(list(self.roster))

    def _entry_avatar(self, entry: LogEntry, columns: int) -> list[Strip]:
        return self.book.strips(entry.sender, entry.avatar, columns)

    def _member_avatar(self, member: Member, columns: int) -> list[Strip]:
        return self.book.strips(member.name, member.avatar, columns)

    def _update_status(self) -> None:
        """One line, most urgent first, since a narrow terminal cuts its end off."""
        parts = [f"{self.me} @ {self.target.host}",
                 self._cause if self.state == "refused" else self.state]
        if self.state == "connected" and self.tls_fingerprint:
            parts.append("tls")
        if self._unread:
            mentions = f", {self._mentions} for you" if self._mentions else ""
            parts.append(f"↓ {self._unread} new{mentions}")
        if self._search:
            where = f"{self._search_at[0]}/{self._search_at[1]}" if self._search_at else "0/0"
            parts.append(f"search {self._search!r} {where}")
        me = self.roster.get(self.me)
        if me is not None and me.away:
            parts.append("away")
        if self.log_view.only_from is not None:
            parts.append("focus")
        if self.state == "connected":
            users = len(self.roster)
            parts.append(f"{users} user{'s' if users != 1 else ''}")
        if self.admin:
            parts.append("admin")
        if self._search:
            parts.append("f3 / shift+f3: next, esc: stop")
        self.query_one("#status", Static).update(" · ".join(parts))
