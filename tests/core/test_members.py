"""Members across rooms: renames, away and avatars shown once to each who shares a room,
the end of a session in every room, private messages and whois, flood limits."""

from __future__ import annotations

from tests.core.conftest import World, WorldFactory
from tuichat.net.frames import LeaveReason
from tuichat.server.core.events import (
    AvatarChanged,
    Ended,
    Joined,
    Left,
    PrivateSaid,
    UserChanged,
    WhoisAnswered,
)
from tuichat.server.core.requests import (
    JoinRoom,
    PartRoom,
    Private,
    Rename,
    Say,
    SetAway,
    Unreadable,
    Whois,
)


def test_a_rename_is_a_leave_and_a_join_in_each_room_of_the_member(world: World) -> None:
    alice, bob, carol = (world.arrive(name) for name in ("alice", "bob", "carol"))
    world.handle(alice, JoinRoom("#dev"))
    world.handle(bob, JoinRoom("#dev"))
    world.door.clear()
    world.handle(alice, Rename("alicia"))
    pairs = [(type(e).__name__, e.room.name) for e in world.door.to(bob)
             if isinstance(e, Left | Joined)]
    assert pairs == [("Left", "#lobby"), ("Joined", "#lobby"), ("Left", "#dev"),
                     ("Joined", "#dev")]
    assert [(e.room.name, e.renamed_to) for e in world.door.of(carol, Left)] == [
        ("#lobby", "alicia")]
    assert [e.renamed_from for e in world.door.of(alice, Joined)] == ["alice", "alice"]
    assert world.chat.find("alicia") is alice and world.chat.find("alice") is None
    assert list(world.chat.hub.rooms["#dev"].members) == ["bob", alice.key]


def test_away_is_shown_once_to_each_member_sharing_a_room(world: World) -> None:
    alice, bob, _carol, dave = (world.arrive(name) for name in ("alice", "bob", "carol",
                                                               "dave"))
    for member in (alice, bob):
        world.handle(member, JoinRoom("#dev"))
    world.handle(dave, JoinRoom("#elsewhere"), PartRoom("#lobby"))
    world.door.clear()
    world.handle(alice, SetAway("lunch"))
    [(event, members)] = world.door.deliveries
    assert isinstance(event, UserChanged) and event.member is alice
    assert sorted(member.name for member in members) == ["alice", "bob", "carol"]
    world.handle(alice, SetAway("lunch"))
    assert len(world.door.deliveries) == 1, "the state it has already: nothing"


def test_a_member_in_no_room_still_sees_its_own_changes(world: World) -> None:
    alice = world.arrive("alice")
    world.handle(alice, PartRoom("#lobby"))
    world.chat.set_avatar(alice, "a" * 64)
    [(_event, members)] = [d for d in world.door.deliveries if isinstance(d[0], AvatarChanged)]
    assert members == (alice,)


def test_the_end_of_a_session_is_a_leave_in_every_room(world: World) -> None:
    alice, bob, carol = (world.arrive(name) for name in ("alice", "bob", "carol"))
    for member in (alice, bob):
        world.handle(member, JoinRoom("#dev"))
    world.door.clear()
    world.chat.leave(alice, LeaveReason.TIMEOUT, "silent")
    assert world.door.of(alice, Ended) == [Ended(LeaveReason.TIMEOUT)]
    assert [(e.room.name, e.reason) for e in world.door.of(bob, Left)] == [
        ("#lobby", LeaveReason.TIMEOUT), ("#dev", LeaveReason.TIMEOUT)]
    assert [e.room.name for e in world.door.of(carol, Left)] == ["#lobby"]
    assert alice.ended and world.chat.find("alice") is None
    world.handle(alice, Say("#lobby", "too late"))
    assert world.chat.hub.lobby.history.all() == []


def test_private_messages_reach_both_parties_whatever_their_rooms(world: World) -> None:
    alice, bob, carol = (world.arrive(name) for name in ("alice", "bob", "carol"))
    world.handle(bob, JoinRoom("#dev"), PartRoom("#lobby"))
    world.handle(bob, SetAway("lunch"))
    world.door.clear()
    world.handle(alice, Private("BOB", "psst", ref="p"))
    [(event, members)] = world.door.deliveries[:1]
    assert isinstance(event, PrivateSaid) and members == (bob, alice)
    assert world.door.texts(alice) == ["bob is away: lunch"]
    assert not world.door.to(carol)
    world.handle(alice, Private("alice", "me", ref="q"), Private("zed", "hi"))
    assert world.door.texts(alice)[-2:] == [
        "You cannot send a private message to yourself.",
        "No one named 'zed' is here; your message was not sent."]


def test_whois_names_the_rooms_and_shows_the_address_to_admins_only(world: World) -> None:
    alice = world.arrive("alice")
    root = world.arrive("root", host="127.0.0.9", admin_password="secret")
    world.handle(root, JoinRoom("#ops"))
    world.handle(alice, Whois("root"))
    [answer] = world.door.of(alice, WhoisAnswered)
    assert answer.target is root and list(answer.target.rooms) == ["#lobby", "#ops"]
    assert answer.address is None
    world.handle(root, Whois("alice"))
    assert world.door.of(root, WhoisAnswered)[0].address == "127.0.0.1"


def test_lines_over_the_rate_are_refused_and_a_flood_ends_the_session(
    make_world: WorldFactory,
) -> None:
    world = make_world(rate_burst=2, rate_per_second=0.001, rate_abuse_limit=3)
    alice, bob = world.arrive("alice"), world.arrive("bob")
    world.handle(alice, Say("#lobby", "one"), Say("#lobby", "two"),
                 Say("#lobby", "three", ref="r3"), Unreadable("bad", ref="r4"))
    assert [m.text for m in world.chat.hub.lobby.history.all()] == ["one", "two"]
    slow = "Slow down: at most 2 lines at once and 0.001 per second."
    assert world.door.texts(alice)[-2:] == [slow, slow]
    world.handle(alice, Say("#lobby", "four"))
    assert world.door.texts(alice)[-1] == (
        "Disconnected for flooding: 3 lines refused within a minute.")
    assert alice.ended
    assert world.door.of(bob, Left)[-1].reason is LeaveReason.KICKED
