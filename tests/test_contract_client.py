"""A client that speaks only the original contract (hello, welcome, attach, say, message,
join, leave; never ``rooms``) beside users in several rooms: it is in the default room,
sees no ``room`` key and no frame of another room, and gets exactly the frames it got
before rooms existed. The contract-only example bot keeps working too."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import WAIT, ClientFactory, matching
from tests.room_clients import Sessions, join_room, part_room, say_in, send, set_topic
from tuichat.net.frames import Frame
from tuichat.server.app import Server

EXAMPLE = Path(__file__).parent.parent / "examples" / "contract_bot.py"
TODAYS_WELCOME = {"type", "version", "session", "name", "server", "admin", "avatar",
                  "console_avatar", "history_truncated", "epoch", "extensions", "motd",
                  "users", "history"}
"""The keys of ``welcome`` before rooms (docs/PROTOCOL.md, hello and welcome)."""
ROOMS_WELCOME = {"room", "topic"}
"""What the rooms extension may add to ``welcome``: keys a contract client ignores."""
USER = {"avatar": None, "admin": False, "away": None}


@pytest.fixture
def sessions() -> Iterator[Sessions]:
    with Sessions() as opened:
        yield opened


def _without_time(frame: Frame) -> Frame:
    """``frame`` without its ``ts``, which no test can know in advance."""
    return {key: value for key, value in frame.items() if key != "ts"}


def test_a_contract_client_sees_only_the_default_room_in_todays_frames(
    server: Server, join: ClientFactory, sessions: Sessions
) -> None:
    old = sessions(server, "old")
    alice, bob = join("alice"), join("bob")
    join_room(alice, "#dev")
    join_room(bob, "#dev")
    say_in(alice, "#dev", "only for dev")
    set_topic(bob, "#dev", "release friday")
    say_in(bob, None, "lobby line")
    part_room(alice, "#lobby")
    bob.inbox.wait_for(matching("leave", name="alice", room=None))
    send(alice, {"type": "nick", "name": "alicia"})
    send(alice, {"type": "away", "text": "in dev"})
    bob.inbox.wait_for(matching("user_changed", name="alicia"))
    part_room(bob, "#dev")

    frames = old.say("done", "o-1")
    assert [_without_time(frame) for frame in frames] == [
        {"type": "join", "name": "alice", **USER},
        {"type": "join", "name": "bob", **USER},
        {"type": "message", "seq": 1, "from": "bob", "text": "lobby line", "avatar": None},
        {"type": "leave", "name": "alice", "reason": "quit", "parted": True},
        {"type": "message", "seq": 2, "from": "old", "text": "done", "avatar": None,
         "ref": "o-1"},
    ]


def test_a_contract_clients_welcome_is_todays_with_keys_it_ignores(
    server: Server, join: ClientFactory, sessions: Sessions
) -> None:
    alice, dave = join("alice"), join("dave")
    join_room(alice, "#dev")
    join_room(dave, "#dev")
    say_in(alice, "#dev", "dev only")
    say_in(alice, None, "lobby line")
    part_room(dave, "#lobby")
    welcome = sessions(server, "old").welcome
    assert TODAYS_WELCOME <= set(welcome) <= TODAYS_WELCOME | ROOMS_WELCOME
    assert [user["name"] for user in welcome["users"]] == ["alice", "old"]
    assert [(m["from"], m["text"]) for m in welcome["history"]] == [("alice", "lobby line")]
    assert all("room" not in message for message in welcome["history"])


def test_a_contract_clients_say_goes_to_the_default_room_only(
    server: Server, join: ClientFactory, sessions: Sessions
) -> None:
    alice, dave = join("alice"), join("dave")
    join_room(alice, "#dev")
    join_room(dave, "#dev")
    part_room(dave, "#lobby")
    old = sessions(server, "old")
    old.say("hi all", "o-1")
    seen = alice.inbox.wait_for(matching("message", text="hi all"))
    assert "room" not in seen
    say_in(alice, "#dev", "after")
    dave.inbox.wait_for(matching("message", text="after"))
    assert dave.inbox.all(matching("message", text="hi all")) == []


def test_a_contract_client_whose_user_shares_no_room_gets_no_presence(
    server: Server, join: ClientFactory, sessions: Sessions
) -> None:
    old = sessions(server, "old")
    erin = join("erin")
    join_room(erin, "#random")
    part_room(erin, "#lobby")
    send(erin, {"type": "away", "text": "elsewhere"})
    erin.inbox.wait_for(matching("user_changed", name="erin"))
    say_in(erin, "#random", "not for old")
    frames = old.say("done", "o-1")
    assert [(frame["type"], frame.get("reason")) for frame in frames] == [
        ("join", None), ("leave", "quit"), ("message", None)
    ]


def _bot(server: Server) -> subprocess.Popen[str]:
    ports = server.ports
    return subprocess.Popen(
        [sys.executable, str(EXAMPLE), "echo", "--port-send", str(ports.send),
         "--port-recv", str(ports.recv), "--port-image", str(ports.image)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_the_contract_bot_answers_in_the_default_room_and_never_sees_another(
    server: Server, join: ClientFactory
) -> None:
    alice = join("alice")
    bot = _bot(server)
    try:
        alice.inbox.wait_for(matching("join", name="echo"))
        join_room(alice, "#dev")
        say_in(alice, "#dev", "!echo from dev")
        say_in(alice, None, "!echo from the lobby")
        reply = alice.inbox.wait_for(matching("message", **{"from": "echo"}))
        assert (reply["text"], reply.get("room")) == ("from the lobby", None)
        out, err = bot.communicate(timeout=WAIT)
    finally:
        bot.kill()
    assert bot.returncode == 0, err
    assert alice.inbox.wait_for(matching("leave", name="echo"))["reason"] == "quit"
    received: list[dict[str, Any]] = [json.loads(line) for line in out.splitlines()]
    assert received[0]["type"] == "welcome"
    assert [frame for frame in received[1:] if "room" in frame] == []
    assert "from dev" not in out
    assert [frame["text"] for frame in received if frame["type"] == "message"] == [
        "!echo from the lobby", "from the lobby"
    ]


def test_the_contract_bot_works_with_todays_frames_alone(
    server: Server, join: ClientFactory
) -> None:
    """The bot needs nothing the rooms extension adds: a lobby-only exchange."""
    alice = join("alice")
    bot = _bot(server)
    try:
        alice.inbox.wait_for(matching("join", name="echo"))
        say_in(alice, None, "!echo hello")
        assert alice.inbox.wait_for(matching("message", text="hello"))["from"] == "echo"
        _, err = bot.communicate(timeout=WAIT)
    finally:
        bot.kill()
    assert bot.returncode == 0, err
