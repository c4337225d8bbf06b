"""Who may come in, checked in the protocol's order: a banned address, the name rules,
a banned name, the join password, a name in use (or a look-alike), a full server."""

from __future__ import annotations

import pytest

from tests.core.conftest import World, WorldFactory
from tuichat.server.core.events import Noticed, RefusalKind
from tuichat.server.core.requests import Arrival, RequestError


def test_a_banned_address_is_refused_before_anything_else(world: World) -> None:
    world.chat.bans.ban_address("127.0.0.7", None, "root", None)
    refusal = world.chat.address_refusal("127.0.0.7")
    assert refusal is not None and refusal.kind is RefusalKind.BANNED
    assert world.chat.address_refusal("127.0.0.1") is None


def test_names_are_normalised_and_checked_when_an_arrival_is_made() -> None:
    assert Arrival("Jose\u0301").name == "Jos\u00e9"
    with pytest.raises(RequestError, match="reserved for the server"):
        Arrival("Console")


@pytest.mark.parametrize(("name", "kind"), [("alice", RefusalKind.NAME_TAKEN),
                                            ("\u0430lice", RefusalKind.NAME_TAKEN),
                                            ("zed", RefusalKind.BANNED)])
def test_names_in_use_or_banned_are_refused(world: World, name: str,
                                            kind: RefusalKind) -> None:
    world.arrive("alice")
    world.chat.bans.ban_name("zed", "root", None)
    refusal = world.chat.arrive(world.member(name), Arrival(name), world.door)
    assert refusal is not None and refusal.kind is kind
    assert list(world.chat.hub.members) == ["alice"], "nothing joined"


def test_the_join_password_and_the_server_size_are_checked(make_world: WorldFactory) -> None:
    world = make_world(password="door", max_clients=1)
    refusal = world.chat.arrive(world.member("alice"), Arrival("alice", password="wrong"),
                                 world.door)
    assert refusal is not None and refusal.kind is RefusalKind.BAD_PASSWORD
    world.arrive("alice", password="door")
    refusal = world.chat.arrive(world.member("bob"), Arrival("bob", password="door"),
                                 world.door)
    assert refusal is not None and refusal.kind is RefusalKind.FULL


def test_a_wrong_admin_password_lets_in_without_rights(world: World) -> None:
    alice = world.arrive("alice", admin_password="guess")
    assert not alice.admin
    assert world.door.of(alice, Noticed)[-1].text == (
        "Wrong admin password: you joined without admin rights.")
