"""The IRC door on a real server: IRC clients and tuichat clients in the same rooms,
messages, emotes and private messages both ways, admin lines, OPER, the nick mapping,
the join password, long lines, CHATHISTORY and several-line messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.conftest import ADMIN_PASSWORD, ClientFactory, ServerFactory, matching
from tests.irc_client import IrcClient
from tuichat.server.app import Server
from tuichat.server.doors.irc.message import MAX_LINE_BYTES
from tuichat.server.doors.irc.nicks import nick_of

IrcFactory = Callable[..., IrcClient]


@pytest.fixture
def server(make_server: ServerFactory) -> Server:
    return make_server(irc_port=0, irc_name="irc.test")


@pytest.fixture
def irc(server: Server) -> Iterator[IrcFactory]:
    clients: list[IrcClient] = []

    def factory(nick: str | None = None, *caps: str) -> IrcClient:
        assert server.ports.irc is not None
        client = IrcClient(server.ports.irc)
        clients.append(client)
        if nick is not None:
            client.register(nick, *caps)
        return client

    yield factory
    for client in clients:
        client.close()


def test_registration_welcomes_and_answers_pings_as_the_server_name(irc: IrcFactory) -> None:
    alice = irc()
    alice.send("NICK alice", "USER alice 0 * :Alice A")
    assert alice.wait_text(" 001 ").startswith(":irc.test 001 alice ")
    alice.wait_text(" 005 alice ")
    alice.wait_text(" 422 alice ")
    alice.send("PING abcdef")
    assert alice.wait_text("PONG") == ":irc.test PONG irc.test abcdef"


def test_a_tuichat_client_and_an_irc_client_talk_in_lobby_and_dev(
        irc: IrcFactory, join: ClientFactory) -> None:
    bob = join("bob")
    alice = irc("alice")
    bob.inbox.wait_for(matching("join", name="alice"))
    bob.say_and_wait("hi from tuichat")
    alice.wait_text(":bob!tuichat@tuichat PRIVMSG #lobby :hi from tuichat")
    alice.send("PRIVMSG #lobby :hi from irc")
    assert bob.inbox.wait_for(matching("message", **{"from": "alice"}))["text"] == \
        "hi from irc"
    alice.send("JOIN #dev")
    alice.wait_text(" 366 alice #dev ")
    bob.conn.join_room("#dev")
    alice.wait_text(":bob!tuichat@tuichat JOIN #dev")
    bob.conn.say("waves", action=True, room="#dev")
    alice.wait_text("PRIVMSG #dev :\x01ACTION waves\x01")
    alice.send("PRIVMSG #dev :\x01ACTION nods\x01")
    nod = bob.inbox.wait_for(matching("message", room="#dev", **{"from": "alice"}))
    assert (nod["text"], nod.get("action")) == ("nods", True)


def test_private_messages_go_both_ways(irc: IrcFactory, join: ClientFactory) -> None:
    bob = join("bob")
    alice = irc("alice")
    alice.send("PRIVMSG bob :psst")
    private = bob.inbox.wait_for(matching("private", **{"from": "alice"}))
    assert private["text"] == "psst"
    bob.conn.private("alice", "hello back")
    alice.wait_text(":bob!tuichat@tuichat PRIVMSG alice :hello back")
    alice.send("PRIVMSG nobody :hello?")
    alice.wait_text(" 401 alice nobody ")


def test_admin_lines_are_answered_by_console_and_never_said(
        irc: IrcFactory, join: ClientFactory) -> None:
    bob = join("bob")
    alice = irc("alice")
    alice.send("PRIVMSG #lobby :admin -h")
    alice.wait_text(":Console!Console@tuichat NOTICE alice :Admin commands:")
    alice.send("PRIVMSG #lobby :after")
    bob.inbox.wait_for(matching("message", text="after"))
    assert not bob.inbox.all(matching("message", text="admin -h"))


def test_oper_with_the_admin_password_makes_an_operator(irc: IrcFactory) -> None:
    alice = irc("alice")
    alice.send("OPER alice wrong")
    alice.wait_text(" 464 alice ")
    alice.send(f"OPER alice :{ADMIN_PASSWORD}")
    alice.wait_text(" 381 alice ")
    alice.send("NAMES #lobby")
    assert alice.wait_text(" 353 ").endswith("@alice")


def test_the_first_in_a_channel_keeps_it_and_may_kick(irc: IrcFactory) -> None:
    alice, bob = irc("alice"), irc("bob")
    alice.send("JOIN #dev")
    alice.wait_text(" 366 alice #dev ")
    bob.send("JOIN #dev")
    assert bob.wait_text(" 353 bob = #dev ").endswith(":@alice bob")
    bob.send("KICK #dev alice")
    bob.wait_text(" 482 bob #dev ")
    alice.send("KICK #dev bob :off topic")
    bob.wait_text(":alice!~alice@tuichat KICK #dev bob :off topic")
    bob.send("PRIVMSG #dev :still here?")
    bob.wait_text(" 404 bob #dev ")


def test_names_that_are_no_irc_nicks_show_under_the_mapping(
        irc: IrcFactory, join: ClientFactory) -> None:
    jose = join("José")
    alice = irc("alice")
    mapped = nick_of("José")
    assert mapped.startswith("Jos_|") and len(mapped) == 9
    alice.send("NAMES #lobby")
    assert mapped in alice.wait_text(" 353 ").split(":")[-1].split()
    alice.send(f"PRIVMSG {mapped} :hola")
    assert jose.inbox.wait_for(matching("private", **{"from": "alice"}))["text"] == "hola"
    alice.send("NICK 1up", "NICK a.b")
    alice.wait_text(" 432 alice 1up ")
    alice.wait_text(" 432 alice a.b ")


def test_a_nick_in_use_is_refused_and_another_may_be_tried(irc: IrcFactory) -> None:
    irc("alice")
    second = irc()
    second.send("NICK ALICE", "USER x 0 * :x")
    second.wait_text(" 433 * ALICE ")
    second.send("NICK alice2")
    second.wait_text(" 001 alice2 ")


def test_a_wrong_join_password_is_refused_and_closed(make_server: ServerFactory) -> None:
    server = make_server(irc_port=0, password="sesame")
    assert server.ports.irc is not None
    wrong = IrcClient(server.ports.irc)
    wrong.send("PASS nope", "NICK alice", "USER a 0 * :a")
    wrong.wait_text(" 464 ")
    wrong.wait_text("ERROR :Closing Link")
    wrong.wait_closed()
    right = IrcClient(server.ports.irc)
    right.register("alice", password="sesame")
    for client in (wrong, right):
        client.close()


def test_a_line_over_the_limit_is_refused_and_the_session_goes_on(irc: IrcFactory) -> None:
    alice = irc("alice")
    alice.send("PRIVMSG #lobby :" + "x" * MAX_LINE_BYTES)
    alice.wait_text(" 417 alice ")
    alice.send("PING still")
    alice.wait_text("PONG irc.test still")


def test_several_lines_reach_irc_as_several_privmsgs(
        irc: IrcFactory, join: ClientFactory) -> None:
    bob = join("bob")
    alice = irc("alice")
    bob.say_and_wait("first **bold**\nsecond")
    alice.wait_text("PRIVMSG #lobby :first **bold**")
    alice.wait_text("PRIVMSG #lobby second")


def test_chathistory_serves_the_room_history_in_a_batch(
        irc: IrcFactory, join: ClientFactory) -> None:
    bob = join("bob")
    for text in ("one", "two", "three"):
        bob.say_and_wait(text)
    alice = irc("alice", "batch", "server-time", "draft/chathistory")
    alice.send("CHATHISTORY LATEST #lobby * 2")
    start = alice.wait_text("BATCH +")
    ref = start.split()[2][1:]
    assert start.endswith(f"BATCH +{ref} chathistory #lobby")
    two = alice.wait_text("PRIVMSG #lobby")
    assert two.startswith("@time=") and f"batch={ref}" in two and two.endswith(" two")
    assert alice.wait_text("PRIVMSG #lobby").endswith(" three")
    alice.wait_text(f"BATCH -{ref}")


def test_echo_message_and_away_notify(irc: IrcFactory, join: ClientFactory) -> None:
    bob = join("bob")
    alice = irc("alice", "echo-message", "away-notify")
    alice.send("PRIVMSG #lobby :mine")
    alice.wait_text(":alice!~alice@tuichat PRIVMSG #lobby mine")
    bob.conn.away("lunch")
    alice.wait_text(":bob!tuichat@tuichat AWAY lunch")


def test_a_quit_is_seen_by_tuichat_users(irc: IrcFactory, join: ClientFactory) -> None:
    bob = join("bob")
    alice = irc("alice")
    bob.inbox.wait_for(matching("join", name="alice"))
    alice.send("QUIT :bye now")
    alice.wait_text("ERROR :Closing Link")
    left = bob.inbox.wait_for(matching("leave", name="alice"))
    assert left["reason"] == "quit"


def test_a_client_that_joins_many_channels_at_once_gets_them_all(
        make_server: ServerFactory) -> None:
    server = make_server(irc_port=0, irc_name="irc.test", rate_burst=10, rate_per_second=5.0)
    assert server.ports.irc is not None
    alice = IrcClient(server.ports.irc)
    try:
        alice.register("alice")
        channels = [f"#c{number}" for number in range(15)]  # more than the line burst
        alice.send(f"JOIN {','.join(channels)}")
        for channel in channels:
            alice.wait_text(f" 366 alice {channel} ")
        alice.send("PRIVMSG #c14 :and still allowed to talk", "PING done")
        alice.wait_text("PONG")
        assert not [line for line in alice.lines if "Slow down" in line]
    finally:
        alice.close()
