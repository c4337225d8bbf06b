"""The chat screen: status line, message log, user list, debug pane and entry box."""

from __future__ import annotations

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

from tuichat.net.client import ConnectionClosed
from tuichat.net.commands import admin_password, is_admin_line
from tuichat.net.frames import MAX_TEXT_CHARS, Frame, text_problem
from tuichat.tui.avatar_book import AvatarBook
from tuichat.tui.composer import Composer, Outcome
from tuichat.tui.debug_pane import DebugPane, DebugRecord
from tuichat.tui.frame_events import FrameEvents
from tuichat.tui.help_screen import HelpScreen
from tuichat.tui.ignore import IgnoreList
from tuichat.tui.key_bar import KeyBar
from tuichat.tui.link import ENDING_CODES, ChatLink, LinkEvent, Refused, Target
from tuichat.tui.log_entries import EntryKind, LogEntry
from tuichat.tui.message_log import MessageLog
from tuichat.tui.roster import Member, Roster
from tuichat.tui.settings import Settings
from tuichat.tui.slash import completion_words, find_slash
from tuichat.tui.status_line import Status
from tuichat.tui.user_list import UserList
from tuichat.tui.wording import end_words

MAIN_KEYS = [("^q", "Quit"), ("f1", "Help"), ("f2", "Debug"), ("^p", "Commands"),
             ("pgup", "Scroll")]
END_KEYS = [("^r", "Join again"), ("^q", "Quit"), ("f1", "Help"), ("f2", "Debug"),
            ("pgup", "Scroll")]
"""The keys once the server has ended the session for good (a kick, a ban, a refusal)."""
NARROW_BELOW = 60
COUNTER_FROM = MAX_TEXT_CHARS - 500
"""The character counter appears when the entry holds more than this."""


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
        self.last_private = ""
        """Who last wrote to us privately: ``/reply`` answers them."""
        self._unread = 0
        self._mentions = 0
        """Messages, and mentions of us, that came while the log was scrolled up."""
        self._search = ""
        self._search_at: tuple[int, int] | None = None
        self.quiet = False
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
        self.cause = ""
        """Why the session stopped, as the status line and the banner put it."""
        self._early: list[LinkEvent] | None = []
        """Events that came before the widgets existed (the link can be faster than
        composing the screen); applied in order on mount. None once mounted."""
        self._gone = False
        self._events = FrameEvents(self)
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
            self._events.apply(event)
            self._update_status()
        except NoMatches:  # torn down between two of the link's last events
            self._gone = True

    def end_for_good(self, event: Refused) -> None:
        """The link stopped for good: say why, let go of the room, offer to join again."""
        self.state = "refused"
        self.cause = end_words(event.reason)
        if event.code not in ENDING_CODES:  # a kick or ban was shown as it came
            self.tell(f"The server refused to let us back in: {event.reason}", error=True)
        self.show_banner(f"Disconnected for good: {event.reason.rstrip('.')}. "
                         "ctrl+r: back to the connect screen, ctrl+q: quit.")
        self.admin = False
        self.roster.reset([])
        self.show_users()
        self.query_one(KeyBar).show(END_KEYS)

    def arrived(self, entry: LogEntry, *, live: bool) -> None:
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
            self.say(text.lstrip()[1:].rstrip())
        elif (slash := find_slash(line)) is not None:
            command, args = slash
            command.handler(self, command, args)
            self._update_status()
        elif line.startswith("/"):
            word = line.split()[0]
            self.tell(f"Unknown command {word}: /help lists the commands; start the "
                      f"line with /{word} to send it as chat.", error=True)
        elif is_admin_line(line):
            try:
                self.connected_link().command(line)
            except ConnectionClosed:
                self._not_connected()
            else:
                self._read_up()
        elif line:
            self.say(text.rstrip())
        if self._refusals != refusals:
            return Outcome.KEPT
        # A password never goes into the input history.
        return Outcome.SECRET if admin_password(line) is not None else Outcome.TAKEN

    def sendable(self, text: str, usage: str = "") -> bool:
        """True if ``text`` may be sent as a chat line; otherwise say why (and ``usage``)."""
        problem = text_problem(text)
        if problem is not None:
            self.tell(f"Not sent: {problem}.{usage and f' Usage: {usage}'}", error=True)
        return problem is None

    def say(self, text: str) -> None:
        """Send a chat line, or explain why not."""
        if not self.sendable(text):
            return
        try:
            self.connected_link().say(text)
        except ConnectionClosed:
            self._not_connected()
            return
        self._read_up()

    def supports(self, extension: str, what: str) -> bool:
        """True if the server speaks ``extension``; else say that ``what`` cannot work."""
        if extension in self.extensions or self.state != "connected":
            return True  # when disconnected, send says so
        self.tell(f"{what} is not available: this server does not support it.", error=True)
        return False

    def send(self, frame: Frame) -> None:
        """Send ``frame`` to the server, or say that we are not connected."""
        try:
            self.connected_link().send(frame)
        except ConnectionClosed:
            self._not_connected()
            return
        self._read_up()

    def _not_connected(self) -> None:
        self.tell("Not connected: your text is kept in the entry box; "
                  "send it again once reconnected.", error=True)

    def _read_up(self) -> None:
        """We spoke: whatever was new has been seen, and the log follows again."""
        self.log_view.clear_marker()
        self.log_view.scroll_end(animate=False)

    def connected_link(self) -> ChatLink:
        """The link to the server; ConnectionClosed if there is none yet."""
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

    def search(self, text: str) -> None:
        """Highlight ``text`` in the log and go to its newest match; no text: stop."""
        if not text:
            self.action_stop_search()
            return
        self._search = text
        count = self.log_view.search(text)
        self._search_at = self.log_view.search_step() if count else None
        if not count:
            self.tell(f"No message holds {text!r}.")

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

    def room_event(self, text: str) -> None:
        """Someone joined, left, renamed or went away: logged unless ``/quiet``."""
        if not self.quiet:
            self.log_view.add(LogEntry(EntryKind.EVENT, text, self.clock()))

    def tell(self, text: str, *, error: bool = False) -> None:
        """Say something in the client's own voice (never as Console, the server's); an
        error also keeps the line in the entry box (see ``run_line``)."""
        self._refusals += error
        kind = EntryKind.LOCAL_ERROR if error else EntryKind.LOCAL
        self.log_view.add(LogEntry(kind, text, self.clock()))

    def show_banner(self, text: str) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(text)
        banner.display = True

    def show_users(self) -> None:
        self.query_one(UserList).show(list(self.roster))

    def _entry_avatar(self, entry: LogEntry, columns: int) -> list[Strip]:
        return self.book.strips(entry.sender, entry.avatar, columns)

    def _member_avatar(self, member: Member, columns: int) -> list[Strip]:
        return self.book.strips(member.name, member.avatar, columns)

    def _update_status(self) -> None:
        """Show the status line as things are now."""
        me = self.roster.get(self.me)
        status = Status(self.me, self.target.host, self.state, self.cause,
                        tls=bool(self.tls_fingerprint), unread=self._unread,
                        mentions=self._mentions, search=self._search, search_at=self._search_at,
                        away=me is not None and bool(me.away),
                        focus=self.log_view.only_from is not None, users=len(self.roster),
                        admin=self.admin)
        self.query_one("#status", Static).update(status.line())
