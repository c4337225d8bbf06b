"""Rooms in the real app against the real server: what the issue's "done means" asks of
the client. A user joins #dev, talks there without disturbing #lobby, sees #lobby's unread
count rise and switches back with a key; topics and /rooms come from the server; a
restart loses nothing in any room; a join the server refuses is not left waiting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.conftest import WAIT, ClientFactory, ServerFactory, matching
from tests.tui_helpers import chat, log_texts, make_app, on_chat, type_line, until
from tuichat.server.app import Server
from tuichat.tui.app import TuichatApp
from tuichat.tui.room_list import RoomList, RoomRow

SIZE = (100, 30)


async def joined_with_rooms(pilot: Pilot[Any], app: TuichatApp) -> None:
    """Joined, and the server names the rooms extension (else a failure that says so)."""
    await until(pilot, lambda: on_chat(app), f"{app.settings.name} joined")
    assert "rooms" in chat(app).extensions, \
        "the server does not name the rooms extension in its welcome"


async def into(pilot: Pilot[Any], app: TuichatApp, room: str) -> None:
    await type_line(pilot, f"/join {room}")
    await until(pilot, lambda: chat(app).view.current_room == room, f"{room} shown")


def rows(app: TuichatApp) -> list[RoomRow]:
    return list(chat(app).query_one(RoomList).rows)


async def test_talk_in_a_room_stays_there_and_the_lobby_count_rises(
        server: Server, join: ClientFactory, tmp_path: Path) -> None:
    bot = join("bot")  # knows only the original contract
    alice, bob = make_app(server, "alice", tmp_path), make_app(server, "bob", tmp_path)
    async with alice.run_test(size=SIZE) as pa, bob.run_test(size=SIZE) as pb:
        await joined_with_rooms(pa, alice)
        await until(pb, lambda: on_chat(bob), "bob joined")
        await into(pa, alice, "#dev")
        await type_line(pa, "only for #dev")
        await until(pa, lambda: "only for #dev" in log_texts(alice), "said in #dev")
        await type_line(pb, "alice: lunch?")
        await until(pa, lambda: rows(alice)[0] == RoomRow("#lobby", 1, 1), "#lobby counts")
        assert "only for #dev" not in log_texts(bob)
        assert not bot.inbox.all(matching("message", text="only for #dev"))
        assert not bot.inbox.all(lambda frame: "room" in frame)  # the contract, unchanged
        await pa.press("alt+up")
        assert chat(alice).view.current_room == "#lobby"
        assert "alice: lunch?" in log_texts(alice)
        assert rows(alice) == [RoomRow("#lobby", current=True), RoomRow("#dev")]


async def test_topics_and_the_list_of_rooms_come_from_the_server(
        server: Server, tmp_path: Path) -> None:
    alice, bob = make_app(server, "alice", tmp_path), make_app(server, "bob", tmp_path)
    async with alice.run_test(size=SIZE) as pa, bob.run_test(size=SIZE) as pb:
        await joined_with_rooms(pa, alice)
        await until(pb, lambda: on_chat(bob), "bob joined")
        await into(pa, alice, "#dev")
        await into(pb, bob, "#dev")
        await type_line(pa, "/topic release friday")
        await until(pb, lambda: "alice set the topic: release friday" in log_texts(bob),
                    "bob sees the topic change")
        assert str(chat(bob).query_one("#topic").render()) == "#dev · release friday"
        await type_line(pb, "/rooms")
        await until(pb, lambda: any(text.startswith("2 rooms") for text in log_texts(bob)),
                    "the rooms")
        listed = next(text for text in log_texts(bob) if text.startswith("2 rooms"))
        assert "#dev (2 here): release friday" in listed.splitlines()
        await type_line(pb, "/part")
        await until(pa, lambda: "bob left the room" in log_texts(alice), "bob parted")


async def test_a_restart_misses_nothing_in_any_room(make_server: ServerFactory,
                                                   tmp_path: Path) -> None:
    first = make_server()
    ports, data_dir = first.ports, first.config.data_dir
    app = make_app(first, "alice", tmp_path, reconnect_delay=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await joined_with_rooms(pilot, app)
        await into(pilot, app, "#dev")
        await type_line(pilot, "before the restart")
        await until(pilot, lambda: "before the restart" in log_texts(app), "said")
        first.stop()
        assert first.wait(WAIT)
        await until(pilot, lambda: chat(app).state == "reconnecting", "lost")
        second = make_server(port_send=ports.send, port_recv=ports.recv,
                             port_image=ports.image, data_dir=data_dir)
        talker = make_app(second, "bob", tmp_path)
        async with talker.run_test(size=SIZE) as pb:
            await until(pb, lambda: on_chat(talker), "bob joined")
            await into(pb, talker, "#dev")
            await type_line(pb, "while alice was away")
            await until(pb, lambda: "while alice was away" in log_texts(talker), "said")
            await pilot.press("ctrl+r")
            await until(pilot, lambda: "while alice was away" in log_texts(app),
                        "the message missed in #dev")
        assert chat(app).view.current_room == "#dev"
        assert log_texts(app).count("before the restart") == 1


async def test_a_refused_join_waits_no_more_and_the_joins_around_it_are_shown(
        make_server: ServerFactory, tmp_path: Path) -> None:
    server = make_server(max_rooms_per_user=2)  # #lobby and one more
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined_with_rooms(pilot, app)
        await type_line(pilot, "/join #dev")
        await type_line(pilot, "/join #ops")  # refused: alice is in 2 rooms by then
        await until(pilot, lambda: any(text.startswith("Room not joined: you are in 2 rooms")
                                       for text in log_texts(app)), "the refusal")
        assert chat(app).joins.waiting == ()  # the refusal answered the join of #ops
        assert chat(app).view.current_room == "#dev"
        assert [row.key for row in rows(app)] == ["#lobby", "#dev"]
        await type_line(pilot, "/part")
        await until(pilot, lambda: chat(app).view.current_room == "#lobby", "#dev left")
        await into(pilot, app, "#ops")
        assert chat(app).joins.waiting == ()
