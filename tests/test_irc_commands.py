"""The IRC door's other commands on a real server: WHOWAS, USERHOST, ISON, INVITE (to an
IRC user and to a tuichat user), MODE +o, KILL, client-only tags, a rename with no
channel, and the sendq cutting off a client that does not read."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import ADMIN_PASSWORD, ClientFactory, ServerFactory, matching
from tests.irc_client import IrcClient
from tuichat.server.app import Server

IrcFactory = Callable[..., IrcClient]


@pytest.fixture
def server(make_server: ServerFactory) -> Server:
    return make_server(irc_port=0, irc_name="irc.test", queue_limit=16 * 1024)


@pytest.fixture
def irc(server: Server) -> Iterator[IrcFactory]:
    clients: list[IrcClient] = []

    def factory(nick: str, *caps: str, lobby: bool = True) -> IrcClient:
        assert server.ports.irc is not None
        client = IrcClient(server.ports.irc)
        clients.append(client)
        client.register(nick, *caps, lobby=lobby)
        return client

    yield factory
    for client in clients:
        client.close()


def test_whowas_userhost_and_ison(irc: IrcFactory) -> None:
    alice, bob = irc("alice"), irc("bob")
    bob.send("AWAY :out", "QUIT :bye")
    bob.wait_text("ERROR")
    alice.send("WHOWAS bob", "USERHOST alice", "ISON alice bob")
    assert alice.wait_text(" 314 ").endswith(" 314 alice bob ~bob tuichat * :Real bob")
    alice.wait_text(" 369 alice bob ")
    assert alice.wait_text(" 302 ").endswith(" 302 alice alice=+~alice@tuichat")
    assert alice.wait_text(" 303 ").endswith(" 303 alice alice")
    alice.send("WHOWAS nobody")
    alice.wait_text(" 406 alice nobody ")


def test_invite_reaches_irc_and_tuichat_users(irc: IrcFactory, join: ClientFactory) -> None:
    dana = join("dana")
    alice, bob = irc("alice"), irc("bob")
    alice.send("JOIN #dev", "INVITE bob #dev", "INVITE dana #dev")
    alice.wait_text(" 341 alice bob #dev")
    bob.wait_text(":alice!~alice@tuichat INVITE bob #dev")
    private = dana.inbox.wait_for(matching("private", **{"from": "alice"}))
    assert private["text"].startswith("/join #dev")
    alice.send("INVITE alice #dev")
    alice.wait_text(" 443 alice alice #dev ")


def test_a_keeper_gives_operator_and_an_admin_kills(irc: IrcFactory,
                                                     join: ClientFactory) -> None:
    carol = join("carol")
    alice, bob = irc("alice"), irc("bob")
    alice.send("JOIN #dev")
    alice.wait_text(" 366 alice #dev ")
    bob.send("JOIN #dev")
    bob.wait_text(" 366 bob #dev ")
    alice.send("MODE #dev +o bob", "MODE #dev +o nobody")
    bob.wait_text(":irc.test MODE #dev +o bob")
    alice.wait_text(" 401 alice nobody ")
    bob.send("KILL carol :spam")
    bob.wait_text(" 481 bob ")
    bob.send(f"OPER bob :{ADMIN_PASSWORD}")
    bob.wait_text(":bob MODE bob +o")
    bob.send("KILL carol :spam")
    carol.inbox.wait_closed()


def test_client_only_tags_reach_message_tags_clients(irc: IrcFactory) -> None:
    alice, bob, carol = irc("alice"), irc("bob", "message-tags"), irc("carol")
    alice.send("@+draft/react=wave;other=x PRIVMSG #lobby :hi")
    tagged = bob.wait_text("PRIVMSG #lobby hi")
    assert "+draft/react=wave" in tagged and "msgid=#lobby.1" in tagged
    assert "other=" not in tagged
    assert carol.wait_text("PRIVMSG #lobby hi").startswith(":alice!")


def test_a_rename_outside_every_channel_is_told_to_the_client(irc: IrcFactory) -> None:
    alice = irc("alice", lobby=False)
    alice.send("NICK malice")
    alice.wait_text(":alice!~alice@tuichat NICK malice")
    other = irc("alice", lobby=False)
    other.send("PING ok")
    other.wait_text("PONG irc.test ok")


def test_a_client_that_does_not_read_is_cut_off(server: Server, irc: IrcFactory,
                                                  join: ClientFactory) -> None:
    assert server.ports.irc is not None
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.ports.irc))
    sleeper = IrcClient.over(sock)
    sleeper.register("sleeper")
    bob = join("bob")
    index = 0
    while not bob.inbox.all(matching("leave", name="sleeper")):
        assert index < 5_000, "never cut off"
        bob.say_and_wait(f"line {index} " + "x" * 2000)  # one at a time: within the rate
        index += 1
    [left] = bob.inbox.all(matching("leave", name="sleeper"))
    assert left["reason"] == "error"
    sleeper.close()


def test_an_invisible_user_is_left_out_of_who_masks_but_not_of_who_nick(
        irc: IrcFactory) -> None:
    evan, shiv = irc("evan", lobby=False), irc("shiv", lobby=False)
    evan.send("MODE evan +i")
    evan.wait_text(":evan MODE evan +i")
    shiv.send("WHO eva*", "WHO evan")
    end_of_mask = shiv.wait_text(" 315 shiv eva* ")
    assert " 352 shiv * ~evan " in shiv.wait_text(" 352 ")
    replies = [line for line in shiv.lines if " 352 " in line or " 315 " in line]
    assert replies.index(end_of_mask) == 0, "the mask found no one"
