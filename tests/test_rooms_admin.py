"""Admin commands in rooms: ``-s``, ``-l``, ``-c``, ``-t`` and ``-m`` act on the room they
are typed in and name it in their replies; ``-k`` and ``-b`` end the session in every
room (docs/PROTOCOL.md, "Rooms", admin commands)."""

from __future__ import annotations

import re

from tests.conftest import ADMIN_PASSWORD, Client, ClientFactory, matching
from tests.room_clients import (
    barrier,
    command_in,
    join_room,
    notice_after,
    part_room,
    say_in,
    send,
)
from tuichat.net.frames import CONSOLE
from tuichat.server.app import Server

DEV_SAVE = re.compile(r"dev-chat-\d{8}-\d{6}(-\d+)?\.txt")


def _root_bob_carol(join: ClientFactory) -> tuple[Client, Client, Client]:
    """root (admin) and bob in #lobby and #dev, carol in #lobby only."""
    root = join("root", admin_password=ADMIN_PASSWORD)
    bob, carol = join("bob"), join("carol")
    join_room(root, "#dev")
    join_room(bob, "#dev")
    root.inbox.wait_for(matching("join", name="bob", room="#dev"))
    return root, bob, carol


def _lobby_texts(client: Client) -> list[str]:
    """The texts of the default room's history in the client's welcome, barriers left out."""
    return [message["text"] for message in client.conn.welcome["history"]
            if not message["text"].startswith("barrier ")]


def _saved_name(text: str) -> str:
    """The save file a reply names (after ``saved as``)."""
    found = re.search(r"saved as (\S+?\.txt)", text)
    assert found is not None, text
    return found[1]


def test_save_in_a_room_writes_its_history_under_its_stem(
    server: Server, join: ClientFactory
) -> None:
    root, _, _ = _root_bob_carol(join)
    say_in(root, "#dev", "dev line")
    say_in(root, None, "lobby line")
    reply = command_in(root, "#dev", "admin -s")
    assert reply["level"] == "info"
    assert reply["room"] == "#dev"
    found = re.fullmatch(r"History of #dev saved as (\S+) \(1 message\)\.", reply["text"])
    assert found is not None, reply["text"]
    assert DEV_SAVE.fullmatch(found[1])
    saved = (server.config.saves_dir / found[1]).read_text(encoding="utf-8")
    assert "root: dev line" in saved
    assert "lobby line" not in saved


def test_save_in_the_default_room_keeps_todays_file_name(
    server: Server, join: ClientFactory
) -> None:
    root, _, _ = _root_bob_carol(join)
    say_in(root, None, "lobby line")
    say_in(root, "#dev", "dev line")
    reply = command_in(root, None, "admin -s")
    assert "room" not in reply
    name = _saved_name(reply["text"])
    assert re.fullmatch(r"chat-\d{8}-\d{6}(-\d+)?\.txt", name)
    saved = (server.config.saves_dir / name).read_text(encoding="utf-8")
    assert "root: lobby line" in saved
    assert "dev line" not in saved


def test_an_admin_line_said_in_a_room_acts_on_that_room(join: ClientFactory) -> None:
    root, bob, _ = _root_bob_carol(join)
    say_in(root, "#dev", "dev line")
    reply = notice_after(root, {"type": "say", "room": "#dev", "text": "admin -s"})
    assert reply["text"].startswith("History of #dev saved as dev-chat-")
    barrier(root, "#dev", bob)
    assert bob.inbox.all(matching("message", text="admin -s")) == []


def test_clear_in_a_room_clears_only_that_room(join: ClientFactory) -> None:
    root, bob, carol = _root_bob_carol(join)
    for number in range(12):
        say_in(root, "#dev", f"dev {number}")
    say_in(root, None, "lobby stays")
    reply = command_in(root, "#dev", "admin -c")
    assert reply["text"].startswith("Cleared 2 messages")
    assert "kept the last 10" in reply["text"] and "#dev" in reply["text"]
    backup = _saved_name(reply["text"])
    assert backup.startswith("dev-chat-") and backup.endswith("-before-clear.txt")
    reset = bob.inbox.wait_for(matching("history", reset=True))
    assert reset["room"] == "#dev"
    assert [m["text"] for m in reset["messages"]] == [f"dev {n}" for n in range(2, 12)]
    barrier(root, None, carol)
    assert carol.inbox.all(matching("history")) == []
    assert _lobby_texts(join("late")) == ["lobby stays"]


def test_load_in_a_room_replaces_only_that_rooms_history(join: ClientFactory) -> None:
    root, bob, carol = _root_bob_carol(join)
    say_in(root, "#dev", "saved in dev")
    name = _saved_name(command_in(root, "#dev", "admin -s")["text"])
    say_in(root, "#dev", "said after the save")
    say_in(root, None, "lobby stays")
    reply = command_in(root, "#dev", f"admin -l {name}")
    assert reply["level"] == "info", reply
    assert reply["text"].startswith(f"Loaded {name}")
    assert "(1 message)" in reply["text"] and "#dev" in reply["text"]
    reset = bob.inbox.wait_for(matching("history", reset=True, room="#dev"))
    assert [m["text"] for m in reset["messages"]] == ["saved in dev"]
    barrier(root, None, carol)
    assert carol.inbox.all(matching("history")) == []
    assert _lobby_texts(join("late")) == ["lobby stays"]


