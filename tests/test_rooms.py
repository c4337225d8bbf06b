"""Rooms through a real server: joining and parting, messages, presence and history kept
in their room, per-room seqs, topics, the room list, renames and user changes seen once
per session, whois naming rooms (docs/PROTOCOL.md, "Rooms")."""

from __future__ import annotations

import hashlib
import re

from tests.conftest import Client, ClientFactory, matching
from tests.room_clients import (
    barrier,
    frames_after,
    join_room,
    list_rooms,
    notice_after,
    part_room,
    refused_say,
    room_of,
    say_in,
    send,
    set_topic,
)
from tests.test_avatars import png
from tuichat.net.frames import Channel

USER = {"avatar": None, "admin": False, "away": None}
"""The rest of a fresh user's record."""


def _three_in_two_rooms(join: ClientFactory) -> tuple[Client, Client, Client]:
    """alice and bob in #lobby and #dev, carol in #lobby only."""
    alice, bob, carol = join("alice"), join("bob"), join("carol")
    join_room(alice, "#dev")
    join_room(bob, "#dev")
    alice.inbox.wait_for(matching("join", room="#dev", name="bob"))
    return alice, bob, carol


# -- welcome and joining -------------------------------------------------------------------


def test_welcome_names_the_default_room_and_the_rooms_extension(join: ClientFactory) -> None:
    welcome = join("alice").conn.welcome
    assert welcome["room"] == "#lobby"
    assert "rooms" in welcome["extensions"]


def test_joining_a_new_room_makes_it_and_answers_room_joined(join: ClientFactory) -> None:
    alice = join("alice")
    joined = join_room(alice, "#dev")
    assert joined["room"] == "#dev"
    assert joined["topic"] is None
    assert joined["motd"] is None
    assert joined["history_truncated"] is False
    assert joined["history"] == []
    assert joined["users"] == [{"name": "alice", **USER}]
    assert re.fullmatch(r"[0-9a-f]+", joined["epoch"])


def test_the_others_in_a_room_get_a_join_with_the_room(join: ClientFactory) -> None:
    alice, bob, carol = _three_in_two_rooms(join)
    assert alice.inbox.wait_for(matching("join", room="#dev", name="bob")) == {
        "type": "join", "room": "#dev", "name": "bob", **USER
    }
    joined = bob.inbox.wait_for(matching("room_joined", room="#dev"))
    assert {user["name"] for user in joined["users"]} == {"alice", "bob"}
    barrier(alice, None, carol)
    assert carol.inbox.all(matching("join", room="#dev")) == []


def test_joining_a_room_twice_is_refused_with_a_notice(join: ClientFactory) -> None:
    alice = join("alice")
    join_room(alice, "#dev")
    notice = notice_after(alice, {"type": "join_room", "room": "#dev"})
    assert notice["text"] == "You are already in #dev."
    assert len(alice.inbox.all(matching("room_joined"))) == 1


# -- messages and history ------------------------------------------------------------------


def test_messages_stay_in_their_room(join: ClientFactory) -> None:
    alice, bob, carol = _three_in_two_rooms(join)
    echo = say_in(alice, "#dev", "in dev")
    assert echo["room"] == "#dev"
    seen = bob.inbox.wait_for(matching("message", text="in dev"))
    assert seen == {key: value for key, value in echo.items() if key != "ref"}
    lobby = say_in(carol, None, "in the lobby")
    assert "room" not in lobby
    for client in (alice, bob):
        assert "room" not in client.inbox.wait_for(matching("message", text="in the lobby"))
    barrier(alice, None, carol)
    assert carol.inbox.all(matching("message", text="in dev")) == []


def test_each_room_counts_its_own_gapless_seqs(join: ClientFactory) -> None:
    alice, bob, _ = _three_in_two_rooms(join)
    lobby = [say_in(alice, None, f"lobby {n}")["seq"] for n in range(3)]
    dev = [say_in(bob, "#dev", f"dev {n}")["seq"] for n in range(4)]
    assert lobby == [1, 2, 3]
    assert dev == [1, 2, 3, 4]
    assert say_in(alice, None, "lobby again")["seq"] == 4


