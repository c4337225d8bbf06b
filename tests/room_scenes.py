"""A busy room list, for the rooms snapshots and ``screenshots/rooms.svg``.

The server is the rooms stand-in (``tests/rooms_server.py``) with a fixed clock: four
rooms with their people and histories, alice in three of them and in two private
conversations, and messages waiting where she is not looking. Times are shown in UTC
(``scenes.utc``), so the pictures are the same every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.rooms_server import START, RoomsServer
from tests.tui_helpers import FIXED_NOW, chat, make_app, on_chat, type_line, until
from tuichat.tui.app import TuichatApp
from tuichat.tui.composer import Composer

LOBBY = [("bob", "morning all"), ("carol", "morning! coffee first"), ("dave", "o/"),
         ("erin", "hi everyone")]
DEV = [("carol", "the release is still on for friday"),
       ("frank", "unless the tests say no"),
       ("carol", "CI is green: https://ci.example.org/builds/1432"),
       ("frank", "then I tag v0.3 after lunch")]
DEV_TOPIC = "release friday · tests first"


@dataclass
class RoomsScene:
    """The stand-in server and the app (alice), not yet running."""

    server: RoomsServer
    app: TuichatApp

    def close(self) -> None:
        self.server.stop()


def open_rooms_scene(workdir: Path, **options: Any) -> RoomsScene:
    """The rooms and their people; alice's app is built, not yet run."""
    server = RoomsServer(clock=lambda: FIXED_NOW - 60)
    for name in ("bob", "carol", "dave", "erin"):
        server.add_user("#lobby", name)
    server.seed("#lobby", LOBBY)
    for name in ("carol", "frank"):
        server.add_user("#dev", name)
    server.seed("#dev", DEV)
    server.rooms["#dev"].topic = DEV_TOPIC
    server.add_user("#random", "grace")
    server.seed("#random", [("grace", "anyone seen the new compact layout?")])
    server.add_user("#ops", "heidi")
    return RoomsScene(server, make_app(server, "alice", workdir, **options))


def busy_rooms(scene: RoomsScene) -> Any:
    """Alice in #lobby, #dev, #random and #ops, with erin and bob in private; messages
    wait in the rooms not shown; #dev is shown."""

    async def prepare(pilot: Pilot[Any]) -> None:
        app, server = scene.app, scene.server
        assert isinstance(app, TuichatApp)
        await until(pilot, lambda: on_chat(app), "alice joined")
        for room in ("#dev", "#random", "#ops"):
            await type_line(pilot, f"/join {room}")
            await until(pilot, partial(_shows, app, room), room)
        for sender, text in (("erin", "lunch at noon?"), ("bob", "alice, got a minute?")):
            server.push("alice", {"type": "private", "from": sender, "to": "alice",
                                  "text": text, "ts": FIXED_NOW - 30, "avatar": None})
        await type_line(pilot, "/window #dev")
        for sender, text in (("bob", "who broke the build?"), ("dave", "not me"),
                             ("erin", "alice: can you look at the flaky test?")):
            server.say_as(sender, "#lobby", text, ts=START + 1_800)
        server.say_as("grace", "#random", "lunch?", ts=START + 1_900)
        server.say_as("carol", "#dev", "frank: tag it once alice says ok", ts=START + 2_000)
        view = chat(app).view
        await until(pilot, lambda: sum(item.unread for item in view.conversations) == 6,
                    "the messages waiting")
        await until(pilot, lambda: any(member.avatar for member in chat(app).roster
                                       if member.name == "alice"), "alice's own picture")
        chat(app).query_one(Composer).cursor_blink = False  # drawn the same at any moment
        await pilot.pause()

    return prepare


def _shows(app: TuichatApp, room: str) -> bool:
    return chat(app).view.current_room == room
