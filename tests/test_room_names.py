"""Room names over the wire: the one rule of ``tuichat/net/rooms.py`` decides every
``join_room``, bad names get the documented notice, and case never makes a second room."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Client, ClientFactory, ServerFactory, matching
from tests.room_clients import join_room, list_rooms, notice_after, part_room
from tuichat.net.rooms import normalize_room, room_problem


def _refusal(name: str) -> str:
    """The notice text a ``join_room`` of ``name`` is refused with."""
    problem = room_problem(normalize_room(name))
    assert problem is not None, name
    return f"Room not joined: {problem}."


@pytest.mark.parametrize(
    "name",
    ["#", "#-dev", "#_dev", "#dev room", "#" + "a" * 32, "#dév", "#dev!", "#dev.x", "##dev"],
)
def test_a_bad_room_name_is_refused_with_the_rules_reason(join: ClientFactory,
                                                          name: str) -> None:
    alice = join("alice")
    notice = notice_after(alice, {"type": "join_room", "room": name})
    assert (notice["level"], notice["text"]) == ("error", _refusal(name))
    assert alice.inbox.all(matching("room_joined")) == []
    assert [room["room"] for room in list_rooms(alice)] == ["#lobby"]


def test_a_room_name_that_is_not_a_string_is_refused(join: ClientFactory) -> None:
    alice = join("alice")
    notice = notice_after(alice, {"type": "join_room", "room": 5})
    assert notice["level"] == "error"
    assert notice["text"].startswith("Room not joined: ")


def test_the_longest_room_name_is_accepted(join: ClientFactory) -> None:
    name = "#" + "a" * 31
    assert join_room(join("alice"), name)["room"] == name


def test_a_room_name_in_capitals_is_kept_in_lower_case(join: ClientFactory) -> None:
    alice, bob = join("alice"), join("bob")
    assert join_room(alice, "#Dev")["room"] == "#dev"
    assert join_room(bob, "#DEV")["room"] == "#dev"
    assert alice.inbox.wait_for(matching("join", name="bob", room="#dev"))
    assert [room["room"] for room in list_rooms(alice)] == ["#dev", "#lobby"]


@pytest.fixture
def roamer(make_server: ServerFactory, join: ClientFactory) -> Iterator[Client]:
    """A client on a server without room limits, for joining many names in turn."""
    server = make_server(max_rooms=0, max_rooms_per_user=0)
    yield join("roamer", server)


_TYPED = st.text(alphabet="abzAZ09-_ .!é#", max_size=33).map("#".__add__).filter(
    lambda name: name == name.strip())
"""Names as a client may send them: ``#`` first, no white space around (so the kept
form is the lower-case one), long and short, good and bad."""


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_TYPED)
def test_join_room_follows_the_room_name_rule(roamer: Client, name: str) -> None:
    kept = normalize_room(name)
    if room_problem(kept) is None:
        assert join_room(roamer, name)["room"] == kept
        part_room(roamer, kept)
    else:
        notice = notice_after(roamer, {"type": "join_room", "room": name})
        assert (notice["level"], notice["text"]) == ("error", _refusal(name))
