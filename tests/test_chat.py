"""Chatting through a real server: welcome, messages, presence, pings, leaving."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import ADMIN_PASSWORD, ClientFactory, RawChannel, ServerFactory, matching
from tuichat.net.client import Connection, ConnectionClosed
from tuichat.net.frames import CONSOLE, Channel
from tuichat.server.app import Server


def test_two_clients_chat_both_ways(join: ClientFactory) -> None:
    alice = join("alice")
    bob = join("bob")
    alice.inbox.wait_for(matching("join", name="bob"))

    echo = alice.say_and_wait("hello bob")
    seen_by_bob = bob.inbox.wait_for(matching("message", text="hello bob"))
    reply = bob.say_and_wait("hi alice")
    seen_by_alice = alice.inbox.wait_for(matching("message", text="hi alice"))

    assert seen_by_bob["from"] == "alice"
    assert "ref" not in seen_by_bob, "only the sender's copy carries ref"
    assert echo["seq"] == seen_by_bob["seq"]
    assert seen_by_alice["seq"] == reply["seq"] == echo["seq"] + 1
    assert seen_by_alice["from"] == "bob"


def test_welcome_lists_users_history_and_console_avatar(join: ClientFactory) -> None:
    alice = join("alice")
    alice.say_and_wait("first")
    bob = join("bob")
    welcome = bob.conn.welcome
    assert welcome["version"] == 1
    assert welcome["name"] == "bob"
    assert welcome["admin"] is False
    assert {user["name"] for user in welcome["users"]} == {"alice", "bob"}
    assert [message["text"] for message in welcome["history"]] == ["first"]
    assert len(welcome["session"]) >= 22, "token carries at least 128 random bits"
    assert welcome["session"] != alice.conn.welcome["session"]
    assert len(welcome["console_avatar"]) == 64


def test_thirty_clients_all_receive_every_message(join: ClientFactory) -> None:
    clients = [join(f"user{number}") for number in range(30)]
    for number, client in enumerate(clients[:5]):
        client.conn.say(f"line {number}")
    for client in clients:
        for number in range(5):
            client.inbox.wait_for(matching("message", text=f"line {number}"))
    seqs = {
        client.inbox.wait_for(matching("message", text="line 0"))["seq"] for client in clients
    }
    assert len(seqs) == 1, "everyone sees the same seq for the same message"


def test_multiline_and_unicode_text_arrive_unchanged(join: ClientFactory) -> None:
    alice, bob = join("alice"), join("Zoë")
    text = "line one\n  indented ✓ 名前 🎉\nlast"
    alice.conn.say(text)
    assert bob.inbox.wait_for(matching("message", text=text))["from"] == "alice"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("x" * 4097, "4,097 characters"),
        ("tab\there", "U+0009"),
        ("bell\x07", "U+0007"),
    ],
)
def test_refused_say_gets_error_notice_and_session_goes_on(
    join: ClientFactory, text: str, why: str
) -> None:
    alice = join("alice")
    ref = alice.conn.say(text)
    notice = alice.inbox.wait_for(matching("notice", level="error", ref=ref))
    assert why in notice["text"]
    assert alice.say_and_wait("still here")["text"] == "still here"
    assert not alice.inbox.all(matching("message", text=text))


def test_longest_allowed_message_is_delivered(join: ClientFactory) -> None:
    alice = join("alice")
    text = "é" * 4096
    assert alice.say_and_wait(text)["text"] == text


def test_join_and_leave_are_broadcast(join: ClientFactory) -> None:
    alice = join("alice")
    bob = join("bob")
    assert alice.inbox.wait_for(matching("join", name="bob"))["avatar"] is None
    bob.conn.bye()
    assert alice.inbox.wait_for(matching("leave", name="bob"))["reason"] == "quit"


def test_closing_one_channel_ends_the_whole_session(join: ClientFactory) -> None:
    alice = join("alice")
    bob = join("bob")
    bob.conn._channels[Channel.IMAGE].sock.shutdown(socket.SHUT_RDWR)
    alice.inbox.wait_for(matching("leave", name="bob"))
    assert bob.inbox.wait_closed()


def test_name_is_free_again_after_leaving(join: ClientFactory) -> None:
    alice = join("alice")
    bob = join("bob")
    bob.conn.bye()
    alice.inbox.wait_for(matching("leave", name="bob"))
    assert join("bob").conn.welcome["name"] == "bob"


def test_ping_is_answered_and_keeps_the_session(make_server: ServerFactory,
                                                join: ClientFactory) -> None:
    quick = make_server(ping_interval=0.05, ping_timeout=5.0)
    alice = join("alice", quick)
    alice.inbox.wait_for(matching("ping"), count=3)
    assert alice.inbox.closed_reason is None
    assert alice.say_and_wait("alive")["text"] == "alive"


def test_silent_client_is_dropped_with_timeout(make_server: ServerFactory,
                                               join: ClientFactory) -> None:
    quick = make_server(ping_interval=0.05, ping_timeout=1.0)
    watcher = join("watcher", quick)
    ports = quick.ports
    silent = RawChannel(ports.recv)
    silent.send({"type": "hello", "version": 1, "name": "silent"})
    silent.read_until(matching("welcome"))
    # The watcher answers pings (its Connection does); the raw client never does.
    leave = watcher.inbox.wait_for(matching("leave", name="silent"))
    assert leave["reason"] == "timeout"
    assert watcher.inbox.closed_reason is None
    silent.close()


def test_console_text_comes_from_console_with_its_avatar(server: Server,
                                                         join: ClientFactory) -> None:
    admin = join("root", admin_password=ADMIN_PASSWORD)
    alice = join("alice")
    admin.conn.command("admin -t : hello everyone")
    message = alice.inbox.wait_for(matching("message", text="hello everyone"))
    assert message["from"] == CONSOLE
    assert message["avatar"] == alice.conn.welcome["console_avatar"]


def test_bye_then_send_raises_connection_closed(join: ClientFactory) -> None:
    alice = join("alice")
    alice.conn.bye()
    with pytest.raises(ConnectionClosed):
        alice.conn.say("too late")


def test_connection_reports_last_seq(join: ClientFactory) -> None:
    alice = join("alice")
    echo = alice.say_and_wait("one")
    assert alice.conn.last_seq == echo["seq"]
    assert isinstance(alice.conn, Connection)
