"""Rooms in the real app: the room list and its counts, the keys that switch, private
conversations, /join /part /rooms /topic, what is sent where, and rejoining.

These drive the real app, link and connection against ``RoomsServer``, a stand-in
speaking the rooms frames over loopback sockets (``tests/rooms_server.py``), so a test
can script the server's side: frames pushed at will, members who are not connected.
``test_tui_rooms_live.py`` drives the app against the real server. A server that does
not name the extension gets the app as it always was (the real server, told to leave
``rooms`` out of its welcome).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from tests.conftest import ServerFactory
from tests.rooms_server import RoomsServer
from tests.system import needs
from tests.test_tmux_input import Tmux
from tests.tui_helpers import (
    chat,
    debug_text,
    log_texts,
    make_app,
    on_chat,
    type_line,
    until,
)
from tuichat.server.doors.native.greetings import EXTENSIONS
from tuichat.tui.app import TuichatApp
from tuichat.tui.composer import Composer
from tuichat.tui.key_bar import KeyBar
from tuichat.tui.room_list import RoomList, RoomRow
from tuichat.tui.user_list import UserList

SIZE = (100, 30)


@pytest.fixture
def rooms() -> Iterator[RoomsServer]:
    """The stand-in, with bob in #lobby and carol in #dev, each room with a history."""
    server = RoomsServer()
    server.add_user("#lobby", "bob")
    server.seed("#lobby", [("bob", "morning all")])
    server.add_user("#dev", "carol")
    server.seed("#dev", [("carol", "release friday?"), ("carol", "tests are green")])
    yield server
    server.stop()


def rows(app: TuichatApp) -> list[RoomRow]:
    return list(chat(app).query_one(RoomList).rows)


def shown(app: TuichatApp) -> str:
    return chat(app).view.conversations.current.key


def topic_line(app: TuichatApp) -> str:
    return str(chat(app).query_one("#topic").render())


async def joined(pilot: Pilot[Any], app: TuichatApp) -> None:
    await until(pilot, lambda: on_chat(app), f"{app.settings.name} joined")


async def in_dev(pilot: Pilot[Any], app: TuichatApp) -> None:
    """Join, then /join dev, and wait until #dev is shown."""
    await joined(pilot, app)
    await type_line(pilot, "/join dev")
    await until(pilot, lambda: shown(app) == "#dev", "#dev shown")


