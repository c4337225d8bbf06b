"""Tickets over the native door, with no SSH: a ticket the core issued lets its identity
in once (its name, its admin right, its address, no join password); an unknown, expired,
reused or other-name ticket is refused with ``bad_password``; the connections of
ticketed sessions count against the identity's address, not loopback's; a standing
ticket (the browser door's) brings its address under any name, with the join password,
until revoked; a ticket knows the member it let in while that member is here."""

from __future__ import annotations

import concurrent.futures

from tests.conftest import RawChannel, ServerFactory
from tests.core.conftest import Discard
from tuichat.net.frames import Frame
from tuichat.server.app import Server
from tuichat.server.core.identity import Identity
from tuichat.server.core.model import Member
from tuichat.server.core.tickets import TicketError, Tickets

ALICE = Identity("alice", "203.0.113.7", "SHA256:abc", admin=False)


def issue(server: Server, identity: Identity) -> str:
    """A ticket from the core, asked for on the reactor thread as the SSH door does."""
    assert server.chat is not None
    chat = server.chat
    future: concurrent.futures.Future[str] = concurrent.futures.Future()
    server.reactor.call_soon_threadsafe(lambda: future.set_result(chat.issue_ticket(identity)))
    return future.result(10)


def on_reactor(server: Server, job: object) -> object:
    """``job()`` run on the reactor thread, its result."""
    future: concurrent.futures.Future[object] = concurrent.futures.Future()
    server.reactor.call_soon_threadsafe(lambda: future.set_result(job()))  # type: ignore[operator]
    return future.result(10)


def hello(server: Server, name: str, ticket: object) -> tuple[RawChannel, Frame]:
    recv = RawChannel(server.ports.recv)
    recv.send({"type": "hello", "version": 1, "name": name, "client": "test",
               "ticket": ticket})
    return recv, recv.read_frame()


def test_a_ticket_lets_its_identity_in_without_the_join_password(
        make_server: ServerFactory) -> None:
    server = make_server(password="sesame")
    recv, welcome = hello(server, "alice", issue(server, ALICE))
    assert welcome["type"] == "welcome" and welcome["name"] == "alice"
    assert welcome["admin"] is False
    assert server.chat is not None
    chat = server.chat
    member = on_reactor(server, lambda: chat.find("alice"))
    assert isinstance(member, Member)
    assert (member.host, member.fingerprint) == ("203.0.113.7", "SHA256:abc")
    recv.close()


def test_an_admin_identity_joins_as_admin_with_no_password(server: Server) -> None:
    admin = Identity("root", "203.0.113.8", "SHA256:def", admin=True)
    recv, welcome = hello(server, "root", issue(server, admin))
    assert welcome["admin"] is True
    recv.close()


def test_a_ticket_works_once(server: Server) -> None:
    ticket = issue(server, ALICE)
    first, welcome = hello(server, "alice", ticket)
    assert welcome["type"] == "welcome"
    first.close()
    _, refused = hello(server, "alice", ticket)
    assert refused["code"] == "bad_password"
    assert "used already" in refused["text"]


def test_a_ticket_for_another_name_is_refused(server: Server) -> None:
    _, refused = hello(server, "mallory", issue(server, ALICE))
    assert refused["code"] == "bad_password"
    assert "not for 'mallory'" in refused["text"]


def test_an_unknown_ticket_is_refused(server: Server) -> None:
    for ticket in ("made-up", 42):
        _, refused = hello(server, "alice", ticket)
        assert refused["type"] == "error" and refused["code"] == "bad_password"
        assert "unknown" in refused["text"]


def test_an_expired_ticket_is_refused() -> None:
    now = [100.0]
    tickets = Tickets(lifetime=5.0, clock=lambda: now[0])
    ticket = tickets.issue(ALICE)
    assert tickets.recent == 1
    now[0] += 5.0
    try:
        tickets.redeem(ticket, "alice")
    except TicketError as exc:
        assert "expired" in str(exc)
    else:
        raise AssertionError("an expired ticket let alice in")
    assert tickets.recent == 0


def test_an_expired_ticket_is_refused_over_the_door(server: Server) -> None:
    assert server.chat is not None
    chat = server.chat
    tickets = Tickets(lifetime=0.0)
    ticket = tickets.issue(ALICE)

    def install() -> None:
        chat._admission.tickets = tickets  # a ticket that is born expired

    on_reactor(server, install)
    _, refused = hello(server, "alice", ticket)
    assert refused["code"] == "bad_password" and "expired" in refused["text"]


