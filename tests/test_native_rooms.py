"""Rooms through the native door, on real sockets: frames about the default room are the
original contract's (no ``room`` key), others name their room; ``room_joined`` is packed
like ``welcome``; ``hello`` rejoins rooms with a ``since`` of each."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ELSEWHERE, RawChannel, RawFactory, RawUser, ServerFactory
from tests.core.conftest import Discard
from tuichat.net.codec import FrameDecoder, encode
from tuichat.net.frames import MAX_FRAME_BYTES, Frame
from tuichat.server.core.model import Member, Room
from tuichat.server.core.requests import Resume
from tuichat.server.doors.native.greetings import USERS_BUDGET, Greetings
from tuichat.server.store.history import History


def _read_type(channel: RawChannel, kind: str) -> Frame:
    return channel.read_until(lambda frame: frame.get("type") == kind)


def _join(user: RawUser, room: str) -> Frame:
    user.send.send({"type": "join_room", "room": room})
    return _read_type(user.recv, "room_joined")


def _say(user: RawUser, text: str, room: str | None = None, ref: str = "r") -> Frame:
    frame: Frame = {"type": "say", "text": text, "ref": ref}
    if room is not None:
        frame["room"] = room
    user.send.send(frame)
    return user.recv.read_until(lambda f: f.get("type") == "message" and f.get("ref") == ref)


def test_a_contract_client_never_sees_a_frame_of_another_room(raw_join: RawFactory) -> None:
    old = raw_join("old")  # knows only the contract: it never joins a room
    alice, bob = raw_join("alice"), raw_join("bob")
    _join(alice, "#dev")
    _join(bob, "#dev")
    _say(alice, "in dev", "#dev", ref="d")
    alice.send.send({"type": "topic", "room": "#dev", "text": "release friday"})
    _read_type(alice.recv, "topic")
    bob.send.send({"type": "part_room", "room": "#dev"})
    _read_type(bob.recv, "room_parted")
    lobby = _say(alice, "in the lobby", ref="l")
    assert list(lobby) == ["type", "seq", "ts", "from", "text", "avatar", "ref"]
    frames = [old.recv.read_frame()]
    while frames[-1].get("text") != "in the lobby":
        frames.append(old.recv.read_frame())
    assert [frame["type"] for frame in frames] == ["join", "join", "message"]
    assert not any("room" in frame for frame in frames)
    assert list(frames[-1]) == ["type", "seq", "ts", "from", "text", "avatar"]
    assert frames[-1]["seq"] == 1, "the lobby's own seqs"
    assert old.welcome["room"] == "#lobby" and "rooms" in old.welcome["extensions"]


def test_frames_about_another_room_name_it_after_their_type(raw_join: RawFactory) -> None:
    alice, bob = raw_join("alice"), raw_join("bob")
    joined = _join(alice, "#dev")
    assert list(joined)[:2] == ["type", "room"] and joined["users"][-1]["name"] == "alice"
    _join(bob, "#dev")
    join = _read_type(alice.recv, "join")
    assert join == {"type": "join", "room": "#dev", "name": "bob", "avatar": None,
                    "admin": False, "away": None}
    said = _say(bob, "hi", "#dev", ref="b")
    assert list(said)[:3] == ["type", "room", "seq"] and said["seq"] == 1
    bob.send.send({"type": "part_room", "room": "#dev"})
    assert _read_type(bob.recv, "room_parted") == {"type": "room_parted", "room": "#dev"}
    leave = alice.recv.read_until(lambda f: f.get("type") == "leave" and "room" in f)
    assert leave == {"type": "leave", "room": "#dev", "name": "bob", "reason": "quit",
                     "parted": True}


def test_parting_the_default_room_looks_like_a_quit_to_old_clients(
    raw_join: RawFactory,
) -> None:
    old, alice = raw_join("old"), raw_join("alice")
    alice.send.send({"type": "part_room"})
    assert _read_type(alice.recv, "room_parted") == {"type": "room_parted", "room": "#lobby"}
    leave = _read_type(old.recv, "leave")
    assert leave == {"type": "leave", "name": "alice", "reason": "quit", "parted": True}
    alice.send.send({"type": "say", "text": "anyone?", "ref": 3})
    notice = _read_type(alice.recv, "notice")
    assert notice == {"type": "notice", "level": "error",
                      "text": "You are not in #lobby; /join #lobby first.", "ref": 3}


def test_a_room_joined_too_big_for_one_frame_goes_on_in_replays(
    raw_join: RawFactory,
) -> None:
    alice, bob = raw_join("alice"), raw_join("bob")
    _join(alice, "#dev")
    for number in range(30):
        _say(alice, f"{number} " + "x" * 4_000, "#dev", ref=f"m{number}")
    joined = _join(bob, "#dev")
    assert len(encode(joined)) <= MAX_FRAME_BYTES
    packed = [message["seq"] for message in joined["history"]]
    rest = [bob.recv.read_frame() for _ in range(30 - len(packed))]
    assert packed and len(packed) < 30
    assert all(f["type"] == "message" and f["room"] == "#dev" and f["replay"] is True
               for f in rest)
    assert packed + [f["seq"] for f in rest] == list(range(1, 31))


def test_hello_rejoins_rooms_each_from_its_own_since(make_server: ServerFactory,
                                                     tmp_path: Path) -> None:
    server = make_server()
    alice = RawUser(server, "alice", ELSEWHERE)
    joined = _join(alice, "#dev")
    for number in range(3):
        _say(alice, f"dev {number}", "#dev", ref=f"d{number}")
    alice.close()
    raw = RawChannel(server.ports.recv)
    raw.send({"type": "hello", "version": 1, "name": "alice2", "rooms": {
        "#dev": {"since": 1, "epoch": joined["epoch"]}, "#Bad!": {}, "#new": [],
        "random": {}}})
    welcome = raw.read_frame()
    assert welcome["type"] == "welcome" and welcome["room"] == "#lobby"
    dev = raw.read_frame()
    assert dev["type"] == "room_joined" and dev["room"] == "#dev"
    assert [m["text"] for m in dev["history"]] == ["dev 1", "dev 2"]
    assert dev["history_truncated"] is False
    random = raw.read_frame()
    assert (random["type"], random["room"], random["history"]) == ("room_joined", "#random",
                                                                  [])
    problems = [raw.read_frame() for _ in range(2)]
    assert [(p["type"], p["level"]) for p in problems] == [("notice", "error")] * 2
    assert problems[0]["text"].startswith("Room not joined: a room name ")
    assert problems[1]["text"] == "Room not joined: the entry of #new must be an object."
    raw.close()


def test_notices_about_another_room_name_it(raw_join: RawFactory) -> None:
    alice = raw_join("alice")
    alice.send.send({"type": "command", "line": "admin -a correct horse battery staple"})
    _read_type(alice.recv, "notice")
    _join(alice, "#dev")
    alice.send.send({"type": "command", "room": "#dev", "line": "admin -m ship it"})
    motd = _read_type(alice.recv, "notice")
    assert motd == {"type": "notice", "level": "info", "text": "ship it", "room": "#dev",
                    "motd": True}
    alice.send.send({"type": "list_rooms"})
    assert _read_type(alice.recv, "rooms") == {"type": "rooms", "rooms": [
        {"room": "#dev", "members": 1, "topic": None},
        {"room": "#lobby", "members": 1, "topic": None}]}
    alice.send.send({"type": "topic", "text": "welcome all"})
    assert _read_type(alice.recv, "topic") == {"type": "topic", "text": "welcome all",
                                               "by": "alice"}


def test_room_joined_users_that_do_not_fit_follow_as_present_joins(tmp_path: Path) -> None:
    history = History(tmp_path / "dev.sqlite3")
    room = Room("#dev", history, None)
    for number in range(USERS_BUDGET // 60):
        member = Member(f"user-with-a-long-name-{number:05}", "h", "h:1", Discard())
        room.members[member.key] = member
    lines = list(Greetings("#lobby", 1 << 20, "c" * 64).room_joined(room, Resume()))
    frames = [decoded.frame for decoded in FrameDecoder().feed(b"".join(lines))]
    first, rest = frames[0], frames[1:]
    assert len(lines[0]) <= USERS_BUDGET + 1_000
    assert rest and all(f["type"] == "join" and f["room"] == "#dev" and f["present"] is True
                        for f in rest)
    names = [user["name"] for user in first["users"]] + [f["name"] for f in rest]
    assert names == [member.name for member in room.members.values()]
    history.close()

