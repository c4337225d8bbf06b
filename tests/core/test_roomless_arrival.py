"""A member that arrives without entering the default room (``Arrival`` with
``enter_default_room=False``, as IRC clients come): counted in, in no room, unseen by the
default room until it joins; admin lines of the default room work from outside it."""

from __future__ import annotations

from tests.core.conftest import World
from tuichat.server.core.events import Joined, Welcomed
from tuichat.server.core.requests import Command, JoinRoom


def test_a_roomless_arrival_is_counted_but_in_no_room(world: World) -> None:
    alice = world.arrive("alice")
    world.door.clear()
    bob = world.arrive("bob", enter_default_room=False)
    assert world.chat.find("bob") is bob and not bob.rooms
    assert bob.key not in world.chat.hub.lobby.members
    [welcome] = world.door.of(bob, Welcomed)
    assert welcome.room is world.chat.hub.lobby
    assert not world.door.of(alice, Joined), "the room saw nobody come"
    world.handle(bob, JoinRoom("#lobby"))
    [joined] = world.door.of(alice, Joined)
    assert joined.member is bob and "#lobby" in bob.rooms


def test_admin_lines_of_the_default_room_work_from_outside_it(world: World) -> None:
    bob = world.arrive("bob", enter_default_room=False)
    world.handle(bob, Command("#lobby", "admin -a secret"))
    assert bob.admin
    world.handle(bob, Command("#dev", "admin -h"))
    assert world.door.texts(bob)[-1] == "You are not in #dev; /join #dev first."