def test_a_room_joined_later_shows_its_history_and_only_its_own(join: ClientFactory) -> None:
    alice, _, carol = _three_in_two_rooms(join)
    say_in(alice, "#dev", "dev one")
    say_in(alice, None, "lobby one")
    say_in(alice, "#dev", "dev two")
    joined = join_room(carol, "#dev")
    assert [message["text"] for message in joined["history"]] == ["dev one", "dev two"]
    assert [message["seq"] for message in joined["history"]] == [1, 2]
    dave = join("dave")
    assert [message["text"] for message in dave.conn.welcome["history"]] == ["lobby one"]


def test_a_big_room_history_follows_room_joined_as_replayed_frames_of_the_room(
    join: ClientFactory,
) -> None:
    alice, carol = join("alice"), join("carol")
    join_room(alice, "#dev")
    texts = [f"{number:02} " + "x" * 4000 for number in range(30)]
    for text in texts:
        say_in(alice, "#dev", text)
    joined = join_room(carol, "#dev")
    inline = [message["text"] for message in joined["history"]]
    assert len(inline) < len(texts), "30 messages of 4 KB do not fit in one 64 KiB frame"
    replay = matching("message", room="#dev", replay=True)
    carol.inbox.wait_for(replay, count=len(texts) - len(inline))
    assert inline + [m["text"] for m in carol.inbox.all(replay)] == texts


def test_a_say_to_a_room_one_is_not_in_is_refused_and_not_stored(join: ClientFactory) -> None:
    alice, bob, carol = _three_in_two_rooms(join)
    notice = refused_say(carol, "#dev", "let me in")
    assert notice["level"] == "error"
    assert notice["text"] == "You are not in #dev; /join #dev first."
    barrier(carol, None, alice, bob)
    assert alice.inbox.all(matching("message", text="let me in")) == []
    assert join_room(carol, "#dev")["history"] == []


def test_a_say_to_a_room_that_does_not_exist_is_refused(join: ClientFactory) -> None:
    alice = join("alice")
    notice = refused_say(alice, "#nowhere", "hello?")
    assert notice["text"] == "You are not in #nowhere; /join #nowhere first."
    assert [room["room"] for room in list_rooms(alice)] == ["#lobby"]


# -- presence ------------------------------------------------------------------------------


def test_parting_a_room_tells_its_members_only(join: ClientFactory) -> None:
    alice, bob, carol = _three_in_two_rooms(join)
    assert part_room(bob, "#dev") == {"type": "room_parted", "room": "#dev"}
    leave = alice.inbox.wait_for(matching("leave", room="#dev"))
    assert leave == {"type": "leave", "room": "#dev", "name": "bob", "reason": "quit",
                     "parted": True}
    say_in(alice, "#dev", "bob is gone")
    barrier(alice, None, bob, carol)
    assert bob.inbox.all(matching("message", text="bob is gone")) == []
    assert carol.inbox.all(matching("leave")) == []
    assert "room" not in say_in(bob, None, "still in the lobby")


def test_parting_a_room_one_is_not_in_is_refused(join: ClientFactory) -> None:
    alice = join("alice")
    notice = notice_after(alice, {"type": "part_room", "room": "#dev"})
    assert (notice["level"], notice["text"]) == ("error", "You are not in #dev.")


def test_parting_the_default_room_reads_as_a_quit_to_its_members(join: ClientFactory) -> None:
    alice, bob, carol = _three_in_two_rooms(join)
    before = len(alice.inbox.frames)
    part_room(alice, "#lobby")
    assert carol.inbox.wait_for(matching("leave", name="alice")) == {
        "type": "leave", "name": "alice", "reason": "quit", "parted": True
    }
    say_in(carol, None, "alice left the lobby")
    barrier(bob, "#dev", alice)
    assert [frame for frame in frames_after(alice, before)
            if frame.get("text") == "alice left the lobby"] == []
    refused = refused_say(alice, None, "back?")
    assert refused["text"] == "You are not in #lobby; /join #lobby first."


def test_the_default_room_can_be_joined_again_after_parting_it(join: ClientFactory) -> None:
    alice, carol = join("alice"), join("carol")
    say_in(carol, None, "earlier")
    part_room(alice, "#lobby")
    carol.inbox.wait_for(matching("leave", name="alice"))
    joined = join_room(alice, "#lobby")
    assert [message["text"] for message in joined["history"]] == ["earlier"]
    assert carol.inbox.wait_for(matching("join", name="alice", room=None)) == {
        "type": "join", "name": "alice", **USER
    }


