"""The chat screen: status line, message log, user list, debug pane and entry box."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.widgets import Static, TextArea

from tuichat.net.client import ConnectionClosed
from tuichat.net.commands import is_admin_line
from tuichat.net.frames import CONSOLE, MAX_TEXT_CHARS, Frame, FrameType, text_problem
from tuichat.tui.avatar_book import AvatarBook
from tuichat.tui.composer import Composer
from tuichat.tui.debug_pane import DebugPane, DebugRecord
from tuichat.tui.key_bar import KeyBar
from tuichat.tui.link import (
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
from tuichat.tui.message_log import EntryKind, LogEntry, MessageLog, name_style
from tuichat.tui.roster import Member, Roster
from tuichat.tui.slash import completion_words, find_slash, help_text
from tuichat.tui.user_list import UserList

MAIN_KEYS = [("^q", "Quit"), ("f1", "Help"), ("f2", "Debug"), ("^p", "Commands"),
             ("pgup", "Scroll")]
NARROW_BELOW = 60
COUNTER_FROM = MAX_TEXT_CHARS - 500
"""The character counter appears when the entry holds more than this."""

LEAVE_WORDS = {
    "quit": "left",
    "timeout": "timed out",
    "error": "was disconnected by an error",
    "kicked": "was kicked",
    "shutdown": "left (server shutting down)",
}


def message_entry(frame: Frame) -> LogEntry | None:
    """A log entry for a ``message`` frame, or None if the frame is malformed."""
    seq, ts, sender, text = (frame.get(key) for key in ("seq", "ts", "from", "text"))
    if not (isinstance(sender, str) and isinstance(text, str)):
        return None
    avatar = frame.get("avatar")
    return LogEntry(EntryKind.MESSAGE, text, float(ts) if isinstance(ts, int | float) else 0.0,
                    sender=sender, avatar=avatar if isinstance(avatar, str) else None,
                    seq=seq if isinstance(seq, int) else None)


def _seconds(delay: float) -> str:
    """A back-off delay in words: whole seconds, never "0 s"."""
    return f"{max(1, round(delay))} s"


class HelpScreen(ModalScreen[None]):
    """``/help``: commands and keys; any of escape, q, f1 closes it."""

    BINDINGS = [Binding("escape,q,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_text(), id="help-text", markup=False)
            yield Static("escape closes this", id="help-hint")


class ChatScreen(Screen[None]):
    """One conversation with one server."""

    BINDINGS = [
        Binding("ctrl+r", "reconnect", "Reconnect", show=False),
        Binding("pageup", "scroll_log(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_log(1)", "Scroll down", show=False),
        Binding("ctrl+end", "follow", "Newest", show=False),
    ]

    def __init__(self, target: Target, book: AvatarBook, link: Callable[[], ChatLink | None], *,
                 clock: Callable[[], float] = time.time,
                 debug_records: Callable[[], Iterable[DebugRecord]] = tuple) -> None:
        super().__init__()
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
            yield UserList(self._member_avatar, name_style, id="users")
        with Horizontal(id="entry-row"):
            yield Composer(names=lambda: self.roster.names, commands=completion_words(),
                           id="composer")
            yield Static(id="counter", markup=False)
        yield KeyBar(MAIN_KEYS, id="keys")

    def on_mount(self) -> None:
        self.query_one("#banner").display = False
        self.query_one(Composer).focus()
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
            self._joined(event.welcome, event.rejoined)
        elif isinstance(event, Lost):
            self.book.forget_requests()
            self.state = "reconnecting"
            self._cause = f"the server shut down ({self._shutdown_text.rstrip('.')})" \
                if self._shutdown_text else f"connection lost ({event.reason.rstrip('.')})"
            self._event(f"{self._cause[0].upper()}{self._cause[1:]}. Reconnecting…")
            self._banner(f"Disconnected: {self._cause}. Reconnecting in "
                         f"{_seconds(event.retry_in)} (ctrl+r: now, ctrl+q: quit). "
                         "Your unsent text is kept.")
        elif isinstance(event, Retrying):
            self._banner(f"Disconnected: {self._cause}. Try {event.attempt} failed "
                         f"({event.reason}); next in {_seconds(event.retry_in)} "
                         "(ctrl+r: now, ctrl+q: quit).")
        elif isinstance(event, Refused):
            self.state = "refused"
            self._event(f"The server refused to let us back in: {event.reason}", error=True)
            self._banner(f"Disconnected for good: {event.reason}. ctrl+q quits.")
        elif isinstance(event, AvatarFetched):
            self.log_view.refresh_avatars()
            self._show_users()
        elif isinstance(event, AvatarRefused):
            self._event(f"Your picture was refused: {event.reason}", error=True)
        self._update_status()

    def _joined(self, welcome: Frame, rejoined: bool) -> None:
        self.me = str(welcome.get("name", self.me))
        self.admin = welcome.get("admin") is True
        console = welcome.get("console_avatar")
        self.book.console_avatar = console if isinstance(console, str) else None
        self.roster.reset(welcome.get("users"))
        self.log_view.me = self.me
        self.query_one(UserList).me = self.me
        self._show_users()
        history = welcome.get("history")
        entries = [entry for frame in (history if isinstance(history, list) else [])
                   if isinstance(frame, dict) and (entry := message_entry(frame)) is not None]
        fresh = self._fresh(entries)
        self.log_view.extend(fresh)
        self.state = "connected"
        self._shutdown_text = ""
        self.query_one("#banner").display = False
        if rejoined:
            missed = f"{len(fresh)} new message{'s' if len(fresh) != 1 else ''}"
            self._event(f"Reconnected to {self.target.host}; {missed} since.")
            if welcome.get("history_truncated"):
                self._event("Some messages from while you were away are not shown "
                            "(more than the server replays).", error=True)
        else:
            self._event(f"Joined {self.target.host} as {self.me}. "
                        "Type to chat; /help or F1 for commands and keys.")

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
                    self.log_view.add(fresh)
        elif kind == FrameType.NOTICE:
            level = EntryKind.ERROR if frame.get("level") == "error" else EntryKind.NOTICE
            self.log_view.add(LogEntry(level, str(frame.get("text", "")), self.clock(),
                                       sender=CONSOLE))
        elif kind == FrameType.ERROR and frame.get("code") != "not_found":
            text = f"{frame.get('text', '')} ({frame.get('code', 'error')})"
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
        member = self.roster.apply(frame)
        if member is None:
            return
        if kind == FrameType.JOIN and frame.get("present") is not True:
            self._event(f"{member.name} joined")
        elif kind == FrameType.LEAVE:
            reason = str(frame.get("reason", "quit"))
            self._event(f"{member.name} {LEAVE_WORDS.get(reason, f'left ({reason})')}")
        elif kind == FrameType.USER_CHANGED and member.name == self.me:
            self.admin = member.admin
        self._show_users()

    # -- what the user does -----------------------------------------------------------------

    def on_composer_submitted(self, message: Composer.Submitted) -> None:
        message.stop()
        self.run_line(message.text)

    def run_line(self, text: str) -> None:
        """Act on a line from the entry box (or the palette): command, admin line or chat."""
        composer = self.query_one(Composer)
        line = text.strip()
        if not line:
            return
        slash = find_slash(line)
        if slash is not None:
            composer.remember(line)
            getattr(self, f"action_{slash.action}")()
            return
        if line.startswith("/"):
            self._event(f"Unknown command {line.split()[0]}: /help lists the commands.",
                        error=True)
            return
        problem = text_problem(text) if not is_admin_line(line) else None
        if problem is not None:
            self._event(f"Not sent: {problem}.", error=True)
            return
        try:
            if is_admin_line(line):
                self._connected_link().command(line)
            else:
                self._connected_link().say(text.rstrip())
        except ConnectionClosed:
            self._event("Not connected: your text is kept in the entry box; "
                        "send it again once reconnected.", error=True)
            return
        # A password never goes into the input history.
        composer.remember(line if line.split()[:2] != ["admin", "-a"] else "")

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
        self.app.push_screen(HelpScreen())

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

    def action_quit(self) -> None:
        self.app.call_later(self.app.run_action, "leave")

    def action_reconnect(self) -> None:
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

    # -- drawing helpers --------------------------------------------------------------------

    def debug_line(self, record: DebugRecord) -> None:
        """Show a new record in the debug pane, if it has been built."""
        for pane in self.query(DebugPane):
            pane.add(record)

    def _event(self, text: str, *, error: bool = False) -> None:
        kind = EntryKind.ERROR if error else EntryKind.EVENT
        sender = CONSOLE if error else ""
        self.log_view.add(LogEntry(kind, text, self.clock(), sender=sender))

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
        users = len(self.roster)
        parts = [f"{self.me} @ {self.target.host}", self.state]
        if self.state == "connected":
            parts.append(f"{users} user{'s' if users != 1 else ''}")
        if self.admin:
            parts.append("admin")
        self.query_one("#status", Static).update(" · ".join(parts))
