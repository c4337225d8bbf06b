"""``admin -b`` for people who share an address: name bans over real sockets.

On a shared machine everyone comes from 127.0.0.1, the admin too; behind a NAT several
users share one address. A ban must then shut out the one name, not the address.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import ELSEWHERE, ClientFactory, RawFactory, ServerFactory, matching
from tests.test_chat_features import _admin, _command, _refused_hello, _restart, _send
from tuichat.server.app import Server

UNTIL = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"


def test_a_user_on_the_admins_address_is_banned_by_name(
    server: Server, make_server: ServerFactory, join: ClientFactory
) -> None:
    """Issue 11: ``admin -b bob`` bans the name when bob shares the admin's address; the
    ban holds at the door in any spelling, across a restart, until lifted."""
    root, alice, bob = _admin(join), join("alice"), join("bob")
    notice = _command(root, "admin -b bob")
    assert notice["text"] == ("Banned the name 'bob' until admin -ub, not the address "
                              "127.0.0.1 (shared with you, alice); disconnected bob.")
    assert bob.inbox.wait_for(matching("error")) == {
        "type": "error", "code": "banned", "text": "Your name is banned by root."}
    bob.inbox.wait_closed()
    assert alice.inbox.wait_for(matching("leave", name="bob")) == {
        "type": "leave", "name": "bob", "reason": "kicked", "by": "root", "banned": True}
    for spelling in ("bob", "BOB"):
        assert _refused_hello(server, spelling, "127.0.0.1") == {
            "type": "error", "code": "banned", "text": "the name 'bob' is banned"}
    assert join("dave").conn.welcome["name"] == "dave", "the address stays open"
    assert json.loads(server.config.bans_path.read_text())["bans"] == [
        {"kind": "name", "target": "bob", "name": "bob", "by": "root", "until": None}]

    second = _restart(server, make_server)
    assert _refused_hello(second, "Bob")["text"] == "the name 'bob' is banned"
    root = _admin(join, target=second)
    assert _command(root, "admin -b")["text"] == (
        "Bans:\n  name     bob  by root  until admin -ub")
    assert _command(root, "admin -ub bob")["text"] == "Unbanned the name 'bob'."
    assert join("bob", second).conn.welcome["name"] == "bob"


def test_a_name_sharing_an_address_with_others_is_banned_alone(
    join: ClientFactory, raw_join: RawFactory
) -> None:
    """Behind one NAT address: banning bob leaves carol, and later users, in."""
    root, alice = _admin(join), join("alice")
    bob, carol = raw_join("bob"), raw_join("carol")
    notice = _command(root, "admin -b bob 5")
    assert re.fullmatch(rf"Banned the name 'bob' for 5 minutes \(until {UNTIL}\), not the "
                        r"address 127\.0\.0\.2 \(shared with carol\); disconnected bob\.",
                        notice["text"]), notice
    assert bob.recv.read_until(matching("error"))["text"] == (
        "Your name is banned by root (for 5 minutes).")
    assert bob.recv.closed_by_server()
    carol.send.send({"type": "say", "text": "still here"})
    alice.inbox.wait_for(matching("message", text="still here"))
    assert raw_join("dave").welcome["name"] == "dave"


def test_a_user_alone_on_an_address_is_banned_by_address(
    server: Server, join: ClientFactory, raw_join: RawFactory
) -> None:
    root = _admin(join)
    raw_join("bob")
    root.inbox.wait_for(matching("join", name="bob"))
    assert re.fullmatch(r"Banned 127\.0\.0\.2 until admin -ub; disconnected bob\.",
                        _command(root, "admin -b bob")["text"])
    assert _refused_hello(server, "carol")["text"] == "your address (127.0.0.2) is banned"


def test_an_absent_name_is_banned_with_its_prefix_and_cannot_be_taken_by_a_rename(
    server: Server, join: ClientFactory
) -> None:
    root, alice = _admin(join), join("alice")
    assert _command(root, "admin -b name:Zed 30")["text"].startswith(
        "Banned the name 'Zed' for 30 minutes (until ")
    refusal = _refused_hello(server, "zed")["text"]
    assert re.fullmatch(rf"the name 'Zed' is banned until {UNTIL}", refusal)
    assert _send(alice, {"type": "nick", "name": "ZED"}) == {
        "type": "notice", "level": "error", "text": f"Name not changed: {refusal}."}
    assert _command(root, "admin -ub name:zed")["text"] == "Unbanned the name 'Zed'."
    assert join("zed").conn.welcome["name"] == "zed"


def test_an_address_ban_and_a_name_ban_are_lifted_apart(
    server: Server, join: ClientFactory
) -> None:
    root = _admin(join)
    _command(root, f"admin -b ip:{ELSEWHERE}")
    _command(root, "admin -b name:bob 10")
    listed = _command(root, "admin -b")["text"]
    assert re.fullmatch(rf"Bans:\n  address  127\.0\.0\.2  by root  until admin -ub\n"
                        rf"  name     bob  by root  until {UNTIL}", listed), listed
    assert _command(root, "admin -ub ip:127.0.0.2")["text"] == "Unbanned 127.0.0.2."
    assert _refused_hello(server, "bob")["text"].startswith("the name 'bob' is banned")
    assert _command(root, "admin -ub name:BOB")["text"] == "Unbanned the name 'bob'."
    assert _command(root, "admin -b")["text"] == "No one is banned."


def test_a_ban_that_cannot_be_stored_says_it_holds_only_until_a_restart(
    make_server: ServerFactory, join: ClientFactory, tmp_path: Path
) -> None:
    """Issue 12: ``admin -b`` said "Banned" when bans.json could not be written."""
    data_dir = tmp_path / "unwritable"
    (data_dir / "bans.json").mkdir(parents=True)  # no file can replace a directory
    server = make_server(data_dir=data_dir)
    root = _admin(join, target=server)
    assert _command(root, "admin -b name:bob")["text"] == (
        "Banned the name 'bob' until admin -ub. It holds only until the server restarts: "
        "bans.json could not be written (Is a directory).")
    assert _refused_hello(server, "bob")["text"].startswith("the name 'bob' is banned")
    assert _command(root, "admin -ub name:bob")["text"] == (
        "Unbanned the name 'bob'. The ban is lifted only until the server restarts: "
        "bans.json could not be written (Is a directory).")
    (data_dir / "bans.json").rmdir()
    assert _command(root, "admin -b name:carol")["text"] == (
        "Banned the name 'carol' until admin -ub.")
