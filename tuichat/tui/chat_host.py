"""What the link's events and the slash commands need of the chat screen.

``FrameEvents``, ``RoomEvents`` and the handlers of ``slash_handlers`` and
``room_commands`` are typed against this Protocol, not against ``ChatScreen``, so none
of them imports the screen that runs them (no import cycle); ``ChatScreen`` satisfies
it. It is the view's host (``view_host.ViewHost``) and the view itself, the session,
the joins waiting for an answer, and the few things only the screen does: talking to
the server, its banner, its help and debug pane, quitting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tuichat.net.client import Connection
from tuichat.net.session import ClientSession
from tuichat.tui.chat_view import ChatView
from tuichat.tui.conversations import Conversation
from tuichat.tui.join_requests import JoinRequests
from tuichat.tui.link import Refused
from tuichat.tui.message_log import MessageLog
from tuichat.tui.roster import Roster
from tuichat.tui.view_host import ViewHost


class ChatHost(ViewHost, Protocol):
    """The chat screen as its events and commands see it."""

    server_software: str
    """What the server said it runs, from its ``welcome``."""
    last_private: str
    """Who last wrote to us privately: ``/reply`` answers them."""

    @property
    def session(self) -> ClientSession: ...

    @property
    def view(self) -> ChatView: ...

    @property
    def joins(self) -> JoinRequests: ...

    @property
    def extensions(self) -> frozenset[str]: ...

    @property
    def log_view(self) -> MessageLog:
        """The log shown."""
        ...

    @property
    def roster(self) -> Roster:
        """Who is in the conversation shown."""
        ...

    def tell(self, text: str, *, error: bool = False, item: Conversation | None = None) -> None:
        """Say something in the client's own voice (an error keeps the typed line)."""
        ...

    def request(self, ask: Callable[[Connection], object]) -> bool:
        """Ask the server through the live connection; False (and said) if there is none."""
        ...

    def sendable(self, text: str, usage: str = "") -> bool:
        """True if ``text`` may be sent as a chat line; otherwise say why."""
        ...

    def say(self, text: str) -> None:
        """Send a chat line to the conversation shown."""
        ...

    def welcomed(self) -> None:
        """A session began, or our name changed: show what the server speaks."""
        ...

    def end_for_good(self, event: Refused) -> None:
        """The link stopped for good: say why, offer to join again."""
        ...

    def show_banner(self, text: str) -> None: ...

    def hide_banner(self) -> None: ...

    def show_help(self) -> None: ...

    def toggle_debug(self) -> None: ...

    def action_quit(self) -> None: ...