def test_a_session_that_ends_leaves_every_room_it_was_in(join: ClientFactory) -> None:
    alice, bob, carol = _three_in_two_rooms(join)
    bob.conn.bye()
    assert alice.inbox.wait_for(matching("leave", name="bob", room=None))["reason"] == "quit"
    dev = alice.inbox.wait_for(matching("leave", name="bob", room="#dev"))
    assert dev == {"type": "leave", "room": "#dev", "name": "bob", "reason": "quit"}
    carol.inbox.wait_for(matching("leave", name="bob"))
    barrier(alice, None, carol)
    assert carol.inbox.all(matching("leave", room="#dev")) == []


def test_a_rename_is_seen_in_each_room_with_its_key(join: ClientFactory) -> None:
    alice, bob, carol = _three_in_two_rooms(join)
    dave = join("dave")
    join_room(dave, "#dev")
    send(dave, {"type": "part_room", "room": "#lobby"})
    alice.inbox.wait_for(matching("leave", name="dave", room=None))
    before = {name: len(client.inbox.frames)
              for name, client in (("bob", bob), ("carol", carol), ("dave", dave))}
    send(alice, {"type": "nick", "name": "alicia"})
    bob.inbox.wait_for(matching("join", name="alicia", room="#dev"))
    bob.inbox.wait_for(matching("join", name="alicia", room=None))
    barrier(bob, None, carol)
    barrier(bob, "#dev", dave)
    renames = {
        name: [(frame["type"], room_of(frame)) for frame in frames_after(client, before[name])
               if frame["type"] in ("join", "leave")
               and frame["name"] in ("alice", "alicia")]
        for name, client in (("bob", bob), ("carol", carol), ("dave", dave))
    }
    assert sorted(renames["bob"], key=str) == sorted(
        [("leave", None), ("join", None), ("leave", "#dev"), ("join", "#dev")], key=str)
    assert renames["carol"] == [("leave", None), ("join", None)]
    assert renames["dave"] == [("leave", "#dev"), ("join", "#dev")]
    leave = dave.inbox.wait_for(matching("leave", name="alice", room="#dev"))
    assert leave == {"type": "leave", "room": "#dev", "name": "alice", "reason": "quit",
                     "renamed_to": "alicia"}
    joined = dave.inbox.wait_for(matching("join", name="alicia", room="#dev"))
    assert joined == {"type": "join", "room": "#dev", "name": "alicia", **USER,
                      "renamed_from": "alice"}


def test_user_changed_reaches_each_sharing_session_once(join: ClientFactory) -> None:
    alice, bob, carol = _three_in_two_rooms(join)
    dave, erin = join("dave"), join("erin")
    join_room(dave, "#dev")
    send(dave, {"type": "part_room", "room": "#lobby"})
    join_room(erin, "#random")
    send(erin, {"type": "part_room", "room": "#lobby"})
    alice.inbox.wait_for(matching("leave", name="erin"))
    bob.inbox.wait_for(matching("leave", name="dave"))
    send(bob, {"type": "away", "text": "lunch"})
    expected = {"type": "user_changed", "name": "bob", "avatar": None, "admin": False,
                "away": "lunch"}
    for client in (bob, alice, carol, dave):
        assert client.inbox.wait_for(matching("user_changed")) == expected
    barrier(bob, None, alice, carol)
    barrier(bob, "#dev", dave)
    barrier(erin, "#random", erin)
    assert [len(client.inbox.all(matching("user_changed")))
            for client in (bob, alice, carol, dave, erin)] == [1, 1, 1, 1, 0]


def test_a_new_avatar_reaches_each_sharing_session_once(join: ClientFactory) -> None:
    alice, bob, carol = _three_in_two_rooms(join)
    erin = join("erin")
    join_room(erin, "#random")
    part_room(erin, "#lobby")
    alice.inbox.wait_for(matching("leave", name="erin"))
    picture = png(8, 8)
    sha = hashlib.sha256(picture).hexdigest()
    bob.conn.send_frame(Channel.IMAGE, {"type": "avatar", "sha256": sha}, picture)
    expected = {"type": "avatar_changed", "name": "bob", "avatar": sha}
    for client in (bob, alice, carol):
        assert client.inbox.wait_for(matching("avatar_changed")) == expected
    barrier(bob, None, alice, carol)
    barrier(erin, "#random", erin)
    assert [len(client.inbox.all(matching("avatar_changed")))
            for client in (bob, alice, carol, erin)] == [1, 1, 1, 0]


