"""Rooms in the core: what is said and who comes and goes stays in its room; joining,
parting, topics, the list of rooms, and rooms that are forgotten."""

from __future__ import annotations

from tests.core.conftest import World, WorldFactory
from tuichat.net.frames import LeaveReason
from tuichat.server.core.events import (
    Joined,
    Left,
    RoomJoined,
    RoomParted,
    RoomsListed,
    Said,
    TopicSet,
    Welcomed,
)
from tuichat.server.core.model import Member
from tuichat.server.core.requests import JoinRoom, ListRooms, PartRoom, Say, SetTopic


def _in_dev(world: World, *names: str) -> list[Member]:
    members = [world.arrive(name) for name in names]
    for member in members:
        world.handle(member, JoinRoom("#dev"))
    return members


def test_a_message_reaches_the_members_of_its_room_only(world: World) -> None:
    alice, bob = _in_dev(world, "alice", "bob")
    carol = world.arrive("carol")
    world.door.clear()
    world.handle(alice, Say("#dev", "release friday", ref="a-1"))
    [(event, members)] = world.door.deliveries
    assert isinstance(event, Said) and event.room.name == "#dev"
    assert members == (alice, bob) and event.origin is alice and event.ref == "a-1"
    assert not world.door.to(carol)
    dev, lobby = world.chat.hub.rooms["#dev"], world.chat.hub.lobby
    assert [m.text for m in dev.history.all()] == ["release friday"]
    assert lobby.history.all() == []


def test_each_room_has_its_own_gapless_seqs(world: World) -> None:
    [alice] = _in_dev(world, "alice")
    for text in ("one", "two"):
        world.handle(alice, Say("#dev", text), Say("#lobby", text))
    dev, lobby = world.chat.hub.rooms["#dev"], world.chat.hub.lobby
    assert [m.seq for m in dev.history.all()] == [1, 2]
    assert [m.seq for m in lobby.history.all()] == [1, 2]
    assert dev.history.epoch != lobby.history.epoch


def test_saying_in_a_room_one_is_not_in_is_refused_with_the_ref(world: World) -> None:
    alice = world.arrive("alice")
    world.handle(alice, Say("#dev", "hello?", ref=7))
    assert world.door.texts(alice)[-1] == "You are not in #dev; /join #dev first."
    assert world.chat.hub.room("#dev") is None, "nothing made, nothing stored"


def test_arrival_puts_everyone_in_the_default_room(world: World) -> None:
    alice = world.arrive("alice")
    bob = world.arrive("bob")
    [welcome] = world.door.of(bob, Welcomed)
    assert welcome.room is world.chat.hub.lobby
    assert list(welcome.room.members.values()) == [alice, bob], "the newcomer last"
    assert [event.member for event in world.door.of(alice, Joined)] == [bob]
    assert not world.door.of(bob, Joined), "no join of one's own"


def test_joining_tells_the_joiner_the_room_and_its_members_the_joiner(world: World) -> None:
    alice, bob = _in_dev(world, "alice", "bob")
    carol = world.arrive("carol")
    [joined] = world.door.of(bob, RoomJoined)
    assert joined.room.name == "#dev" and list(joined.room.members.values()) == [alice, bob]
    assert [(e.room.name, e.member) for e in world.door.of(alice, Joined)] == [
        ("#lobby", bob), ("#dev", bob), ("#lobby", carol)]
    assert not [e for e in world.door.of(carol, Joined) if e.room.name == "#dev"]


def test_joining_a_room_twice_is_refused_with_a_notice(world: World) -> None:
    [alice] = _in_dev(world, "alice")
    world.handle(alice, JoinRoom("#dev"), JoinRoom("#lobby"))
    assert world.door.texts(alice)[-2:] == ["You are already in #dev.",
                                             "You are already in #lobby."]


