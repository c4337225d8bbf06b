"""The client's protocol state (``net/session``) driven with typed updates and no sockets:
what each hello asks for, what a rejoin restores, what is new and what is seen twice."""

from __future__ import annotations

from tuichat.net.session import ClientSession
from tuichat.net.updates import (
    ChatMessage,
    HistoryBatch,
    RoomJoined,
    RoomParted,
    UserChanged,
    UserJoined,
    UserLeft,
    UserRecord,
    Welcome,
)

CLIENT = "tuichat/test"


def welcome(name: str = "alice", *, epoch: str = "e1", room: str = "#lobby",
            seqs: tuple[int, ...] = (), admin: bool = False,
            extensions: frozenset[str] = frozenset({"rooms", "away"})) -> Welcome:
    history = tuple(ChatMessage(room, "bob", f"m{seq}", 1.0, seq) for seq in seqs)
    return Welcome(name, "tok", room, extensions=extensions, epoch=epoch, history=history,
                   admin=admin)


def message(room: str, seq: int) -> ChatMessage:
    return ChatMessage(room, "bob", f"m{seq}", 1.0, seq)


def joined_room(room: str, epoch: str, seqs: tuple[int, ...] = ()) -> RoomJoined:
    return RoomJoined(room, epoch=epoch, history=tuple(message(room, seq) for seq in seqs))


def test_the_first_hello_says_who_and_nothing_of_rooms() -> None:
    session = ClientSession("alice", password="door", avatar="ab" * 32)
    assert session.hello(CLIENT) == {"type": "hello", "version": 1, "name": "alice",
                                     "client": CLIENT, "password": "door",
                                     "avatar": "ab" * 32}


def test_a_rejoin_asks_for_every_room_since_its_last_seq() -> None:
    session = ClientSession("alice")
    session.receive(welcome(seqs=(1, 2)))
    session.receive(joined_room("#dev", "d1", (5,)))
    session.receive(joined_room("#random", "r1"))
    session.receive(message("#dev", 6))
    session.receive(message("#lobby", 3))
    hello = session.hello(CLIENT)
    assert (hello["since"], hello["epoch"]) == (3, "e1")
    assert hello["rooms"] == {"#dev": {"since": 6, "epoch": "d1"},
                              "#random": {"since": 0, "epoch": "r1"}}
    assert list(session.rooms) == ["#lobby", "#dev", "#random"]


def test_a_message_seen_before_is_not_given_again() -> None:
    session = ClientSession("alice")
    session.receive(welcome(seqs=(1, 2)))
    assert session.receive(message("#lobby", 2)) is None
    assert session.receive(message("#lobby", 3)) == message("#lobby", 3)
    rejoined = session.receive(welcome(seqs=(2, 3, 4)))
    assert isinstance(rejoined, Welcome) and not rejoined.history_replaced
    assert [item.seq for item in rejoined.history] == [4]
    batch = session.receive(HistoryBatch("#lobby", (message("#lobby", 4), message("#lobby", 5))))
    assert isinstance(batch, HistoryBatch) and [item.seq for item in batch.messages] == [5]


def test_another_epoch_replaces_the_history_it_knew() -> None:
    session = ClientSession("alice", since=40, epoch="old")
    again = session.receive(welcome(epoch="new", seqs=(1, 2)))
    assert isinstance(again, Welcome) and again.history_replaced
    assert [item.seq for item in again.history] == [1, 2] and session.last_seq() == 2
    session.receive(joined_room("#dev", "d1", (9,)))
    moved = session.receive(joined_room("#dev", "d2", (1,)))
    assert isinstance(moved, RoomJoined) and moved.history_replaced
    assert session.last_seq("#dev") == 1 and session.epoch("#dev") == "d2"


def test_a_history_reset_starts_its_seqs_over() -> None:
    session = ClientSession("alice")
    session.receive(welcome(seqs=(8, 9)))
    reset = session.receive(HistoryBatch("#lobby", (message("#lobby", 2),), reset=True))
    assert isinstance(reset, HistoryBatch) and len(reset.messages) == 1
    assert session.last_seq() == 2


def test_a_parted_default_room_is_left_again_after_a_rejoin() -> None:
    session = ClientSession("alice")
    session.receive(welcome(seqs=(1,)))
    session.receive(joined_room("#dev", "d1"))
    session.receive(RoomParted("#lobby"))
    assert session.parted_default and list(session.rooms) == ["#dev"]
    hello = session.hello(CLIENT)
    assert "since" not in hello and set(hello["rooms"]) == {"#dev"}
    session.receive(welcome(seqs=(1, 2)))
    assert "#lobby" not in session.rooms  # its history is not kept: we leave at once
    assert session.after_welcome() == [{"type": "part_room", "room": "#lobby"}]
    session.receive(RoomJoined("#lobby", epoch="e1"))  # joined again by hand
    assert not session.parted_default and session.after_welcome() == []


def test_renames_rights_and_away_follow_the_server() -> None:
    session = ClientSession("alice")
    session.receive(welcome())
    session.receive(UserLeft("#lobby", "alice", renamed_to="alicia"))
    session.receive(UserJoined("#dev", UserRecord("alicia"), renamed_from="alice"))
    assert session.name == "alicia" and session.is_me("ALICIA")
    session.offer_admin("admin -a sesame")
    session.receive(UserChanged(UserRecord("alicia", admin=True, away="lunch")))
    assert (session.admin, session.admin_password, session.away) == (True, "sesame", "lunch")
    assert session.hello(CLIENT)["admin_password"] == "sesame"
    assert session.after_welcome() == [{"type": "away", "text": "lunch"}]
    session.receive(welcome("alicia", admin=False))  # the rights were refused this time
    assert session.admin_password is None and not session.admin


def test_frames_about_the_default_room_carry_no_room_key() -> None:
    session = ClientSession("alice")
    session.receive(welcome(room="#general"))
    assert session.room_key("#general") == {} and session.room_key(None) == {}
    assert session.room_key("#dev") == {"room": "#dev"}
    assert session.default_room == "#general" and not ClientSession("bob").speaks_rooms


def test_a_server_without_rooms_is_never_asked_to_part() -> None:
    session = ClientSession("alice")
    session.receive(welcome(extensions=frozenset()))
    session.parted_default = True
    assert session.after_welcome() == []