def test_ticketed_sessions_are_not_counted_against_loopback(
        make_server: ServerFactory) -> None:
    """With the default per-address limit (64 connections), 40 sessions whose tickets
    were just issued open all their 120 loopback connections before any hello, and all
    join; then each session's three connections count against its identity's key, or its
    address when it has none."""
    server = make_server(max_per_address=64)
    ports = server.ports
    identities = [Identity(f"user{n}", f"198.51.100.{n % 2}", f"SHA256:key{n}" if n % 2 else None)
                  for n in range(40)]
    tickets = [issue(server, identity) for identity in identities]
    opened = [[RawChannel(port) for port in (ports.recv, ports.send, ports.image)]
              for _ in identities]
    for identity, ticket, (recv, send, image) in zip(identities, tickets, opened, strict=True):
        recv.send({"type": "hello", "version": 1, "name": identity.name, "client": "test",
                   "ticket": ticket})
        welcome = recv.read_frame()
        assert welcome["type"] == "welcome", welcome
        for channel in (send, image):
            channel.send({"type": "attach", "session": welcome["session"]})
            assert channel.read_frame()["type"] == "attached"
    assert server.door is not None
    connections = server.door.connections
    counts = on_reactor(server, lambda: dict(connections._per_host))
    assert isinstance(counts, dict)
    assert "127.0.0.1" not in counts
    assert counts["key SHA256:key3"] == 3  # a key's sessions count against the key
    assert counts["198.51.100.0"] == 60  # keyless ones against their address
    for channels in opened:
        for channel in channels:
            channel.close()


BROWSER = Identity("", "203.0.113.9", None, door="web", checked=False)


def issue_standing(server: Server, identity: Identity) -> str:
    assert server.chat is not None
    chat = server.chat
    ticket = on_reactor(server, lambda: chat.issue_standing_ticket(identity))
    assert isinstance(ticket, str)
    return ticket


def test_a_standing_ticket_brings_its_address_under_any_name_until_revoked(
        server: Server) -> None:
    assert server.chat is not None
    chat = server.chat
    ticket = issue_standing(server, BROWSER)
    for name in ("carol", "dave"):  # a second join (after a refusal, a reconnect) works too
        recv, welcome = hello(server, name, ticket)
        assert welcome["type"] == "welcome" and welcome["admin"] is False, welcome
        member = on_reactor(server, lambda name=name: chat.find(name))
        assert isinstance(member, Member)
        assert (member.host, member.address) == ("203.0.113.9", "203.0.113.9 (web)")
        recv.close()
    on_reactor(server, lambda: chat.revoke_ticket(ticket))
    _, refused = hello(server, "erin", ticket)
    assert refused["code"] == "bad_password" and "unknown" in refused["text"]


def test_a_standing_ticket_still_needs_the_join_password(make_server: ServerFactory) -> None:
    server = make_server(password="sesame")
    ticket = issue_standing(server, BROWSER)
    _, refused = hello(server, "carol", ticket)
    assert refused["code"] == "bad_password" and "join password" in refused["text"]
    recv = RawChannel(server.ports.recv)
    recv.send({"type": "hello", "version": 1, "name": "carol", "client": "test",
               "ticket": ticket, "password": "sesame"})
    assert recv.read_frame()["type"] == "welcome"
    recv.close()


def test_a_ticket_knows_its_member_while_it_is_here_and_past_its_lifetime() -> None:
    now = [100.0]
    tickets = Tickets(lifetime=5.0, clock=lambda: now[0])
    ticket = tickets.issue(ALICE)
    member = Member("alice", "203.0.113.7", "203.0.113.7 (ssh)", Discard())
    assert tickets.redeem(ticket, "alice") == ALICE
    assert tickets.holder(ticket) is None  # not yet let in
    tickets.hold(ticket, member)
    now[0] += 60.0
    assert tickets.recent == 0  # no longer a session that may be connecting
    assert tickets.holder(ticket) is member
    member.ended = True
    assert tickets.holder(ticket) is None


def test_the_debug_log_masks_a_ticket() -> None:
    from tuichat.server.doors.native.brief import Brief

    shown = str(Brief({"type": "hello", "name": "carol", "ticket": "a-standing-secret"}))
    assert "a-standing-secret" not in shown and "carol" in shown
