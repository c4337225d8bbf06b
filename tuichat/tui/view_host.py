"""What the chat view needs of the screen it draws for: settings, the session's state as
shown, the avatar book and the app (its size, focus and bell).

``ChatView`` is typed against this Protocol, not against ``ChatScreen``, so the view does
not import the screen that composes it (no import cycle); ``ChatScreen`` satisfies it.
What the events and the commands need besides is ``chat_host.ChatHost``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from textual.app import App

from tuichat.tui.avatar_book import AvatarBook
from tuichat.tui.ignore import IgnoreList
from tuichat.tui.link import Target
from tuichat.tui.settings import Settings


class ViewHost(Protocol):
    """The chat screen as its view sees it."""

    state: str
    """``connecting``, ``connected``, ``reconnecting`` or ``refused``."""
    cause: str
    """Why the session stopped, as the status line puts it."""
    tls_fingerprint: str | None
    quiet: bool
    """``/quiet``: room events are not logged."""

    @property
    def settings(self) -> Settings: ...

    @property
    def ignored(self) -> IgnoreList | None: ...

    @property
    def book(self) -> AvatarBook: ...

    @property
    def target(self) -> Target: ...

    @property
    def clock(self) -> Callable[[], float]: ...

    @property
    def app(self) -> App[object]: ...

    @property
    def me(self) -> str: ...

    @property
    def admin(self) -> bool: ...

    @property
    def rooms_mode(self) -> bool:
        """True when the server speaks rooms: the room list and the topic show."""
        ...

    def has_class(self, *class_names: str) -> bool:
        """True if the screen has all these CSS classes (``narrow``, ``debugging``)."""
        ...
