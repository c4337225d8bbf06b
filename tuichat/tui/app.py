"""The Textual application: the connect screen, the chat screen, and the link between them.

Network threads never touch widgets: the link's events arrive here as ``LinkMessage``
(``post_message`` is thread-safe) and are handed to the chat screen on the UI thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer

from tuichat.net.tls import KnownHosts, TlsClientConfig, spaced
from tuichat.tui import STYLESHEET
from tuichat.tui.avatar_book import AvatarBook
from tuichat.tui.avatars import AvatarDiskCache, AvatarRenderer, AvatarSourceError, choose_avatar
from tuichat.tui.connect_screen import ConnectScreen
from tuichat.tui.debug_pane import DebugRecord, PaneHandler
from tuichat.tui.settings import Settings
from tuichat.tui.slash import palette
from tuichat.tui.terminal_keys import key_behind
from tuichat.tui.trust_screen import TrustScreen

if TYPE_CHECKING:
    # Loaded when first needed, so the first screen is drawn sooner: the chat side when
    # joining, the server's modules only when hosting.
    from tuichat.tui.chat_screen import ChatScreen
    from tuichat.tui.hosting import HostedServer
    from tuichat.tui.link import ChatLink, LinkEvent
    from tuichat.tui.render_turns import RenderTurns
    from tuichat.tui.update_pacing import UpdatePacer

DEBUG_BACKLOG = 2_000
BYE_TIMEOUT = 1.0


class LinkMessage(Message):
    """An event from the link's threads, delivered on the UI thread."""

    def __init__(self, event: LinkEvent) -> None:
        super().__init__()
        self.event = event


class DebugLine(Message):
    """A log record for the debug pane, from any thread."""

    def __init__(self, line: str, style: str) -> None:
        super().__init__()
        self.line = line
        self.style = style


