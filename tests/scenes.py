"""Scenes of the real app against a real server, for snapshot tests and screenshots.

Each scene starts a server on free loopback ports with a seeded history (fixed times), puts
a second user in the room with a hand-drawn avatar, and opens the app as alice. Times are
shown in UTC and client-side lines use a fixed clock, so the pictures are the same every
run. ``scripts/screenshots.py`` saves the same scenes as SVGs.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from textual.pilot import Pilot

from tests.tui_helpers import FIXED_NOW, chat, make_app, on_chat, until
from tuichat.net.client import Connection
from tuichat.net.frames import CONSOLE
from tuichat.server.app import Server
from tuichat.server.config import ServerConfig
from tuichat.server.store.history import History
from tuichat.tui.app import TuichatApp
from tuichat.tui.avatars import AvatarDiskCache
from tuichat.tui.composer import Composer
from tuichat.tui.debug_pane import DebugPane
from tuichat.tui.settings import Settings

ADMIN_PASSWORD = "scene admin password"
Prepare = Callable[[Pilot[Any]], Awaitable[None]]
START = FIXED_NOW - 3_600.0
"""The first seeded message: an hour before the client-side clock."""

CONVERSATION: tuple[tuple[float, str, str], ...] = (
    (0, CONSOLE, "Welcome to tuichat! Be kind; admins can save and load the history."),
    (60, "bob", "morning all"),
    (75, "bob", "the build is green again: https://ci.example.org/builds/1432"),
    (200, "carol", "nice. alice, did the avatar cache fix land?"),
    (260, "alice", "it did: avatars are keyed by hash now, so a changed picture\n"
                   "is never shown stale."),
    (290, "alice", "and they render as half-block pixel art, 8x8 in 8 columns"),
    (900, "carol", "日本語もちゃんと折り返されます (wide characters wrap correctly)"),
    (1_500, CONSOLE, "History saved as chat-20251124-152500.txt (7 messages)."),
    (1_800, "bob", "lunch?"),
)

BUSY_ROOM: tuple[tuple[float, str, str], ...] = tuple(
    (offset * 20.0, sender, text) for offset, (sender, text) in enumerate((
        (CONSOLE, "Welcome to tuichat! Be kind; admins can save and load the history."),
        ("bob", "morning all"),
        ("carol", "morning! coffee first"),
        ("dave", "o/"),
        ("erin", "hi everyone"),
        ("bob", "the build is green again: https://ci.example.org/builds/1432"),
        ("carol", "nice. alice, did the avatar cache fix land?"),
        ("alice", "it did, keyed by hash now"),
        ("alice", "so a changed picture is never shown stale"),
        ("frank", "is the release still on for friday?"),
        ("dave", "yes, unless the tests say no"),
        ("erin", "I can review the notes after lunch"),
        ("grace", "has anyone seen the new compact layout?"),
        ("bob", "trying it now: /compact"),
        ("heidi", "one row per message, much denser"),
        ("carol", "and the pictures are still there, two cells wide"),
        ("frank", "nice"),
        ("grace", "works at 80x24 over ssh too"),
        ("dave", "lunch?"),
        ("erin", "yes please"),
    ))
)
"""A busy room of one-line messages from many senders, for the compact layout."""

BOB_PIXELS = (
    "..yyyy..",
    ".yyyyyy.",
    "yybyybyy",
    "yyyyyyyy",
    "yrryyrry",
    "yyrrrryy",
    ".yyyyyy.",
    "..yyyy..",
)
PALETTE = {".": (0, 0, 0, 0), "y": (250, 204, 21, 255), "b": (30, 30, 30, 255),
           "r": (200, 40, 40, 255)}


def bob_avatar() -> bytes:
    """An 8x8 smiley, drawn pixel by pixel, as PNG."""
    image = Image.new("RGBA", (8, 8))
    image.putdata([PALETTE[pixel] for row in BOB_PIXELS for pixel in row])
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@contextmanager
def utc() -> Iterator[None]:
    """Show times in UTC while the block runs."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


@dataclass
class Scene:
    """A running server with bob in it, and the app to show."""

    server: Server
    bob: Connection
    app: TuichatApp

    def close(self) -> None:
        self.bob.close()
        self.server.stop()
        self.server.wait(10)


def seed_history(data_dir: Path,
                 conversation: tuple[tuple[float, str, str], ...] = CONVERSATION) -> None:
    history = History(data_dir / "history.sqlite3")
    try:
        for offset, sender, text in conversation:
            history.append(sender, text, None, ts=START + offset)
    finally:
        history.close()


