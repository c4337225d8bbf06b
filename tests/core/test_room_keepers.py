"""Room keepers: who makes a room keeps it, may remove members from it and name more
keepers; an admin may do so anywhere; nobody else may."""

from __future__ import annotations

from tests.core.conftest import World
from tuichat.net.frames import LeaveReason
from tuichat.server.core.events import Left, RoomParted, UserChanged
from tuichat.server.core.requests import AddKeeper, JoinRoom, LimitRoom, RemoveFromRoom


def test_the_maker_of_a_room_keeps_it_and_may_remove_others(world: World) -> None:
    alice, bob, carol = (world.arrive(name) for name in ("alice", "bob", "carol"))
    for member in (alice, bob, carol):
        world.handle(member, JoinRoom("#dev"))
    dev = world.chat.hub.rooms["#dev"]
    assert dev.keepers == {alice}
    world.door.clear()
    world.handle(alice, RemoveFromRoom("#dev", "bob", "off topic"))
    assert "#dev" not in bob.rooms and bob.key not in dev.members
    [parted] = world.door.of(bob, RoomParted)
    assert (parted.by, parted.text) == ("alice", "off topic")
    [left] = world.door.of(carol, Left)
    assert (left.name, left.reason, left.by, left.text, left.parted) == (
        "bob", LeaveReason.KICKED, "alice", "off topic", True)
    assert world.chat.find("bob") is bob, "removed from the room, still in the chat"


def test_a_member_who_does_not_keep_the_room_is_refused(world: World) -> None:
    alice, bob = world.arrive("alice"), world.arrive("bob")
    for member in (alice, bob):
        world.handle(member, JoinRoom("#dev"))
    world.door.clear()
    world.handle(bob, RemoveFromRoom("#dev", "alice"))
    assert "#dev" in alice.rooms
    assert world.door.texts(bob) == [
        "Nobody removed: only the keepers of #dev (and admins) may do that."]
    world.handle(bob, RemoveFromRoom("#ops", "alice"))
    assert world.door.texts(bob)[-1] == "Nobody removed: you are not in #ops."


def test_a_keeper_names_another_and_keepers_go_with_their_member(world: World) -> None:
    alice, bob = world.arrive("alice"), world.arrive("bob")
    for member in (alice, bob):
        world.handle(member, JoinRoom("#dev"))
    world.door.clear()
    world.handle(alice, AddKeeper("#dev", "bob"))
    dev = world.chat.hub.rooms["#dev"]
    assert dev.keepers == {alice, bob}
    [changed] = world.door.of(alice, UserChanged)
    assert changed.member is bob and changed.room is dev
    world.handle(bob, RemoveFromRoom("#dev", "alice"))
    assert dev.keepers == {bob}, "a keeper removed keeps the room no more"
    world.chat.leave(bob, LeaveReason.QUIT, "gone")
    assert not dev.keepers


def test_an_admin_may_remove_from_any_room(world: World) -> None:
    alice = world.arrive("alice")
    world.handle(alice, JoinRoom("#dev"))
    root = world.arrive("root", admin_password="secret")
    world.handle(root, JoinRoom("#dev"))
    world.handle(root, RemoveFromRoom("#dev", "alice"))
    assert "#dev" not in alice.rooms


def test_a_keeper_limits_who_may_join(world: World) -> None:
    alice, bob, carol = (world.arrive(name) for name in ("alice", "bob", "carol"))
    world.handle(alice, JoinRoom("#dev"))
    world.handle(bob, LimitRoom("#dev", 1))
    assert world.door.texts(bob)[-1] == "Limit not set: you are not in #dev."
    world.handle(alice, LimitRoom("#dev", 1))
    world.handle(bob, JoinRoom("#dev"))
    assert "#dev" not in bob.rooms
    assert world.door.texts(bob)[-1] == (
        "Room not joined: #dev is full (its keepers let in 1 at most).")
    world.handle(alice, LimitRoom("#dev", None))
    world.handle(carol, JoinRoom("#dev"))
    assert "#dev" in carol.rooms