def test_whois_names_the_rooms_of_its_target(join: ClientFactory) -> None:
    _, _, carol = _three_in_two_rooms(join)
    send(carol, {"type": "whois", "name": "alice"})
    answer = carol.inbox.wait_for(matching("whois", name="alice"))
    assert sorted(answer["rooms"]) == ["#dev", "#lobby"]


def test_private_messages_and_whois_reach_users_who_share_no_room(
    join: ClientFactory,
) -> None:
    alice, erin = join("alice"), join("erin")
    join_room(erin, "#random")
    part_room(erin, "#lobby")
    send(alice, {"type": "private", "to": "erin", "text": "psst", "ref": "p-1"})
    assert erin.inbox.wait_for(matching("private"))["text"] == "psst"
    send(alice, {"type": "whois", "name": "erin"})
    assert alice.inbox.wait_for(matching("whois", name="erin"))["rooms"] == ["#random"]


# -- topics and the room list --------------------------------------------------------------


def test_a_topic_reaches_every_member_and_shows_on_joining(join: ClientFactory) -> None:
    alice, bob, carol = _three_in_two_rooms(join)
    topic = set_topic(alice, "#dev", "release friday")
    assert topic == {"type": "topic", "room": "#dev", "text": "release friday",
                     "by": "alice"}
    assert bob.inbox.wait_for(matching("topic", room="#dev")) == topic
    barrier(alice, None, carol)
    assert carol.inbox.all(matching("topic")) == []
    assert join_room(carol, "#dev")["topic"] == "release friday"
    assert {"room": "#dev", "members": 3, "topic": "release friday"} in list_rooms(carol)


def test_an_empty_topic_clears_it(join: ClientFactory) -> None:
    alice, bob, _ = _three_in_two_rooms(join)
    set_topic(alice, "#dev", "release friday")
    bob.inbox.wait_for(matching("topic", room="#dev", by="alice"))
    cleared = set_topic(bob, "#dev", "")
    assert cleared["by"] == "bob"
    assert not cleared.get("text")
    assert {"room": "#dev", "members": 2, "topic": None} in list_rooms(alice)


def test_the_default_rooms_topic_has_no_room_key_and_is_in_welcome(
    join: ClientFactory,
) -> None:
    alice = join("alice")
    assert set_topic(alice, None, "be kind") == {"type": "topic", "text": "be kind",
                                                 "by": "alice"}
    assert join("bob").conn.welcome["topic"] == "be kind"


def test_a_topic_over_300_characters_or_of_two_lines_is_refused(join: ClientFactory) -> None:
    alice = join("alice")
    join_room(alice, "#dev")
    for text in ("x" * 301, "two\nlines"):
        notice = notice_after(alice, {"type": "topic", "room": "#dev", "text": text})
        assert notice["level"] == "error"
    assert set_topic(alice, "#dev", "y" * 300)["text"] == "y" * 300


def test_only_members_set_a_rooms_topic(join: ClientFactory) -> None:
    alice, _, carol = _three_in_two_rooms(join)
    notice = notice_after(carol, {"type": "topic", "room": "#dev", "text": "mine"})
    assert notice["level"] == "error"
    assert {"room": "#dev", "members": 2, "topic": None} in list_rooms(alice)


def test_the_room_list_is_sorted_with_members_and_topics(join: ClientFactory) -> None:
    alice, bob, _ = _three_in_two_rooms(join)
    join_room(alice, "#random")
    set_topic(bob, "#dev", "release friday")
    assert list_rooms(alice) == [
        {"room": "#dev", "members": 2, "topic": "release friday"},
        {"room": "#lobby", "members": 3, "topic": None},
        {"room": "#random", "members": 1, "topic": None},
    ]


def test_an_empty_room_is_forgotten_unless_it_has_history_or_a_topic(
    join: ClientFactory,
) -> None:
    alice = join("alice")
    for room in ("#quiet", "#talked", "#titled"):
        join_room(alice, room)
    say_in(alice, "#talked", "something to keep")
    set_topic(alice, "#titled", "kept")
    for room in ("#quiet", "#talked", "#titled"):
        part_room(alice, room)
    assert list_rooms(alice) == [
        {"room": "#lobby", "members": 1, "topic": None},
        {"room": "#talked", "members": 0, "topic": None},
        {"room": "#titled", "members": 0, "topic": "kept"},
    ]