def open_scene(workdir: Path,
               conversation: tuple[tuple[float, str, str], ...] = CONVERSATION,
               **options: Any) -> Scene:
    """Start the server and bob; the app (alice, with settings ``options``) is built but
    not yet running."""
    data_dir = workdir / "server"
    seed_history(data_dir, conversation)
    server = Server(ServerConfig(host="127.0.0.1", port_send=0, port_recv=0, port_image=0,
                                 data_dir=data_dir, admin_password=ADMIN_PASSWORD))
    server.start()
    ports = server.ports
    bob = Connection.open("127.0.0.1", "bob", port_send=ports.send, port_recv=ports.recv,
                          port_image=ports.image, timeout=10)
    bob.upload_avatar(bob_avatar()).result(10)
    app = make_app(server, "alice", workdir, **options)
    return Scene(server, bob, app)


async def settled(pilot: Pilot[Any]) -> None:
    """Wait until alice is in, and every avatar on screen has arrived."""
    await _arrived(pilot, console=True)


async def settled_busy(pilot: Pilot[Any]) -> None:
    """As ``settled`` for the busy room, whose Console line is out of view (so its
    picture is never asked for)."""
    await _arrived(pilot, console=False)


async def _arrived(pilot: Pilot[Any], *, console: bool) -> None:
    app = pilot.app
    assert isinstance(app, TuichatApp)
    await until(pilot, lambda: on_chat(app), "alice joined")
    bob_sha = hashlib.sha256(bob_avatar()).hexdigest()
    await until(pilot, lambda: app.book.knows(bob_sha), "bob's avatar")
    await until(pilot, lambda: not console or (app.book.console_avatar is not None
                and app.book.knows(app.book.console_avatar)), "the Console avatar")
    await until(pilot, lambda: any(member.avatar for member in chat(app).roster
                                   if member.name == "alice"), "alice's own avatar")
    await pilot.pause()


async def with_debug_pane(pilot: Pilot[Any]) -> None:
    """The busy chat with the debug pane open, showing one command and its reply."""
    await settled(pilot)
    app = pilot.app
    assert isinstance(app, TuichatApp)
    screen = chat(app)
    await pilot.press("f2")
    screen.query_one(DebugPane).clear()
    app.debug_backlog.clear()
    screen.query_one(Composer).insert("admin -h")
    await pilot.press("enter")
    await until(pilot, lambda: any("Admin commands:" in entry.text
                                   for entry in screen.log_view.entries), "the reply")
    await pilot.pause()


FEATURES_MARKDOWN = (
    "deploy checklist:\n- run `make test`\n- tag **v0.2**\n"
    "```python\nprint(\"shipped :rocket:\")\n```"
)


def with_features(bob: Connection) -> Prepare:
    """The busy chat after bob's emote, a private line (waiting in bob's private entry),
    Markdown and an away; alice has switched times off (live messages carry the server's
    clock) and searches the room."""

    async def prepare(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        app = pilot.app
        assert isinstance(app, TuichatApp)
        screen = chat(app)
        screen.run_line("/timestamp off")
        bob.say("stretches and grabs a coffee :coffee:", action=True)
        bob.private("alice", "psst: the _release_ is tomorrow, keep it quiet")
        bob.say(FEATURES_MARKDOWN)
        bob.away("lunch, back at 2")
        await until(pilot, lambda: any(entry.text == FEATURES_MARKDOWN
                                       for entry in screen.log_view.entries), "bob's lines")
        await until(pilot, lambda: any(member.away for member in screen.roster), "bob away")
        await until(pilot, lambda: screen.view.conversations.get("bob") is not None,
                    "bob's private entry")
        screen.run_line("/search coffee")
        await pilot.pause()

    return prepare


def in_private(bob: Connection) -> Prepare:
    """Alice in her private conversation with bob: his line, her answer, and a search; times
    are off, since live private lines carry the server's clock."""

    async def prepare(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        app = pilot.app
        assert isinstance(app, TuichatApp)
        screen = chat(app)
        screen.run_line("/timestamp off")
        bob.private("alice", "psst: the _release_ is tomorrow, keep it quiet")
        await until(pilot, lambda: screen.view.conversations.get("bob") is not None,
                    "bob's private entry")
        await pilot.press("ctrl+n")
        screen.run_line("not a word, promise")  # plain text goes privately, to bob
        await until(pilot, lambda: any(entry.text == "not a word, promise"
                                       for entry in screen.log_view.entries), "our copy")
        screen.run_line("/search release")
        await pilot.pause()

    return prepare


def connect_app(workdir: Path) -> TuichatApp:
    """The connect screen, filled from remembered values (no server needed)."""
    settings = Settings(name="alice", host="chat.example.org")
    home = workdir / "client-connect"
    home.mkdir(parents=True, exist_ok=True)
    return TuichatApp(settings, connect_now=False, avatar_cache=AvatarDiskCache(home / "cache"),
                      cwd=home, clock=lambda: FIXED_NOW)