def test_parting_tells_the_room_and_can_leave_the_default_room(world: World) -> None:
    alice, bob = _in_dev(world, "alice", "bob")
    world.door.clear()
    world.handle(alice, PartRoom("#dev"), PartRoom("#lobby"))
    assert [e.room.name for e in world.door.of(alice, RoomParted)] == ["#dev", "#lobby"]
    lefts = world.door.of(bob, Left)
    assert [(e.room.name, e.name, e.reason, e.parted) for e in lefts] == [
        ("#dev", "alice", LeaveReason.QUIT, True), ("#lobby", "alice", LeaveReason.QUIT, True)]
    assert alice.rooms == {}
    world.handle(alice, PartRoom("#dev"))
    assert world.door.texts(alice)[-1] == "You are not in #dev."


def test_an_empty_room_without_history_or_topic_is_forgotten(world: World) -> None:
    [alice] = _in_dev(world, "alice")
    world.handle(alice, JoinRoom("#kept"), Say("#kept", "stays"), JoinRoom("#topical"),
                 SetTopic("#topical", "a topic"))
    assert world.stores.exists("#dev")
    world.handle(alice, PartRoom("#dev"), PartRoom("#kept"), PartRoom("#topical"))
    assert not world.stores.exists("#dev") and "#dev" not in world.chat.hub.rooms
    assert world.stores.exists("#kept") and world.stores.exists("#topical")
    world.handle(alice, PartRoom("#lobby"))
    assert world.stores.exists("#lobby"), "the default room is never forgotten"


def test_a_room_is_forgotten_when_its_last_member_ends_its_session(world: World) -> None:
    [alice] = _in_dev(world, "alice")
    world.chat.leave(alice, LeaveReason.QUIT, "gone")
    assert not world.stores.exists("#dev")


def test_a_topic_goes_to_the_room_and_stays_with_it(world: World) -> None:
    alice, bob = _in_dev(world, "alice", "bob")
    carol = world.arrive("carol")
    world.handle(bob, SetTopic("#dev", "release friday"))
    [topic] = world.door.of(alice, TopicSet)
    assert (topic.room.name, topic.text, topic.by) == ("#dev", "release friday", "bob")
    assert not world.door.of(carol, TopicSet)
    assert world.chat.hub.rooms["#dev"].topic == "release friday"
    world.handle(bob, SetTopic("#dev", None))
    assert world.door.of(alice, TopicSet)[-1].text is None
    assert world.chat.hub.rooms["#dev"].topic is None
    world.handle(carol, SetTopic("#dev", "not mine"))
    assert world.door.texts(carol)[-1] == "You are not in #dev."


def test_topics_can_be_kept_to_admins(make_world: WorldFactory) -> None:
    world = make_world(topic_setting="admin")
    alice = world.arrive("alice")
    root = world.arrive("root", admin_password="secret")
    world.handle(alice, SetTopic("#lobby", "mine"))
    assert world.door.texts(alice)[-1] == (
        "Topic not set: only admins may set topics on this server.")
    world.handle(root, SetTopic("#lobby", "the admin's"))
    assert world.chat.hub.lobby.topic == "the admin's"


def test_the_list_of_rooms_is_sorted_with_counts_and_topics(world: World) -> None:
    alice, bob = _in_dev(world, "alice", "bob")
    world.handle(alice, JoinRoom("#art"), SetTopic("#art", "drawing"), PartRoom("#art"))
    world.handle(bob, ListRooms())
    [listed] = world.door.of(bob, RoomsListed)
    assert [(room.name, room.members, room.topic) for room in listed.rooms] == [
        ("#art", 0, "drawing"), ("#dev", 2, None), ("#lobby", 2, None)]


def test_rooms_on_disk_are_listed_and_joined_with_their_history(
    make_world: WorldFactory,
) -> None:
    first = make_world()
    [alice] = _in_dev(first, "alice")
    first.handle(alice, Say("#dev", "before the restart"))
    first.stores.commit()
    again = make_world(data_dir=first.config.data_dir)
    bob = again.arrive("bob")
    again.handle(bob, ListRooms(), JoinRoom("#dev"))
    [listed] = again.door.of(bob, RoomsListed)
    assert [room.name for room in listed.rooms] == ["#dev", "#lobby"]
    [joined] = again.door.of(bob, RoomJoined)
    assert [m.text for m in joined.room.history.all()] == ["before the restart"]
