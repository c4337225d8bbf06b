"""The room limits: who may make a room, rooms in all, rooms per member, members per
room; each refusal a notice that starts with ``Room not joined:``."""

from __future__ import annotations

from tests.core.conftest import WorldFactory
from tuichat.server.core.requests import Arrival, JoinRoom, PartRoom, RoomEntry, Say


def test_only_admins_make_rooms_when_creation_is_for_admins(make_world: WorldFactory) -> None:
    world = make_world(room_creation="admin")
    alice = world.arrive("alice")
    root = world.arrive("root", admin_password="secret")
    world.handle(alice, JoinRoom("#new"))
    assert world.door.texts(alice)[-1] == ("Room not joined: #new does not exist, and only "
                                           "admins may make rooms on this server.")
    world.handle(root, JoinRoom("#new"), JoinRoom("#new"))
    world.handle(alice, JoinRoom("#new"))
    assert "#new" in alice.rooms, "an existing room is open to all"


def test_rooms_in_all_are_bounded_and_the_default_room_counts(
    make_world: WorldFactory,
) -> None:
    world = make_world(max_rooms=3)
    alice = world.arrive("alice")
    world.handle(alice, JoinRoom("#one"), JoinRoom("#two"), JoinRoom("#three"))
    assert world.door.texts(alice)[-1] == (
        "Room not joined: the server has 3 rooms, the most it keeps.")
    world.handle(alice, PartRoom("#one"), JoinRoom("#three"))
    assert list(alice.rooms) == ["#lobby", "#two", "#three"], "a forgotten room frees a place"


def test_rooms_per_member_are_bounded(make_world: WorldFactory) -> None:
    world = make_world(max_rooms_per_user=2)
    alice = world.arrive("alice")
    world.handle(alice, JoinRoom("#one"), JoinRoom("#two"))
    assert world.door.texts(alice)[-1] == (
        "Room not joined: you are in 2 rooms, the most one user may be in.")
    world.handle(alice, PartRoom("#lobby"), JoinRoom("#two"))
    assert list(alice.rooms) == ["#one", "#two"]


def test_members_per_room_are_bounded(make_world: WorldFactory) -> None:
    world = make_world(max_room_members=2)
    members = [world.arrive(name) for name in ("alice", "bob", "carol")]
    for member in members:
        world.handle(member, JoinRoom("#dev"))
    assert world.door.texts(members[2])[-1] == "Room not joined: #dev is full (2 members)."
    assert len(world.chat.hub.lobby.members) == 3, "the default room is bounded by the server"


def test_the_rooms_of_an_arrival_are_joined_in_order_each_within_the_limits(
    make_world: WorldFactory,
) -> None:
    world = make_world(max_rooms_per_user=3)
    alice = world.member("alice")
    entries = tuple(RoomEntry(name) for name in ("#b", "#a", "#c"))
    assert world.chat.arrive(alice, Arrival("alice", rooms=entries), world.door) is None
    assert list(alice.rooms) == ["#lobby", "#b", "#a"]
    assert world.door.texts(alice) == [
        "Room not joined: you are in 3 rooms, the most one user may be in."]


def test_joins_have_an_allowance_of_their_own_as_large_as_the_rooms_one_may_be_in(
    make_world: WorldFactory,
) -> None:
    world = make_world(rate_burst=3, rate_per_second=0.001, max_rooms_per_user=13)
    alice = world.arrive("alice")
    world.handle(alice, *(JoinRoom(f"#r{number}") for number in range(12)))  # one burst
    assert len(alice.rooms) == 13, world.door.texts(alice)  # #lobby and all twelve
    world.handle(alice, PartRoom("#r0"), JoinRoom("#r0"))  # the 13th move, then one more
    assert "#r0" not in alice.rooms
    assert world.door.texts(alice)[-1] == ("Slow down: at most 13 room joins or parts at "
                                           "once and 0.001 per second.")
    world.handle(alice, Say("#lobby", "one"), Say("#lobby", "two"), Say("#lobby", "three"))
    assert not [text for text in world.door.texts(alice) if "at most 3 lines" in text], \
        "joining spent none of the lines"
    world.handle(alice, Say("#lobby", "four"))
    assert world.door.texts(alice)[-1] == ("Slow down: at most 3 lines at once and 0.001 "
                                           "per second.")