class TuichatApp(App[int]):
    """The tuichat client."""

    CSS_PATH = STYLESHEET  # absolute, so subclasses elsewhere find it too
    TITLE = "tuichat"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "leave", "Quit", priority=True),
        Binding("f1", "help", "Help"),
        Binding("f2", "toggle_debug", "Debug"),
    ]

    def __init__(self, settings: Settings, *, connect_now: bool,
                 hosted: HostedServer | None = None, clock: Callable[[], float] = time.time,
                 avatar_cache: AvatarDiskCache | None = None,
                 reconnect_delay: float | None = None, cwd: Path | None = None,
                 known_hosts: KnownHosts | None = None, ignore_file: Path | None = None,
                 served: bool = False, guest: bool = False,
                 render_turns: RenderTurns | None = None,
                 on_shown: Callable[[], None] | None = None) -> None:
        """``served``: the server's SSH door runs this app for one session; a refusal or
        the end of the session exits (with its reason) instead of showing the connect
        screen. ``guest``: a browser door's client; the connect screen keeps its server
        fixed."""
        super().__init__()
        self.served = served
        self.blink_cursor = not served
        """Served over SSH the entry box's cursor does not blink: a blink is a redraw
        twice a second, in every session, sent down every connection."""
        self._guest = guest
        self.settings = settings
        self.hosted = hosted
        self.clock = clock
        self.connected_once = False
        self.link: ChatLink | None = None
        self._chat: ChatScreen | None = None
        self.debug_backlog: deque[DebugRecord] = deque(maxlen=DEBUG_BACKLOG)
        self.book = AvatarBook(avatar_cache or AvatarDiskCache.default(), AvatarRenderer(),
                               self._fetch_avatar)
        self._connect_now = connect_now
        self._reconnect_delay = reconnect_delay
        self._cwd = cwd or Path.cwd()
        self._known_hosts = known_hosts or KnownHosts()
        self._ignore_file = ignore_file
        self._trust_questions: list[Future[bool]] = []
        self._log_handler = PaneHandler(self._post_debug_line)
        self._render_turns = render_turns
        self._on_shown = on_shown
        self._pacer: UpdatePacer | None = None
        """Holds what the link reports until it is shown (``update_pacing``)."""
        self._moments: Timer | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.theme = self.settings.theme
        for name in ("tuichat.tui", "tuichat.net"):
            logging.getLogger(name).addHandler(self._log_handler)
        if self.hosted is not None:
            self.record_debug(f"hosting a server on {self.hosted.listen}; "
                              f"its log: {self.hosted.log_path}")
        if self._connect_now:
            self.connect(self.settings)
        else:
            self.push_screen(ConnectScreen(self.settings, note=self._hosting_note(), cwd=self._cwd,
                                           fixed_server=self._guest))

    def watch_theme(self, theme: str) -> None:
        """Remember the theme chosen (``/theme`` or the palette) for the next start."""
        self.settings.theme = theme

    def _ask_trust(self, host: str, port: int, fingerprint: str) -> bool:
        """Ask the user about an unknown certificate (called on the link's thread)."""
        answer: Future[bool] = Future()
        self._trust_questions.append(answer)
        try:
            self.call_from_thread(self.push_screen, TrustScreen(host, port, fingerprint),
                                  answer.set_result)
        except RuntimeError:  # the app is no longer running
            return False
        return answer.result()

    def on_unmount(self) -> None:
        for question in self._trust_questions:  # nobody is left to answer
            if not question.done():
                question.set_result(False)
        for name in ("tuichat.tui", "tuichat.net"):
            logging.getLogger(name).removeHandler(self._log_handler)
        if self.link is not None:
            self.link.stop()

    def connect(self, settings: Settings) -> None:
        """Join with ``settings`` and show the chat screen (errors go to the connect screen)."""
        self.settings = settings
        try:
            avatar = choose_avatar(settings.avatar, settings.name, self._cwd)
        except AvatarSourceError as exc:
            self._show_connect(str(exc))
            return
        from tuichat.tui.chat_screen import ChatScreen
        from tuichat.tui.ignore import IgnoreList
        from tuichat.tui.link import FIRST_DELAY, ChatLink, Target
        self.record_debug(f"avatar: {avatar.source}")
        own = hashlib.sha256(avatar.png).hexdigest()
        self.book.arrived(own, avatar.png)  # our own picture is never fetched back
        tls = TlsClientConfig(settings.tls_ca, self._known_hosts, self._ask_trust) \
            if settings.tls else None
        target = Target(settings.host, settings.name, settings.port_send, settings.port_recv,
                        settings.image_port, settings.password, settings.admin_password,
                        avatar.png, tls, settings.ticket)
        delay = FIRST_DELAY if self._reconnect_delay is None else self._reconnect_delay
        self.link = ChatLink(target, self._post_link_event, first_delay=delay)
        self.book.set_fetch(self.link.fetch_avatar)
        self._chat = ChatScreen(target, self.book, lambda: self.link,
                                session=self.link.session, clock=self.clock,
                                debug_records=lambda: self.debug_backlog, settings=settings,
                                ignored=IgnoreList(target.address, self._ignore_file))
        self._pace(self.served or self._guest)  # a served session draws in batches
        self.switch_or_push(self._chat)
        self.link.start()

    @property
    def chat(self) -> ChatScreen | None:
        """The chat screen, while it is the one shown."""
        if self._chat is None:
            return None
        try:
            screen = self.screen
        except ScreenStackError:  # closing: the link's last events find no screen
            return None
        return self._chat if screen is self._chat else None

    def switch_or_push(self, screen: Screen[None]) -> None:
        if len(self.screen_stack) > 1:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def on_connect_screen_join_requested(self, message: ConnectScreen.JoinRequested) -> None:
        self.connect(message.settings)

    def on_chat_screen_join_again(self, message: ChatScreen.JoinAgain) -> None:
        """After a kick, a ban or a refusal: back to the connect screen, filled in as before."""
        self.link = None  # it has stopped
        self.connected_once = False
        if self.served:
            self.exit(1)
            return
        self._show_connect("")

    def _show_connect(self, error: str) -> None:
        if self.served:  # there is nothing else to join: say why, and end the session
            self.exit(1, message=f"tuichat: {error}" if error else None)
            return
        self.switch_or_push(ConnectScreen(self.settings, error=error, note=self._hosting_note(),
                                           cwd=self._cwd, fixed_server=self._guest))

    def _hosting_note(self) -> str:
        if self.hosted is None:
            return ""
        ports = self.hosted.server.ports
        return (f"You are hosting a server on {self.hosted.listen} (ports {ports.send}, "
                f"{ports.recv}, {ports.image}) and join it as its admin.")

    # -- events from the link ---------------------------------------------------------------

    def on_link_message(self, message: LinkMessage) -> None:
        from tuichat.tui.debug_pane import describe_frame
        from tuichat.tui.link import FrameOut

        event = message.event
        if isinstance(event, FrameOut):
            self.record_debug(describe_frame("→", event.channel, event.frame, event.payload_size),
                              "green")
        else:
            if self._pacer is not None:
                self._pacer.release()  # what was held came before this
            self._take(event)

    def _take(self, event: LinkEvent) -> None:
        """What the link reports, recorded and shown (on the chat screen even under a
        dialog, such as F1's help)."""
        from tuichat.tui.debug_pane import describe_frame
        from tuichat.tui.link import AvatarFetched, FrameIn, Joined, Refused

        if isinstance(event, FrameIn):
            self.record_debug(describe_frame("←", event.channel, event.frame,
                                             len(event.payload or b"")), "cyan")
        elif isinstance(event, AvatarFetched):
            self.book.arrived(event.sha256, event.png)
        elif isinstance(event, Joined):
            self.connected_once = True
            if self._on_shown is not None:  # after this event is drawn
                self.call_after_refresh(self._on_shown)
                self._on_shown = None
            if event.tls_fingerprint:
                self.record_debug(f"TLS on all three channels; the server's certificate is "
                                  f"{spaced(event.tls_fingerprint)}")
        elif isinstance(event, Refused) and not self.connected_once:
            self.link = None
            self._show_connect(event.reason)
            return
        if self._chat is not None and self._chat in self.screen_stack:
            self._chat.handle(event)

    def _pace(self, paced: bool) -> None:
        """A new pacer for a new link; a served session's moments come every
        ``LINE_PERIOD``, at a phase of its own (so the sessions' moments are spread)."""
        from tuichat.tui.update_pacing import LINE_PERIOD, UpdatePacer

        if self._moments is not None:
            self._moments.stop()
            self._moments = None
        turns = self._render_turns
        pacer = self._pacer = UpdatePacer(
            self._take, self.call_later, paced=paced,
            take_turn=turns.take if turns is not None else None,
            after_drawn=self.call_after_refresh)
        if not paced:
            return

        def start() -> None:
            if self._pacer is pacer:
                self._moments = self.set_interval(LINE_PERIOD, pacer.moment)

        self.set_timer(random.uniform(0, LINE_PERIOD), start)

    def _fetch_avatar(self, sha256: str) -> None:
        if self.link is not None:
            self.link.fetch_avatar(sha256)

    # -- the debug record -------------------------------------------------------------------

    def record_debug(self, line: str, style: str = "") -> None:
        """Record a line for the debug pane (kept while the pane is hidden)."""
        self.debug_backlog.append((self.clock(), line, style))
        if self.chat is not None:
            self.chat.debug_line(self.debug_backlog[-1])

    def _post_debug_line(self, line: str, style: str) -> None:
        self.post_message(DebugLine(line, style))

    def _post_link_event(self, event: LinkEvent) -> None:
        """From the link's threads: an event for the UI, unless the pacer holds it (a
        held event does not wake the UI)."""
        pacer = self._pacer
        if pacer is None or not pacer.hold(event):
            self.post_message(LinkMessage(event))

    def on_debug_line(self, message: DebugLine) -> None:
        self.record_debug(message.line, message.style)

    # -- actions ----------------------------------------------------------------------------

    async def action_leave(self) -> None:
        """Leave cleanly (bye, so the others see why) and exit, once what was typed
        before has been applied."""
        if self.chat is not None:
            await self.chat.caught_up()
        link, self.link = self.link, None
        if link is not None:
            await asyncio.to_thread(link.stop, BYE_TIMEOUT)
        self.exit(0)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Help and the debug pane belong to the chat screen."""
        if action in ("help", "toggle_debug"):
            return self.chat is not None
        return True

    def action_help(self) -> None:
        if self.chat is not None:
            self.chat.show_help()

    def action_toggle_debug(self) -> None:
        if self.chat is not None:
            self.chat.toggle_debug()

    async def on_cursor_position(self, event: events.CursorPosition) -> None:
        """A key the terminal parser took for a cursor report (shift+F3 in tmux): handle
        it as the key, here, in its place among the keys around it."""
        key = key_behind(event)
        if key is not None:
            key.set_sender(self)
            await self.on_event(key)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette: our commands first (from the command table), then Textual's own
        (theme, keys, quit...)."""
        chat = self._chat
        if chat is not None and screen is chat:
            offered = chat.extensions if chat.state == "connected" else None
            for title, summary, line, at_once in palette(chat.me, offered):
                yield SystemCommand(title, summary, self._palette_action(chat, line, at_once))
        yield from super().get_system_commands(screen)

    @staticmethod
    def _palette_action(screen: ChatScreen, line: str, at_once: bool) -> Callable[[], object]:
        if at_once:
            return lambda: screen.run_line(line)
        return lambda: screen.prefill(line)
