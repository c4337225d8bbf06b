"""Room limits and settings through a real server: rooms per user, rooms in all, members
per room, who may make rooms and set topics, the default room's name, and the flags."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ADMIN_PASSWORD, ClientFactory, ServerFactory, matching
from tests.room_clients import (
    Sessions,
    join_room,
    list_rooms,
    notice_after,
    part_room,
    say_in,
    set_topic,
)
from tuichat.net.frames import Frame
from tuichat.server.cli import build_parser, config_from_args

REFUSED = "Room not joined: "


@pytest.fixture
def sessions() -> Iterator[Sessions]:
    with Sessions() as opened:
        yield opened


def _refused_join(notice: Frame) -> None:
    """Check that a notice is a refused join: error level, the documented start."""
    assert notice["level"] == "error"
    assert notice["text"].startswith(REFUSED), notice["text"]


def test_a_user_is_in_at_most_max_rooms_per_user_rooms(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    server = make_server(max_rooms_per_user=3)
    alice = join("alice", server)
    join_room(alice, "#a")
    join_room(alice, "#b")
    _refused_join(notice_after(alice, {"type": "join_room", "room": "#c"}))
    assert alice.inbox.all(matching("room_joined", room="#c")) == []
    part_room(alice, "#a")
    assert join_room(alice, "#c")["room"] == "#c"


def test_at_most_max_rooms_exist_and_existing_ones_can_still_be_joined(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    server = make_server(max_rooms=3)
    alice, bob = join("alice", server), join("bob", server)
    join_room(alice, "#a")
    join_room(alice, "#b")
    _refused_join(notice_after(bob, {"type": "join_room", "room": "#c"}))
    assert join_room(bob, "#a")["room"] == "#a"
    assert [room["room"] for room in list_rooms(bob)] == ["#a", "#b", "#lobby"]


def test_a_room_holds_at_most_max_room_members(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    server = make_server(max_room_members=2)
    alice, bob, carol = join("alice", server), join("bob", server), join("carol", server)
    join_room(alice, "#dev")
    join_room(bob, "#dev")
    _refused_join(notice_after(carol, {"type": "join_room", "room": "#dev"}))
    part_room(bob, "#dev")
    assert join_room(carol, "#dev")["room"] == "#dev"


def test_arriving_always_puts_one_in_the_default_room_whatever_its_members(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    """``hello`` lands everyone in the default room, as before rooms: only
    ``--max-clients`` bounds it on arrival."""
    server = make_server(max_room_members=2)
    join("alice", server)
    join("bob", server)
    carol = join("carol", server)
    assert [user["name"] for user in carol.conn.welcome["users"]] == ["alice", "bob", "carol"]


def test_with_rooms_admin_only_admins_make_rooms(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    server = make_server(room_creation="admin")
    bob = join("bob", server)
    _refused_join(notice_after(bob, {"type": "join_room", "room": "#dev"}))
    root = join("root", server, admin_password=ADMIN_PASSWORD)
    join_room(root, "#dev")
    assert join_room(bob, "#dev")["room"] == "#dev", "an existing room is open to all"


def test_with_topics_admin_only_admins_set_topics(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    server = make_server(topic_setting="admin")
    bob = join("bob", server)
    root = join("root", server, admin_password=ADMIN_PASSWORD)
    join_room(bob, "#dev")
    join_room(root, "#dev")
    refused = notice_after(bob, {"type": "topic", "room": "#dev", "text": "mine"})
    assert refused["level"] == "error"
    set_topic(root, "#dev", "release friday")
    assert bob.inbox.wait_for(matching("topic", room="#dev"))["by"] == "root"
    assert {"room": "#dev", "members": 2, "topic": "release friday"} in list_rooms(bob)


def test_hello_rooms_past_a_limit_get_a_notice_and_the_join_goes_on(
    make_server: ServerFactory, sessions: Sessions
) -> None:
    server = make_server(max_rooms_per_user=2)
    alice = sessions(server, "alice", rooms={"#a": {}, "#b": {}})
    frames = alice.read_until(matching("room_joined", room="#a"))
    frames += alice.say("settled", "a-1")
    notices = [frame for frame in frames if frame["type"] == "notice"]
    assert len(notices) == 1
    _refused_join(notices[0])
    assert [frame["room"] for frame in frames if frame["type"] == "room_joined"] == ["#a"]


def test_the_default_room_can_have_another_name(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    server = make_server(default_room="#general")
    alice, bob = join("alice", server), join("bob", server)
    assert alice.conn.welcome["room"] == "#general"
    assert "room" not in say_in(alice, None, "in general")
    lobby = join_room(bob, "#lobby", default="#general")
    assert lobby["room"] == "#lobby"
    assert say_in(bob, "#lobby", "a room like any other")["room"] == "#lobby"
    data = server.config.data_dir
    assert (data / "history.sqlite3").is_file()
    assert (data / "rooms" / "lobby.sqlite3").is_file()
    assert not (data / "rooms" / "general.sqlite3").exists()


def test_the_room_flags_reach_the_config() -> None:
    config = config_from_args(build_parser().parse_args([
        "--default-room", "General", "--rooms", "admin", "--topics", "admin",
        "--max-rooms", "5", "--max-rooms-per-user", "3", "--max-room-members", "7",
    ]))
    assert (config.default_room, config.room_creation, config.topic_setting) == (
        "#general", "admin", "admin")
    assert (config.max_rooms, config.max_rooms_per_user, config.max_room_members) == (5, 3, 7)


def test_the_room_flags_have_documented_defaults() -> None:
    config = config_from_args(build_parser().parse_args([]))
    assert (config.default_room, config.room_creation, config.topic_setting) == (
        "#lobby", "open", "open")
    assert (config.max_rooms, config.max_rooms_per_user, config.max_room_members) == (
        100, 20, 0)


def test_a_bad_default_room_is_refused_on_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--default-room", "#no spaces"])
    assert "a room name holds only" in capsys.readouterr().err
