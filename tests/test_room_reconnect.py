"""Coming back to rooms: ``hello.rooms`` with a ``since`` and an ``epoch`` per room, each
room's own gapless seqs and epoch, its own SQLite file, and what of a room outlasts a
restart (history, topic, message of the day; an empty room does not)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD, ClientFactory, ServerFactory, matching
from tests.room_clients import (
    RawSession,
    Sessions,
    command_in,
    join_room,
    list_rooms,
    part_room,
    room_of,
    say_in,
    set_topic,
)
from tuichat.net.frames import Frame
from tuichat.server.app import Server

OTHER_EPOCH = "0123456789abcdef"


@pytest.fixture
def sessions() -> Iterator[Sessions]:
    with Sessions() as opened:
        yield opened


def _texts(messages: list[Frame]) -> list[str]:
    return [message["text"] for message in messages]


def _joined_rooms(frames: list[Frame]) -> list[str]:
    return [frame["room"] for frame in frames if frame["type"] == "room_joined"]


def _settle(session: RawSession, ref: str) -> list[Frame]:
    """Every frame the session gets before the echo of a line it says now in the lobby."""
    return session.say("settled", ref)


def test_hello_rooms_are_joined_in_order_right_after_welcome(
    server: Server, sessions: Sessions
) -> None:
    rooms: dict[str, Any] = {"#dev": {}, "#random": {}, "#ops": {}}
    alice = sessions(server, "alice", rooms=rooms)
    frames = alice.read_until(matching("room_joined", room="#ops"))
    assert _joined_rooms(frames) == ["#dev", "#random", "#ops"]
    assert [frame["type"] for frame in frames] == ["room_joined"] * 3


def test_reconnecting_with_since_per_room_misses_nothing_in_any_room(
    server: Server, join: ClientFactory, sessions: Sessions
) -> None:
    bob = join("bob")
    join_room(bob, "#dev")
    alice = sessions(server, "alice")
    alice.send.send({"type": "join_room", "room": "#dev"})
    dev_joined = alice.read_until(matching("room_joined", room="#dev"))[-1]
    bob.inbox.wait_for(matching("join", name="alice", room="#dev"))
    say_in(bob, None, "lobby seen")
    say_in(bob, "#dev", "dev seen")
    lobby_seen = alice.read_until(matching("message", text="lobby seen"))[-1]
    dev_seen = alice.read_until(matching("message", text="dev seen"))[-1]
    alice.close()
    bob.inbox.wait_for(matching("leave", name="alice", room="#dev"))
    bob.inbox.wait_for(matching("leave", name="alice", room=None))
    for number in range(3):
        say_in(bob, None, f"lobby missed {number}")
        say_in(bob, "#dev", f"dev missed {number}")

    back = sessions(server, "alice", since=lobby_seen["seq"],
                    epoch=alice.welcome["epoch"],
                    rooms={"#dev": {"since": dev_seen["seq"], "epoch": dev_joined["epoch"]}})
    lobby = back.welcome["history"]
    assert _texts(lobby) == [f"lobby missed {n}" for n in range(3)]
    assert [m["seq"] for m in lobby] == [lobby_seen["seq"] + n for n in (1, 2, 3)]
    assert back.welcome["history_truncated"] is False
    dev = back.read_until(matching("room_joined", room="#dev"))[-1]
    assert _texts(dev["history"]) == [f"dev missed {n}" for n in range(3)]
    assert [m["seq"] for m in dev["history"]] == [dev_seen["seq"] + n for n in (1, 2, 3)]
    assert dev["history_truncated"] is False
    assert dev["epoch"] == dev_joined["epoch"]
    bob.inbox.wait_for(matching("join", name="alice", room="#dev"))


def test_a_room_without_since_gives_its_recent_history(
    server: Server, join: ClientFactory, sessions: Sessions
) -> None:
    bob = join("bob")
    join_room(bob, "#dev")
    for number in range(3):
        say_in(bob, "#dev", f"dev {number}")
    alice = sessions(server, "alice", rooms={"#dev": {}})
    dev = alice.read_until(matching("room_joined", room="#dev"))[-1]
    assert _texts(dev["history"]) == ["dev 0", "dev 1", "dev 2"]
    assert dev["history_truncated"] is False


@pytest.mark.parametrize(
    "entry",
    [{"since": 1, "epoch": OTHER_EPOCH}, {"since": 99}, {"since": -1}, {"since": "1"}],
    ids=["another-epoch", "ahead", "negative", "not-an-integer"],
)
def test_an_unusable_since_in_a_room_gives_the_newest_marked_truncated(
    server: Server, join: ClientFactory, sessions: Sessions, entry: dict[str, Any]
) -> None:
    bob = join("bob")
    join_room(bob, "#dev")
    for number in range(3):
        say_in(bob, "#dev", f"dev {number}")
    alice = sessions(server, "alice", rooms={"#dev": entry})
    dev = alice.read_until(matching("room_joined", room="#dev"))[-1]
    assert _texts(dev["history"]) == ["dev 0", "dev 1", "dev 2"]
    assert dev["history_truncated"] is True


def test_bad_hello_rooms_entries_get_a_notice_each_and_the_join_goes_on(
    server: Server, join: ClientFactory, sessions: Sessions
) -> None:
    bob = join("bob")
    alice = sessions(server, "alice", rooms={"#bad room": {}, "#ok": {}, "dev!": {}})
    assert alice.welcome["name"] == "alice"
    frames = alice.read_until(matching("room_joined", room="#ok"))
    frames += _settle(alice, "a-1")
    assert _joined_rooms(frames) == ["#ok"]
    notices = [frame for frame in frames if frame["type"] == "notice"]
    assert [notice["level"] for notice in notices] == ["error", "error"]
    assert bob.inbox.wait_for(matching("join", name="alice", room=None))


def test_each_room_has_its_own_epoch_and_history_file(
    server: Server, join: ClientFactory
) -> None:
    alice = join("alice")
    joined = join_room(alice, "#dev")
    say_in(alice, "#dev", "kept in dev.sqlite3")
    assert joined["epoch"] != alice.conn.welcome["epoch"]
    assert (server.config.data_dir / "rooms" / "dev.sqlite3").is_file()
    assert (server.config.data_dir / "history.sqlite3").is_file()


def test_a_room_with_history_outlasts_a_restart_with_its_epoch_and_seqs(
    server: Server, make_server: ServerFactory, join: ClientFactory
) -> None:
    alice = join("alice")
    epoch = join_room(alice, "#dev")["epoch"]
    say_in(alice, "#dev", "before the restart")
    part_room(alice, "#dev")
    server.stop()
    assert server.wait(10)
    second = make_server(data_dir=server.config.data_dir)
    bob = join("bob", second)
    assert {"room": "#dev", "members": 0, "topic": None} in list_rooms(bob)
    joined = join_room(bob, "#dev")
    assert joined["epoch"] == epoch
    assert _texts(joined["history"]) == ["before the restart"]
    assert say_in(bob, "#dev", "after")["seq"] == 2


def test_topics_and_room_motds_outlast_a_restart_and_empty_rooms_do_not(
    server: Server, make_server: ServerFactory, join: ClientFactory
) -> None:
    root = join("root", admin_password=ADMIN_PASSWORD)
    for room in ("#titled", "#quiet", "#ops"):
        join_room(root, room)
    set_topic(root, "#titled", "kept")
    set_topic(root, None, "the lobby's")
    command_in(root, "#ops", "admin -m read the runbook")
    for room in ("#titled", "#quiet", "#ops"):
        part_room(root, room)
    assert not (server.config.data_dir / "rooms" / "quiet.sqlite3").exists()
    server.stop()
    assert server.wait(10)
    second = make_server(data_dir=server.config.data_dir)
    alice = join("alice", second)
    assert alice.conn.welcome["topic"] == "the lobby's"
    listed = {room["room"]: room["topic"] for room in list_rooms(alice)}
    assert listed == {"#lobby": "the lobby's", "#ops": None, "#titled": "kept"}
    assert join_room(alice, "#ops")["motd"] == "read the runbook"


def test_a_reconnect_puts_the_user_back_in_the_default_room(
    server: Server, join: ClientFactory, sessions: Sessions
) -> None:
    carol = join("carol")
    alice = sessions(server, "alice")
    alice.send.send({"type": "part_room", "room": "#lobby"})
    alice.read_until(matching("room_parted"))
    carol.inbox.wait_for(matching("leave", name="alice"))
    alice.close()
    back = sessions(server, "alice")
    assert "alice" in [user["name"] for user in back.welcome["users"]]
    assert carol.inbox.wait_for(matching("join", name="alice"), count=2)
    frames = _settle(back, "a-1")
    assert [room_of(frame) for frame in frames] == [None]