async def test_joining_a_room_shows_it_with_its_history_members_and_topic(
        rooms: RoomsServer, tmp_path: Path) -> None:
    rooms.rooms["#dev"].topic = "release friday"
    app = make_app(rooms, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        assert [row.key for row in rows(app)] == ["#lobby"]
        assert topic_line(app) == "#lobby · no topic (/topic TEXT sets one)"
        await in_dev(pilot, app)
        rooms.wait_for("join_room", room="#dev")
        assert rows(app) == [RoomRow("#lobby"), RoomRow("#dev", current=True)]
        assert topic_line(app) == "#dev · release friday"
        said = [entry.text for entry in chat(app).log_view.entries if entry.sender == "carol"]
        assert said == ["release friday?", "tests are green"]
        assert chat(app).query_one(UserList).shown_names == ["alice", "carol"]
        assert "morning all" not in log_texts(app)  # #lobby's history stays in #lobby
        await type_line(pilot, "/join #DEV")  # already in: just shown
        assert len(rooms.sent("join_room")) == 1


async def test_a_long_topic_is_cut_on_its_line_and_told_in_the_status_line_when_compact(
        rooms: RoomsServer, tmp_path: Path) -> None:
    rooms.rooms["#dev"].topic = "release friday, then the long weekend: " + "tests green " * 8
    app = make_app(rooms, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await in_dev(pilot, app)
        await pilot.pause()
        drawn = [strip.text for strip in app.screen._compositor.render_strips()]
        assert drawn[1].startswith(" #dev · release friday, then the long weekend: tests")
        assert drawn[1].partition("▏")[0].rstrip().endswith("…")  # cut before the side column
        status = chat(app).query_one("#status")
        assert "#dev" not in str(status.render())  # the topic line says it
        await pilot.resize_terminal(80, 24)  # the compact layout: no topic line
        await until(pilot, lambda: not chat(app).query_one("#topic").display, "no topic line")
        line = str(status.render())
        assert line == "alice @ 127.0.0.1 · connected · #dev “release friday, then the lon…” · " \
            "2 users"  # as wide as the line (80 columns, padded by one each side)

async def test_counts_rise_only_for_rooms_not_shown_and_switching_clears_them(
        rooms: RoomsServer, tmp_path: Path) -> None:
    app = make_app(rooms, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await in_dev(pilot, app)
        rooms.say_as("bob", "#lobby", "anyone around?")
        rooms.say_as("bob", "#lobby", "alice: the build is yours")
        rooms.say_as("carol", "#dev", "shown here, so not counted")
        await until(pilot, lambda: rows(app)[0] == RoomRow("#lobby", 2, 1), "#lobby's counts")
        assert rows(app)[1] == RoomRow("#dev", current=True)
        assert "↓" not in str(chat(app).query_one("#status").render())
        assert "shown here, so not counted" in log_texts(app)
        await pilot.press("alt+up")
        assert shown(app) == "#lobby"
        assert rows(app) == [RoomRow("#lobby", current=True), RoomRow("#dev")]
        assert "alice: the build is yours" in log_texts(app)


async def test_keys_step_through_the_list_and_wrap_around(rooms: RoomsServer,
                                                          tmp_path: Path) -> None:
    app = make_app(rooms, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await in_dev(pilot, app)
        await type_line(pilot, "/query bob")
        assert [row.key for row in rows(app)] == ["#lobby", "#dev", "bob"]
        assert shown(app) == "bob"
        await pilot.press("ctrl+n")
        assert shown(app) == "#lobby"  # round to the first
        await pilot.press("alt+down")
        assert shown(app) == "#dev"
        await pilot.press("alt+up", "alt+up")
        assert shown(app) == "bob"
        await pilot.press("alt+1")
        assert shown(app) == "#lobby"
        await type_line(pilot, "/window 2")
        assert shown(app) == "#dev"
        await type_line(pilot, "/win bob")
        assert shown(app) == "bob"
        await type_line(pilot, "/window 7")
        assert "No conversation 7 in the room list." in log_texts(app)
        bar = str(chat(app).query_one(KeyBar).render())
        assert "^n Next" in bar and "alt+↑ Prev" in bar and "f4 Rooms" in bar


async def test_private_messages_go_to_their_own_entry_not_the_room(
        rooms: RoomsServer, tmp_path: Path) -> None:
    app = make_app(rooms, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        rooms.push("alice", {"type": "private", "from": "bob", "to": "alice",
                             "text": "psst, alice", "ts": 1.0, "avatar": None})
        await until(pilot, lambda: len(rows(app)) == 2, "bob's entry")
        assert rows(app)[1] == RoomRow("bob", 1, 1)
        assert "psst, alice" not in log_texts(app)
        await pilot.press("ctrl+n")
        assert shown(app) == "bob" and "psst, alice" in log_texts(app)
        assert topic_line(app) == "bob · private conversation (/part closes it)"
        assert chat(app).query_one(UserList).shown_names == ["alice", "bob"]
        await type_line(pilot, "see you at lunch")  # plain text goes privately, to bob
        sent = rooms.wait_for("private", to="bob")
        assert sent["text"] == "see you at lunch" and "room" not in sent
        await until(pilot, lambda: "see you at lunch" in log_texts(app), "our copy, here")
        await type_line(pilot, "/me waves")
        assert "Not sent: /me works in rooms" in log_texts(app)[-1]
        await type_line(pilot, "/part")  # closes the entry
        assert [row.key for row in rows(app)] == ["#lobby"] and shown(app) == "#lobby"
        await type_line(pilot, "/msg dave are you coming?")  # opens dave's, stays here
        await until(pilot, lambda: [row.key for row in rows(app)] == ["#lobby", "dave"],
                    "dave's entry")
        assert shown(app) == "#lobby"
        await type_line(pilot, "/query alice")
        assert "You cannot have a private conversation with yourself." in log_texts(app)


async def test_a_private_entry_follows_a_rename_and_ignored_users_open_none(
        rooms: RoomsServer, tmp_path: Path) -> None:
    app = make_app(rooms, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        await type_line(pilot, "/query bob")
        rooms.push("alice", {"type": "leave", "name": "bob", "reason": "quit",
                             "renamed_to": "robert"})
        rooms.push("alice", {"type": "join", "name": "robert", "avatar": None,
                             "admin": False, "away": None, "renamed_from": "bob"})
        await until(pilot, lambda: shown(app) == "robert", "the entry renamed")
        assert [row.key for row in rows(app)] == ["#lobby", "robert"]
        await type_line(pilot, "/ignore dave")
        rooms.push("alice", {"type": "private", "from": "dave", "to": "alice",
                             "text": "buy my stuff", "ts": 1.0, "avatar": None})
        rooms.push("alice", {"type": "notice", "text": "after dave", "level": "info"})
        await until(pilot, lambda: "after dave" in log_texts(app), "the next frame")
        assert [row.key for row in rows(app)] == ["#lobby", "robert"]


async def test_chat_and_admin_lines_carry_the_room_they_are_typed_in(
        rooms: RoomsServer, tmp_path: Path) -> None:
    app = make_app(rooms, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        await type_line(pilot, "in the lobby")
        assert "room" not in rooms.wait_for("say", text="in the lobby")  # the default room
        await type_line(pilot, "/join dev")
        await until(pilot, lambda: shown(app) == "#dev", "#dev shown")
        await type_line(pilot, "in dev")
        assert rooms.wait_for("say", text="in dev")["room"] == "#dev"
        await type_line(pilot, "/me ships it")
        assert rooms.wait_for("say", text="ships it")["room"] == "#dev"
        await type_line(pilot, "admin -s")
        assert rooms.wait_for("command", line="admin -s")["room"] == "#dev"
        await until(pilot, lambda: "ran 'admin -s' in #dev" in log_texts(app), "its reply")
        await until(pilot, lambda: "in dev" in log_texts(app), "the echo")
        assert rows(app) == [RoomRow("#lobby"), RoomRow("#dev", current=True)]  # ours


async def test_topic_rooms_and_part(rooms: RoomsServer, tmp_path: Path) -> None:
    app = make_app(rooms, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await in_dev(pilot, app)
        await type_line(pilot, "/topic")
        assert log_texts(app)[-1] == "#dev has no topic (/topic TEXT sets one)."
        await type_line(pilot, "/topic release friday")
        assert rooms.wait_for("topic", room="#dev")["text"] == "release friday"
        await until(pilot, lambda: topic_line(app) == "#dev · release friday", "topic shown")
        assert "alice set the topic: release friday" in log_texts(app)
        await type_line(pilot, "/topic")
        assert log_texts(app)[-1] == "The topic of #dev: release friday (set by alice)"
        await type_line(pilot, "/topic -")
        await until(pilot, lambda: "alice cleared the topic" in log_texts(app), "cleared")
        await type_line(pilot, "/rooms")
        await until(pilot, lambda: log_texts(app)[-1].startswith("2 rooms"), "the rooms")
        assert log_texts(app)[-1].splitlines()[1:] == ["#dev (2 here)", "#lobby (2 here)"]
        await type_line(pilot, "/part")
        rooms.wait_for("part_room", room="#dev")
        await until(pilot, lambda: shown(app) == "#lobby", "back in #lobby")
        assert [row.key for row in rows(app)] == ["#lobby"]
        assert "You left #dev." in log_texts(app)
        await type_line(pilot, "/part")
        assert "it is the only room you are in" in log_texts(app)[-1]
        assert chat(app).query_one(Composer).text == "/part"  # refused: kept to mend
        await type_line(pilot, "/join no spaces")
        await type_line(pilot, "/join #Bad!")
        assert log_texts(app)[-1].startswith("Room not joined: a room name holds only")
        assert len(rooms.sent("join_room")) == 1


async def test_tab_completes_room_names(rooms: RoomsServer, tmp_path: Path) -> None:
    app = make_app(rooms, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        composer = chat(app).query_one(Composer)
        await type_line(pilot, "/rooms")
        await until(pilot, lambda: log_texts(app)[-1].startswith("2 rooms"), "the rooms")
        await pilot.press(*"/join d", "tab")
        assert composer.text == "/join #dev "
        composer.text = ""
        await pilot.press(*"see #lo", "tab")
        assert composer.text == "see #lobby "


async def test_a_rejoin_asks_for_every_room_since_its_last_seq_and_parts_again(
        rooms: RoomsServer, tmp_path: Path) -> None:
    app = make_app(rooms, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await in_dev(pilot, app)
        await type_line(pilot, "/join random")
        await until(pilot, lambda: shown(app) == "#random", "#random shown")
        await type_line(pilot, "/window #lobby")
        await type_line(pilot, "/part")
        await until(pilot, lambda: shown(app) == "#dev", "#lobby left")
        rooms.drop("alice")
        await until(pilot, lambda: len(rooms.sent("hello")) == 2, "the rejoin's hello")
        hello = rooms.sent("hello")[1]
        dev, random = rooms.rooms["#dev"], rooms.rooms["#random"]
        assert hello["rooms"] == {"#dev": {"since": 2, "epoch": dev.epoch},
                                  "#random": {"since": 0, "epoch": random.epoch}}
        assert "since" not in hello  # #lobby was left: nothing to catch up on
        rooms.wait_for("part_room", count=2, room="#lobby")  # left again
        await until(pilot, lambda: "Reconnected to 127.0.0.1" in " ".join(log_texts(app)),
                    "reconnected")
        assert [row.key for row in rows(app)] == ["#dev", "#random"]
        dev_log = [entry.text for entry in chat(app).view.conversations.rooms[0].log.entries]
        assert dev_log.count("tests are green") == 1  # nothing shown twice


async def test_the_compact_layout_collapses_the_list_and_f4_opens_it(
        rooms: RoomsServer, tmp_path: Path) -> None:
    app = make_app(rooms, "alice", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await in_dev(pilot, app)
        rooms.say_as("bob", "#lobby", "alice: ping")
        room_list = chat(app).query_one(RoomList)
        await until(pilot, lambda: rows(app)[0].unread == 1, "counted")
        assert room_list.collapsed and room_list.size.height == 1
        assert str(room_list.render()).split() == ["#dev", "+1", "1", "@1"]
        await pilot.press("f4")
        await pilot.pause()
        assert not room_list.collapsed and room_list.size.height == 2
        await pilot.press("f4")
        assert room_list.collapsed
        await pilot.resize_terminal(50, 20)  # no room for the lists: the status line tells
        await until(pilot, lambda: "1 elsewhere, 1 for you" in str(
            chat(app).query_one("#status").render()), "the count in the status line")


async def test_a_malformed_frame_is_one_debug_line_and_is_dropped(
        rooms: RoomsServer, tmp_path: Path) -> None:
    app = make_app(rooms, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        before = log_texts(app)
        rooms.push("alice", {"type": "message", "seq": 9, "from": 5, "text": "bad"})
        rooms.push("alice", {"type": "room_joined", "room": "not a room"})
        rooms.push("alice", {"type": "notice", "text": "still here", "level": "info"})
        await until(pilot, lambda: "still here" in log_texts(app), "the next frame")
        assert log_texts(app) == [*before, "still here"]
        record = debug_text(app)
        assert "dropped a malformed 'message' frame from the server: from must be a string" \
            in record
        assert "dropped a malformed 'room_joined' frame" in record


async def test_without_the_rooms_extension_nothing_new_shows(
        make_server: ServerFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real server, naming every extension but rooms: an older server's welcome."""
    monkeypatch.setattr("tuichat.server.doors.native.greetings.EXTENSIONS",
                        tuple(name for name in EXTENSIONS if name != "rooms"))
    app = make_app(make_server(), "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        screen = chat(app)
        assert "rooms" not in screen.extensions and "private" in screen.extensions
        assert not screen.query_one(RoomList).display and not screen.query_one("#topic").display
        assert "Next" not in str(screen.query_one(KeyBar).render())
        await pilot.press("ctrl+n")
        assert len(screen.view.conversations) == 1
        await type_line(pilot, "/join dev")
        assert log_texts(app)[-1] == \
            "/join is not available: this server does not support it."


async def test_help_and_the_palette_offer_the_room_commands_and_keys(
        rooms: RoomsServer, tmp_path: Path) -> None:
    app = make_app(rooms, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"/join #ROOM", "/part [#ROOM]", "/rooms", "/topic [TEXT|-]", "/query NAME",
                "/window N|NAME"} <= titles
        await pilot.press("f1")
        await until(pilot, lambda: bool(app.screen.query("#help-text")), "the help")
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#help-text", Static).content)
        shown_help = console.export_text()
        for words in ("/join #ROOM", "ctrl+n / alt+down", "alt+up", "f4", "/window N|NAME"):
            assert words in shown_help, words


@needs("tmux", "tmux")
def test_the_switching_keys_arrive_through_tmux(rooms: RoomsServer, tmp_path: Path) -> None:
    """alt+up, alt+down, ctrl+n and F4 as tmux sends them (80x24, the compact layout, so
    the room list is the one row that names the room shown)."""
    ports = rooms.ports
    home = tmp_path / "home"
    client = Path(sys.executable).with_name("tuichat")
    command = [os.fspath(client), "--name", "alice", "--host", "127.0.0.1", "--no-remember",
               "--port-send", str(ports.send), "--port-recv", str(ports.recv),
               "--port-image", str(ports.image)]
    env = {"HOME": home, "XDG_CONFIG_HOME": home / "config", "XDG_STATE_HOME": home / "state",
           "XDG_CACHE_HOME": home / "cache", "XDG_DATA_HOME": home / "data"}
    tmux = Tmux(f"tuichat-rooms-{os.getpid()}")
    tmux.run("-f", "/dev/null", "new-session", "-d", "-s", "chat", "-x", "80", "-y", "24",
             *(part for key, value in env.items() for part in ("-e", f"{key}={value}")),
             *command)

    def showing(room: str) -> Callable[[str], bool]:
        """The room list's one row (right of the log, under the status) names ``room``."""
        return lambda screen: screen.splitlines()[1].rpartition("▏")[2].strip().startswith(room)

    try:
        tmux.wait_for(lambda screen: "connected" in screen.splitlines()[0], "joined")
        for room in ("dev", "ops"):
            tmux.run("send-keys", "-t", "chat", "-l", f"/join {room}\r")
            tmux.wait_for(showing(f"#{room}"), f"#{room} shown")
        for key, room in (("M-Up", "#dev"), ("M-Up", "#lobby"), ("C-n", "#dev"),
                          ("M-Down", "#ops"), ("M-Down", "#lobby")):
            tmux.run("send-keys", "-t", "chat", key)
            tmux.wait_for(showing(room), f"{key}: {room}")
        tmux.run("send-keys", "-t", "chat", "F4")
        screen = tmux.wait_for(lambda screen: "#ops" in screen.splitlines()[3], "the list")
        assert [line.rpartition("▏")[2].strip() for line in screen.splitlines()[1:4]] == [
            "#lobby", "#dev", "#ops"]
    finally:
        tmux.run("kill-server")