def test_console_text_in_a_room_is_said_and_stored_there(join: ClientFactory) -> None:
    root, bob, carol = _root_bob_carol(join)
    say_in(bob, "#dev", "first in dev")
    send(root, {"type": "command", "room": "#dev", "line": "admin -t : deploy at five"})
    message = bob.inbox.wait_for(matching("message", text="deploy at five"))
    assert (message["from"], message["room"], message["seq"]) == (CONSOLE, "#dev", 2)
    barrier(root, None, carol)
    assert carol.inbox.all(matching("message", text="deploy at five")) == []
    history = join_room(carol, "#dev")["history"]
    assert [m["text"] for m in history] == ["first in dev", "deploy at five"]


def test_the_message_of_the_day_of_a_room_is_its_own(join: ClientFactory) -> None:
    root, bob, carol = _root_bob_carol(join)
    send(root, {"type": "command", "room": "#dev", "line": "admin -m ship it"})
    motd = bob.inbox.wait_for(matching("notice", motd=True))
    assert (motd["text"], motd["room"]) == ("ship it", "#dev")
    root.inbox.wait_for(matching("notice", motd=True))
    shown = command_in(root, "#dev", "admin -m")
    assert "ship it" in shown["text"] and "#dev" in shown["text"]
    barrier(root, None, carol)
    assert carol.inbox.all(matching("notice", motd=True)) == []
    assert join_room(carol, "#dev")["motd"] == "ship it"
    assert join("late").conn.welcome["motd"] is None


def test_a_kick_typed_in_a_room_ends_the_session_in_every_room(join: ClientFactory) -> None:
    root, bob, carol = _root_bob_carol(join)
    dave = join("dave")
    join_room(dave, "#dev")
    part_room(dave, "#lobby")
    reply = command_in(root, "#dev", "admin -k bob spam")
    assert reply["text"] == "Kicked bob."
    assert bob.inbox.wait_for(matching("error", code="kicked"))["text"] == (
        "You were kicked by root: spam")
    assert bob.inbox.wait_closed()
    assert carol.inbox.wait_for(matching("leave", name="bob")) == {
        "type": "leave", "name": "bob", "reason": "kicked", "by": "root", "text": "spam"
    }
    assert dave.inbox.wait_for(matching("leave", name="bob")) == {
        "type": "leave", "room": "#dev", "name": "bob", "reason": "kicked", "by": "root",
        "text": "spam"
    }


def test_a_kick_reaches_a_user_who_shares_no_room_with_the_admin(
    join: ClientFactory,
) -> None:
    root, _, carol = _root_bob_carol(join)
    erin = join("erin")
    join_room(erin, "#random")
    part_room(erin, "#lobby")
    carol.inbox.wait_for(matching("leave", name="erin"))
    assert command_in(root, "#dev", "admin -k erin")["text"] == "Kicked erin."
    assert erin.inbox.wait_for(matching("error", code="kicked"))
    assert erin.inbox.wait_closed()
    barrier(root, None, carol)
    assert carol.inbox.all(matching("leave", reason="kicked")) == []


def test_a_ban_typed_in_a_room_ends_the_session_in_every_room(join: ClientFactory) -> None:
    root, bob, carol = _root_bob_carol(join)
    reply = command_in(root, "#dev", "admin -b name:bob")
    assert reply["text"].startswith("Banned the name 'bob'")
    assert bob.inbox.wait_for(matching("error", code="banned"))
    leave = carol.inbox.wait_for(matching("leave", name="bob"))
    assert (leave["reason"], leave.get("banned")) == ("kicked", True)
    assert root.inbox.wait_for(matching("leave", name="bob", room="#dev"))["banned"] is True


def test_becoming_admin_in_a_room_is_told_once_to_each_sharing_session(
    join: ClientFactory,
) -> None:
    root, bob, carol = _root_bob_carol(join)
    reply = command_in(bob, "#dev", f"admin -a {ADMIN_PASSWORD}")
    assert reply["text"].startswith("You are now an admin.")
    barrier(bob, None, root, carol)
    barrier(bob, "#dev", root)
    for client in (root, bob, carol):
        assert [frame["admin"] for frame in client.inbox.all(
            matching("user_changed", name="bob"))] == [True]


def test_a_room_command_needs_admin_rights(server: Server, join: ClientFactory) -> None:
    _, bob, _ = _root_bob_carol(join)
    reply = command_in(bob, "#dev", "admin -s")
    assert reply["level"] == "error"
    assert reply["text"].startswith("admin -s needs admin rights.")
    assert not server.config.saves_dir.exists() or not list(server.config.saves_dir.iterdir())


def test_a_command_typed_in_a_room_one_is_not_in_does_nothing(
    server: Server, join: ClientFactory
) -> None:
    root, bob, _ = _root_bob_carol(join)
    say_in(bob, "#dev", "dev line")
    part_room(root, "#dev")
    reply = command_in(root, "#dev", "admin -s")
    assert reply["level"] == "error"
    assert not server.config.saves_dir.exists() or not list(server.config.saves_dir.iterdir())
