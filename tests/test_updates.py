"""Server frames read once into typed updates (``net/update_parser``), with no sockets:
every field checked, unknown keys and types tolerated, rooms resolved."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuichat.net.frames import Frame
from tuichat.net.rooms import room_problem
from tuichat.net.update_parser import BadUpdate, parse_update
from tuichat.net.updates import (
    AvatarBytes,
    ChatMessage,
    ErrorReport,
    HistoryBatch,
    Notice,
    Ping,
    PrivateMessage,
    RoomInfo,
    RoomJoined,
    RoomParted,
    RoomsListed,
    TopicChanged,
    Unrecognised,
    UserJoined,
    UserLeft,
    UserRecord,
    Welcome,
    WhoisAnswer,
)

SHA = "ab" * 32
WELCOME: Frame = {
    "type": "welcome", "version": 1, "session": "tok", "name": "alice", "server": "s/1",
    "admin": True, "avatar": SHA, "console_avatar": None, "history_truncated": False,
    "epoch": "e1", "extensions": ["rooms", "away", 7], "motd": "be kind", "room": "#general",
    "topic": "welcome all", "users": [{"name": "bob", "avatar": None, "admin": False,
                                       "away": "lunch"}, {"name": ""}, "junk"],
    "history": [{"type": "message", "seq": 3, "ts": 10, "from": "bob", "text": "hi",
                 "avatar": None}, {"type": "message", "seq": "x"}],
    "a_later_extension": {"whatever": True},
}


def test_a_welcome_is_read_whole_and_names_the_default_room() -> None:
    welcome = parse_update(WELCOME)
    assert welcome == Welcome(
        "alice", "tok", "#general", 1, "s/1", True, SHA, None, frozenset({"rooms", "away"}),
        "e1", "welcome all", "be kind", (UserRecord("bob", None, False, "lunch"),),
        (ChatMessage("#general", "bob", "hi", 10.0, 3),), False)


def test_a_welcome_without_rooms_is_about_the_lobby() -> None:
    frame = {key: value for key, value in WELCOME.items() if key not in ("room", "topic")}
    welcome = parse_update(frame)
    assert isinstance(welcome, Welcome) and welcome.room == "#lobby" and welcome.topic is None


@pytest.mark.parametrize(("frame", "update"), [
    ({"type": "message", "seq": 4, "ts": 1.5, "from": "bob", "text": "yo", "ref": "c-1",
      "replay": True, "action": True, "avatar": "nope"},
     ChatMessage("#lobby", "bob", "yo", 1.5, 4, None, True, "c-1", True)),
    ({"type": "message", "seq": 1, "ts": 1, "from": "bob", "text": "in dev", "room": "#dev"},
     ChatMessage("#dev", "bob", "in dev", 1.0, 1)),
    ({"type": "private", "from": "bob", "to": "alice", "text": "psst", "ts": 2},
     PrivateMessage("bob", "alice", "psst", 2.0)),
    ({"type": "notice", "level": "error", "text": "no", "ref": 3},
     Notice("no", "error", ref=3)),
    ({"type": "notice", "text": "saved", "room": "#dev"}, Notice("saved", room="#dev")),
    ({"type": "error", "code": "not_found", "text": "gone", "sha256": SHA},
     ErrorReport("not_found", "gone", sha256=SHA)),
    ({"type": "history", "reset": True, "room": "#dev", "messages": [
        {"seq": 1, "ts": 1, "from": "a", "text": "b"}]},
     HistoryBatch("#dev", (ChatMessage("#dev", "a", "b", 1.0, 1),), True)),
    ({"type": "join", "name": "bob", "avatar": None, "admin": True, "away": None,
      "present": True, "room": "#dev"},
     UserJoined("#dev", UserRecord("bob", None, True), present=True)),
    ({"type": "join", "name": "rob", "renamed_from": "bob"},
     UserJoined("#lobby", UserRecord("rob"), renamed_from="bob")),
    ({"type": "leave", "name": "bob", "reason": "quit", "parted": True, "room": "#dev"},
     UserLeft("#dev", "bob", parted=True)),
    ({"type": "leave", "name": "bob", "reason": "kicked", "by": "root", "banned": True},
     UserLeft("#lobby", "bob", "kicked", by="root", banned=True)),
    ({"type": "room_joined", "room": "#dev", "topic": "friday", "motd": None, "epoch": "e2",
      "history_truncated": True, "users": [{"name": "carol"}],
      "history": [{"seq": 7, "ts": 1, "from": "carol", "text": "hey", "room": "#dev"}]},
     RoomJoined("#dev", "friday", None, "e2", (UserRecord("carol"),),
                (ChatMessage("#dev", "carol", "hey", 1.0, 7),), True)),
    ({"type": "room_parted", "room": "#dev"}, RoomParted("#dev")),
    ({"type": "topic", "room": "#dev", "text": "", "by": "alice"},
     TopicChanged("#dev", None, "alice")),
    ({"type": "topic", "text": "lobby talk", "by": "alice"},
     TopicChanged("#lobby", "lobby talk", "alice")),
    ({"type": "rooms", "rooms": [{"room": "#dev", "members": 3, "topic": None},
                                 {"room": "bad"}, {"members": 2}]},
     RoomsListed((RoomInfo("#dev", 3),))),
    ({"type": "whois", "name": "bob", "joined": 5, "rooms": ["#dev", "nope", 3]},
     WhoisAnswer(UserRecord("bob"), 5.0, None, ("#dev",))),
    ({"type": "ping", "n": 7}, Ping(7)),
    ({"type": "dance", "style": "waltz"}, Unrecognised("dance")),
])
def test_each_frame_type_becomes_its_update(frame: Frame, update: object) -> None:
    assert parse_update(frame) == update


def test_an_avatar_needs_its_bytes() -> None:
    frame = {"type": "avatar", "sha256": SHA, "size": 3}
    assert parse_update(frame, b"png") == AvatarBytes(SHA, b"png")
    with pytest.raises(BadUpdate, match="must carry the picture's bytes"):
        parse_update(frame)


def test_a_frame_without_room_is_about_the_default_room_the_caller_names() -> None:
    frame = {"type": "join", "name": "bob"}
    joined = parse_update(frame, default_room="#general")
    assert isinstance(joined, UserJoined) and joined.room == "#general"


@pytest.mark.parametrize(("frame", "problem"), [
    ({"type": "message", "seq": 1, "ts": 1, "from": 5, "text": "x"}, "from must be a string"),
    ({"type": "message", "seq": True, "ts": 1, "from": "a", "text": "x"},
     "seq must be an integer"),
    ({"type": "message", "seq": 1, "ts": "now", "from": "a", "text": "x"},
     "ts must be a number"),
    ({"type": "join", "name": ""}, "name must not be empty"),
    ({"type": "leave", "name": "bob", "room": "Dev"}, "room: a room name is # and then"),
    ({"type": "room_parted", "room": 7}, "room: the room name must be a string"),
    ({"type": "history", "messages": "many"}, "messages must be a list"),
    ({"type": "notice", "text": None}, "text must be a string"),
    ({"type": 3}, "type must be a string"),
])
def test_a_frame_that_breaks_its_shape_is_refused_with_why(frame: Frame, problem: str) -> None:
    with pytest.raises(BadUpdate, match=problem):
        parse_update(frame, default_room="")


@given(st.text(min_size=1, max_size=40))
def test_a_room_key_is_read_exactly_when_the_room_rule_allows_it(room: str) -> None:
    frame = {"type": "room_parted", "room": room}
    if room_problem(room) is None:
        assert parse_update(frame) == RoomParted(room)
    else:
        with pytest.raises(BadUpdate):
            parse_update(frame)


@given(st.from_regex(r"#[a-z0-9][a-z0-9_-]{0,30}", fullmatch=True))
def test_every_good_room_name_is_kept_as_sent(room: str) -> None:
    update = parse_update({"type": "topic", "room": room, "text": "t"})
    assert update == TopicChanged(room, "t")
