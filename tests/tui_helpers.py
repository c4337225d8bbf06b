"""Helpers for tests that drive the real Textual app against a real server."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from textual._xterm_parser import XTermParser
from textual.app import App
from textual.pilot import Pilot

from tests.conftest import WAIT
from tuichat.net.tls import KnownHosts
from tuichat.tui.app import TuichatApp
from tuichat.tui.avatars import AvatarDiskCache
from tuichat.tui.chat_screen import ChatScreen
from tuichat.tui.composer import Composer
from tuichat.tui.connect_screen import ConnectScreen
from tuichat.tui.debug_pane import DebugPane
from tuichat.tui.render_turns import RenderTurns
from tuichat.tui.settings import Settings

FIXED_NOW = 1_764_000_000.0
"""2025-11-24 16:00:00 UTC: the clock of client-side lines, so snapshots are stable."""


class Ports(Protocol):
    """The three ports of a server."""

    @property
    def send(self) -> int: ...
    @property
    def recv(self) -> int: ...
    @property
    def image(self) -> int: ...


class Served(Protocol):
    """Anything with a server's three ports: ``Server``, ``ServerProcess``, the rooms
    stand-in."""

    @property
    def ports(self) -> Ports: ...


def settings_for(server: Served, name: str, **options: Any) -> Settings:
    ports = server.ports
    return Settings(name=name, host="127.0.0.1", port_send=ports.send, port_recv=ports.recv,
                    port_image=ports.image, **options)


def make_app(server: Served, name: str, tmp_path: Path, *, connect_now: bool = True,
             reconnect_delay: float = 0.05, known_hosts: KnownHosts | None = None,
             served: bool = False, render_turns: RenderTurns | None = None,
             **options: Any) -> TuichatApp:
    """An app joining ``server`` as ``name``, with its own caches under tmp_path;
    ``served``: as the SSH door runs it (with the sessions' ``render_turns``)."""
    home = tmp_path / f"client-{name or 'nobody'}"
    home.mkdir(parents=True, exist_ok=True)
    return TuichatApp(settings_for(server, name, **options), connect_now=connect_now,
                      avatar_cache=AvatarDiskCache(home / "cache"), cwd=home,
                      reconnect_delay=reconnect_delay, clock=lambda: FIXED_NOW,
                      known_hosts=known_hosts or KnownHosts(home / "known_hosts"),
                      ignore_file=home / "ignored.json", served=served,
                      render_turns=render_turns)


async def until(pilot: Pilot[Any], predicate: Callable[[], object], what: str) -> None:
    """Let the app run until ``predicate()`` holds; fail after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.01)


def chat(app: App[Any]) -> ChatScreen:
    screen = app.screen
    assert isinstance(screen, ChatScreen), f"not on the chat screen: {screen!r}"
    return screen


def on_chat(app: TuichatApp) -> bool:
    return isinstance(app.screen, ChatScreen) and app.screen.state == "connected"


def showing_error(app: TuichatApp) -> bool:
    """The connect screen is up, mounted, and shows its error line."""
    screen = app.screen
    if not isinstance(screen, ConnectScreen):
        return False
    errors = screen.query("#connect-error")
    return bool(errors) and errors.first().display

def log_text(app: TuichatApp) -> str:
    """Everything in the message log, as plain text rows joined by newlines."""
    return "\n".join(chat(app).log_view.plain_lines())


def log_texts(app: TuichatApp) -> list[str]:
    """The text of every log entry."""
    return [entry.text for entry in chat(app).log_view.entries]


def screen_text(app: App[Any]) -> str:
    """The characters on screen now (from Textual's own screenshot), one row a line."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def debug_text(app: TuichatApp) -> str:
    """The debug record, one line per frame or log record."""
    return "\n".join(line for _, line, _ in app.debug_backlog)


def pane_text(app: TuichatApp) -> str:
    """What the debug pane shows (wrapped rows, so long lines are split)."""
    pane = chat(app).query_one(DebugPane)
    return "".join(line.text.strip() for line in pane.lines)


async def type_line(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` into the entry box (over what is selected, as typing does) and press
    Enter."""
    composer = chat(pilot.app).query_one(Composer)
    composer.focus()
    await pilot.pause()
    composer.replace(text, *composer.selection)
    await pilot.press("enter")


def burst(app: App[Any], *chunks: str) -> None:
    """Deliver terminal input as a laggy link does: each chunk is read by Textual's own
    parser as one read of the terminal, and every key and paste it yields is queued at
    once, with no pause for the app to catch up in between (``pilot.press`` waits after
    each key, which hides what goes wrong in a burst)."""
    parser = XTermParser()
    for chunk in chunks:
        for event in parser.feed(chunk):
            event.set_sender(app)
            app.post_message(event)
