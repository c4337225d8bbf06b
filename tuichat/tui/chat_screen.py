"""The chat screen: status line, the room's topic, the message logs, the room and user
lists, the debug pane and the entry box.

Each room and private conversation has its own log (``conversations``); one is shown,
and the user list shows its members. Without the rooms extension there is one room and
neither the topic nor the room list shows: the screen is the one it always was. What the
server says is applied by ``FrameEvents``, what is typed by the handlers of ``slash``;
both see this screen as a ``chat_host.ChatHost``, so neither imports it. The protocol
state (our name, rights, the server's extensions, the rooms we are in) is the session's,
read here, never copied.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static, TextArea

from tuichat.net.client import Connection
from tuichat.net.commands import admin_password, is_admin_line
from tuichat.net.errors import ConnectionClosed
from tuichat.net.frames import MAX_TEXT_CHARS, text_problem
from tuichat.net.session import ClientSession
from tuichat.tui.avatar_book import AvatarBook
from tuichat.tui.chat_view import ChatView
from tuichat.tui.composer import Composer, Outcome, counter_text
from tuichat.tui.conversations import Conversation
from tuichat.tui.debug_pane import DebugPane, DebugRecord
from tuichat.tui.frame_events import FrameEvents
from tuichat.tui.help_screen import HelpScreen
from tuichat.tui.ignore import IgnoreList
from tuichat.tui.join_requests import JoinRequests
from tuichat.tui.key_bar import KeyBar
from tuichat.tui.keys import END_BAR, bar_keys, screen_bindings
from tuichat.tui.link import ENDING_CODES, ChatLink, LinkEvent, Refused, Target
from tuichat.tui.message_log import MessageLog
from tuichat.tui.room_list import RoomList
from tuichat.tui.roster import Roster
from tuichat.tui.settings import Settings
from tuichat.tui.slash import completion_words, find_slash, room_commands
from tuichat.tui.wording import end_words

NARROW_BELOW = 60
ROOM_ACTIONS = frozenset({"step_conversation", "pick_conversation", "toggle_rooms"})


class ChatScreen(Screen[None]):
    """One conversation (or several, in rooms) with one server."""

    BINDINGS = screen_bindings()

    def __init__(self, target: Target, book: AvatarBook, link: Callable[[], ChatLink | None], *,
                 session: ClientSession | None = None, clock: Callable[[], float] = time.time,
                 debug_records: Callable[[], Iterable[DebugRecord]] = tuple,
                 settings: Settings | None = None, ignored: IgnoreList | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else Settings()
        """Display preferences; changed by /timestamp, /markdown, /bell (remembered at exit)."""
        self.ignored = ignored
        """Names ignored on this server; None: ignoring is not available (nowhere to keep it)."""
        self.session = session if session is not None else ClientSession(target.name)
        """The protocol state, which the link's connection keeps up to date."""
        self.server_software = ""
        """What the server said it runs, from its ``welcome``."""
        self.tls_fingerprint: str | None = None
        """The server certificate's fingerprint while the session is over TLS."""
        self.last_private = ""
        """Who last wrote to us privately: ``/reply`` answers them."""
        self.quiet = False
        """``/quiet``: room events (joins, leaves, renames, away) are not logged."""
        self.target = target
        self._link = link
        self.book = book
        self.clock = clock
        self.state = "connecting"
        self.cause = ""
        """Why the session stopped, as the status line and the banner put it."""
        self._early: list[LinkEvent] | None = []
        """Events that came before the widgets existed (the link can be faster than
        composing the screen); applied in order on mount. None once mounted."""
        self._gone = False
        self.view = ChatView(self)
        """The conversations, and what is shown of them."""
        self.joins = JoinRequests()
        """The rooms asked for that the server has not answered yet."""
        self._events = FrameEvents(self)
        self._debug_records = debug_records
        """Everything the debug pane would show; the pane is built when first opened."""

    def compose(self) -> ComposeResult:
        yield self.view.status
        yield Static(id="banner", markup=False)
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield self.view.topic_line
                with self.view.logs_box:
                    yield self.log_view
            with Vertical(id="side"):
                yield self.view.room_list
                yield self.view.user_list
        with Horizontal(id="entry-row"):
            yield Composer(names=self.view.all_names, commands=lambda: completion_words(
                self.extensions if self.state == "connected" else None),
                rooms=self.view.room_names, room_commands=room_commands(),
                submit=self.run_line, id="composer")
            yield Static(id="counter", markup=False)
        yield KeyBar(bar_keys(rooms=False), id="keys")

    def on_mount(self) -> None:
        self.query_one("#banner").display = False
        self.query_one(Composer).focus()
        self.watch(self.app, "app_focus", self._terminal_focus, init=False)
        early, self._early = self._early or [], None
        for event in early:
            self.handle(event)
        self.view.show_status()

    def on_unmount(self) -> None:
        self._gone = True

    def on_resize(self, event: events.Resize) -> None:
        """Below 60 columns the room and user lists give their room to the log."""
        self.set_class(event.size.width < NARROW_BELOW, "narrow")
        self.call_after_refresh(self.view.redraw)  # the layout may have changed

    # -- what the session says --------------------------------------------------------------

    @property
    def me(self) -> str:
        return self.session.name

    @property
    def admin(self) -> bool:
        return self.session.admin and self.state != "refused"

    @property
    def extensions(self) -> frozenset[str]:
        """What the server adds to the contract (from ``welcome``)."""
        return self.session.extensions

    @property
    def rooms_mode(self) -> bool:
        """True when the server speaks rooms: the room list and the topic show."""
        return self.session.speaks_rooms

    @property
    def log_view(self) -> MessageLog:
        """The log shown."""
        return self.view.log

    @property
    def roster(self) -> Roster:
        """Who is in the conversation shown."""
        return self.view.conversations.current.roster

    def tell(self, text: str, *, error: bool = False, item: Conversation | None = None) -> None:
        """Say something in the client's own voice, in ``item`` (the shown conversation by
        default); an error also keeps the line in the entry box (see ``run_line``)."""
        self.view.tell(text, error=error, item=item)

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
            self.view.show_status()
        except NoMatches:  # torn down between two of the link's last events
            self._gone = True

    def welcomed(self) -> None:
        """A session began: show what the server speaks (the rooms, their keys)."""
        self.set_class(self.rooms_mode, "rooms")
        self.query_one(KeyBar).show(bar_keys(self.rooms_mode))
        for log in self.view.logs:
            log.me = self.me
        self.view.user_list.me = self.me
        self.view.redraw()

    def end_for_good(self, event: Refused) -> None:
        """The link stopped for good: say why, let go of the room, offer to join again."""
        self.state = "refused"
        self.cause = end_words(event.reason)
        if event.code not in ENDING_CODES:  # a kick or ban was shown as it came
            self.tell(f"The server refused to let us back in: {event.reason}", error=True)
        self.show_banner(f"Disconnected for good: {event.reason.rstrip('.')}. "
                         "ctrl+r: back to the connect screen, ctrl+q: quit.")
        for item in self.view.conversations:
            item.roster.reset([])
        self.view.show_users()
        self.query_one(KeyBar).show(END_BAR)

    def on_message_log_reached_end(self, message: MessageLog.ReachedEnd) -> None:
        """Back at the newest: nothing is unread any more."""
        self.view.read_all()

    def on_room_list_picked(self, message: RoomList.Picked) -> None:
        item = self.view.conversations.get(message.key)
        if item is not None:
            self.view.show_conversation(item)

    def _terminal_focus(self, focused: bool) -> None:
        """Back in the terminal (where it reports focus) with the newest in view: read."""
        if focused and self.log_view.at_end:
            self.view.read_all()

    # -- what the user does -----------------------------------------------------------------

    def run_line(self, text: str) -> Outcome:
        """Act on a line from the entry box (or the palette): command, admin line or chat.

        A line that drew an error (a usage, a refusal, not connected) is kept, so the user
        can mend it or type over it; ``//`` at the start sends the rest as chat, so a line
        can start with ``/``.
        """
        line = text.strip()
        refusals = self.view.refusals
        if line.startswith("//"):
            self.say(text.lstrip()[1:].rstrip())
        elif (slash := find_slash(line)) is not None:
            command, args = slash
            if command.extension is None or self.supports(command.extension, command.name):
                command.handler(self, command, args)
            self.view.show_status()
        elif line.startswith("/"):
            word = line.split()[0]
            self.tell(f"Unknown command {word}: /help lists the commands; start the "
                      f"line with /{word} to send it as chat.", error=True)
        elif is_admin_line(line):
            room = self.view.current_room
            self.request(lambda conn: conn.command(line, room))
        elif line:
            self.say(text.rstrip())
        if self.view.refusals != refusals:
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
        """Send a chat line to the room shown (privately in a private conversation), or
        explain why not."""
        if not self.sendable(text):
            return
        room = self.view.current_room
        if room is None:
            peer = self.view.conversations.current.key
            self.request(lambda conn: conn.private(peer, text))
        else:
            self.request(lambda conn: conn.say(text, room=room))

    def supports(self, extension: str, what: str) -> bool:
        """True if the server speaks ``extension``; else say that ``what`` cannot work."""
        if extension in self.extensions or self.state != "connected":
            return True  # when disconnected, send says so
        self.tell(f"{what} is not available: this server does not support it.", error=True)
        return False

    def request(self, ask: Callable[[Connection], object]) -> bool:
        """Ask the server through the live connection, or say that we are not connected."""
        try:
            link = self.connected_link()
            ask(link.connection())
        except ConnectionClosed:
            self.tell("Not connected: your text is kept in the entry box; "
                      "send it again once reconnected.", error=True)
            return False
        self.log_view.clear_marker()  # we spoke: what was new has been seen
        self.log_view.scroll_end(animate=False)
        return True

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
        if str(counter.content) != (shown := counter_text(length)):  # an update lays out
            counter.update(shown)  # the whole screen again: only when it changes
        counter.set_class(length > MAX_TEXT_CHARS, "over")

    def show_help(self) -> None:
        self.app.push_screen(HelpScreen(self.me, self.extensions
                                        if self.state == "connected" else None))

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
        self.view.show_status()

    async def caught_up(self) -> None:
        """Let the entry box apply what was typed before now (a line sent in the same
        burst as ctrl+q still goes)."""
        await self.query_one(Composer).caught_up()

    class JoinAgain(Message):
        """The session ended for good and the user asked to go back to the connect screen."""

    # -- keys -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The keys of the room list work where the server speaks rooms."""
        return self.rooms_mode or action not in ROOM_ACTIONS

    def action_quit(self) -> None:
        self.app.call_later(self.app.run_action, "leave")

    def action_reconnect(self) -> None:
        """Reconnect now; once the session has ended for good, go back to the connect screen."""
        if self.state == "refused":
            self.post_message(self.JoinAgain())
            return
        link = self._link()
        if link is not None and not link.connected:
            link.retry_now()

    def action_step_conversation(self, offset: int) -> None:
        self.view.show_conversation(self.view.conversations.step(offset))

    def action_pick_conversation(self, number: int) -> None:
        item = self.view.conversations.nth(number)
        if item is not None:
            self.view.show_conversation(item)

    def action_toggle_rooms(self) -> None:
        self.view.toggle_rooms()

    def action_scroll_log(self, pages: int) -> None:
        if pages < 0:
            self.log_view.scroll_page_up()
        else:
            self.log_view.scroll_page_down()

    def action_follow(self) -> None:
        self.log_view.scroll_end(animate=False)

    def action_start_search(self) -> None:
        self.prefill("/search ")

    def action_search_step(self, backward: bool) -> None:
        if self.view.search.step(backward):
            self.view.show_status()

    def action_stop_search(self) -> None:
        if self.view.search.stop():
            self.view.show_status()

    # -- drawing helpers --------------------------------------------------------------------

    def debug_line(self, record: DebugRecord) -> None:
        """Show a new record in the debug pane, if it has been built."""
        for pane in self.query(DebugPane):
            pane.add(record)

    def show_banner(self, text: str) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(text)
        banner.display = True

    def hide_banner(self) -> None:
        self.query_one("#banner").display = False
