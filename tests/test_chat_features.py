"""Issue 6 through a real server: emotes, private messages, renames, away, whois, the
message of the day, kicks and bans, with two or three clients and every refusal."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    ADMIN_PASSWORD,
    ELSEWHERE,
    Client,
    ClientFactory,
    RawChannel,
    RawFactory,
    ServerFactory,
    matching,
)
from tests.test_avatars import png
from tuichat.net.client import Banned, Kicked, ServerError
from tuichat.net.frames import Channel, Frame, Message
from tuichat.server.app import Server, StartupError
from tuichat.server.cli import build_parser, config_from_args
from tuichat.server.store.saves import SavedMessage, SaveError, format_transcript, parse_transcript

# -- helpers -------------------------------------------------------------------------------


def _admin(join: ClientFactory, name: str = "root", target: Server | None = None) -> Client:
    return join(name, target, admin_password=ADMIN_PASSWORD)


def _next_notice(client: Client, send: Callable[[], object]) -> Frame:
    """Do ``send`` and return the next notice ``client`` gets after it."""
    before = len(client.inbox.all(matching("notice")))
    send()
    return client.inbox.wait_for(matching("notice"), count=before + 1)


def _command(client: Client, line: str) -> Frame:
    """Run a command line and return the notice it produced."""
    return _next_notice(client, lambda: client.conn.command(line))


def _send(client: Client, frame: Frame) -> Frame:
    """Send a frame on send and return the notice it produced."""
    return _next_notice(client, lambda: client.conn.send_frame(Channel.SEND, frame))


def _barrier(*clients: Client) -> None:
    """Wait until every client has what was sent to it before now: a message from the
    first one, stored and broadcast after everything it asked for."""
    text = f"barrier {time.monotonic_ns()}"
    clients[0].conn.say(text)
    for client in clients:
        client.inbox.wait_for(matching("message", text=text))


def _restart(server: Server, make_server: ServerFactory, **options: Any) -> Server:
    server.stop()
    assert server.wait(10)
    return make_server(data_dir=server.config.data_dir, **options)


def _refused_hello(server: Server, name: str, source: str = ELSEWHERE, **extra: Any) -> Frame:
    """Say hello from ``source``; return the error it got and check the close."""
    channel = RawChannel(server.ports.recv, source)
    try:
        channel.send({"type": "hello", "version": 1, "name": name, "client": "test", **extra})
        frame = channel.read_frame()
        assert frame["type"] == "error", frame
        assert channel.closed_by_server()
        return frame
    finally:
        channel.close()


# -- welcome -------------------------------------------------------------------------------


def test_welcome_names_the_new_extensions_and_every_user_has_away(
    join: ClientFactory,
) -> None:
    join("alice")
    welcome = join("bob").conn.welcome
    for name in ("private", "action", "rename", "away", "whois", "motd", "moderation"):
        assert name in welcome["extensions"]
    assert welcome["motd"] is None
    assert [user["away"] for user in welcome["users"]] == [None, None]


# -- emotes --------------------------------------------------------------------------------


def test_an_emote_is_stored_with_action_and_replayed_in_welcome(
    server: Server, make_server: ServerFactory, join: ClientFactory
) -> None:
    alice, bob = join("alice"), join("bob")
    ref = alice.conn.say("waves", action=True)
    echo = alice.inbox.wait_for(matching("message", ref=ref))
    assert echo["action"] is True
    assert bob.inbox.wait_for(matching("message", text="waves"))["action"] is True
    plain = alice.say_and_wait("hello")
    assert "action" not in plain
    second = _restart(server, make_server)
    history = join("carol", second).conn.welcome["history"]
    assert [(m["text"], m.get("action")) for m in history] == [("waves", True), ("hello", None)]


def test_an_old_history_database_gets_the_action_column(
    make_server: ServerFactory, join: ClientFactory, tmp_path: Path
) -> None:
    data_dir = tmp_path / "old"
    data_dir.mkdir()
    with sqlite3.connect(data_dir / "history.sqlite3") as db:
        db.execute("CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT"
                   " NULL, sender TEXT NOT NULL, text TEXT NOT NULL, avatar TEXT NULL)")
        db.execute("INSERT INTO messages (ts, sender, text) VALUES (1.0, 'zoe', 'old')")
    db.close()
    server = make_server(data_dir=data_dir)
    alice = join("alice", server)
    assert [(m["text"], m.get("action")) for m in alice.conn.welcome["history"]] == [
        ("old", None)
    ]
    ref = alice.conn.say("dances", action=True)
    assert alice.inbox.wait_for(matching("message", ref=ref))["seq"] == 2


def test_an_emote_survives_a_save_and_a_load(server: Server, join: ClientFactory) -> None:
    root = _admin(join)
    root.conn.say("waves", action=True)
    root.say_and_wait("a plain line")
    saved = _command(root, "admin -s")
    name = re.search(r"chat-\S+\.txt", saved["text"])
    assert name is not None
    text = (server.config.saves_dir / name[0]).read_text(encoding="utf-8")
    assert re.search(r"^\[[0-9 :-]+\] \* root waves$", text, re.MULTILINE)
    assert re.search(r"^\[[0-9 :-]+\] root: a plain line$", text, re.MULTILINE)
    loaded = _command(root, f"admin -l {name[0]}")
    assert loaded["text"].startswith(f"Loaded {name[0]} (2 messages).")
    reset = root.inbox.wait_for(matching("history", reset=True), count=1)
    assert [(m["text"], m.get("action")) for m in reset["messages"]] == [
        ("waves", True), ("a plain line", None)
    ]


# -- private messages ----------------------------------------------------------------------


def test_a_private_message_reaches_both_parties_only(join: ClientFactory) -> None:
    alice, bob, carol = join("alice"), join("bob"), join("carol")
    ref = alice.conn.private("BOB", "psst")
    received = bob.inbox.wait_for(matching("private"))
    assert received == {"type": "private", "from": "alice", "to": "bob", "text": "psst",
                        "ts": received["ts"], "avatar": None}
    assert abs(received["ts"] - time.time()) < 60
    assert alice.inbox.wait_for(matching("private", ref=ref)) == {**received, "ref": ref}
    _barrier(alice, bob, carol)
    assert carol.inbox.all(matching("private")) == []
    assert bob.inbox.all(matching("message", text="psst")) == []


def test_a_private_message_is_never_stored_nor_logged(
    server: Server, make_server: ServerFactory, join: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="tuichat.server")
    alice, bob = join("alice"), join("bob")
    alice.conn.private("bob", "the secret plan")
    bob.inbox.wait_for(matching("private", text="the secret plan"))
    _barrier(alice, bob)
    assert not [r for r in caplog.records if "secret plan" in r.getMessage()]
    assert [r for r in caplog.records if "'private'" in r.getMessage()]  # masked, not absent
    second = _restart(server, make_server)
    assert "secret plan" not in json.dumps(join("carol", second).conn.welcome)


@pytest.mark.parametrize(
    ("to", "text", "reply"),
    [
        ("nobody", "hi", "No one named 'nobody' is here; your message was not sent."),
        ("alice", "hi", "You cannot send a private message to yourself."),
        ("ALICE", "hi", "You cannot send a private message to yourself."),
        ("bob", "   ", "Message not sent: the text is empty."),
        ("bob", "x" * 4097, "Message not sent: the text is 4,097 characters long; at most "
         "4,096 are allowed."),
    ],
)
def test_private_message_refusals_carry_the_ref(
    join: ClientFactory, to: str, text: str, reply: str
) -> None:
    alice, bob = join("alice"), join("bob")
    refs: list[str] = []
    notice = _next_notice(alice, lambda: refs.append(alice.conn.private(to, text)))
    assert notice == {"type": "notice", "level": "error", "text": reply, "ref": refs[0]}
    _barrier(alice, bob)
    assert bob.inbox.all(matching("private")) == []


def test_a_private_message_to_someone_away_says_so(join: ClientFactory) -> None:
    alice, bob = join("alice"), join("bob")
    bob.conn.away("lunch")
    alice.inbox.wait_for(matching("user_changed", name="bob", away="lunch"))
    notice = _next_notice(alice, lambda: alice.conn.private("bob", "there?"))
    assert notice == {"type": "notice", "level": "info", "text": "bob is away: lunch"}
    assert bob.inbox.wait_for(matching("private"))["text"] == "there?"


# -- renames -------------------------------------------------------------------------------


def test_a_rename_is_a_leave_and_a_join_for_everyone(join: ClientFactory) -> None:
    root, bob = _admin(join, "alice"), join("bob")
    root.conn.nick("alicia")
    for client in (root, bob):
        left = client.inbox.wait_for(matching("leave", name="alice"))
        joined = client.inbox.wait_for(matching("join", name="alicia"))
        assert left == {"type": "leave", "name": "alice", "reason": "quit",
                        "renamed_to": "alicia"}
        assert joined == {"type": "join", "name": "alicia", "avatar": None, "admin": True,
                          "away": None, "renamed_from": "alice"}
        frames = [frame for _, frame, _ in client.inbox.frames]
        assert frames.index(left) < frames.index(joined)
    assert root.conn.name == "alicia"
    assert root.say_and_wait("renamed")["from"] == "alicia"
    root.conn.command("admin -t : still admin")
    root.inbox.wait_for(matching("message", text="still admin", **{"from": "Console"}))
    newcomer = join("alice")
    names = [user["name"] for user in newcomer.conn.welcome["users"]]
    assert sorted(names) == ["alice", "alicia", "bob"]


def test_a_rename_keeps_the_avatar(join: ClientFactory) -> None:
    alice, bob = join("alice"), join("bob")
    sha = alice.conn.upload_avatar(png(8, 8)).result(10)
    alice.conn.nick("alicia")
    assert bob.inbox.wait_for(matching("join", name="alicia"))["avatar"] == sha
    assert alice.say_and_wait("hi")["avatar"] == sha


def test_a_change_of_case_only_is_allowed(join: ClientFactory) -> None:
    alice, bob = join("alice"), join("bob")
    alice.conn.nick("Alice")
    bob.inbox.wait_for(matching("leave", name="alice", renamed_to="Alice"))
    bob.inbox.wait_for(matching("join", name="Alice", renamed_from="alice"))
    assert alice.say_and_wait("hi")["from"] == "Alice"


@pytest.mark.parametrize(
    ("name", "level", "reply"),
    [
        ("bob", "error", "Name not changed: 'bob' is already here."),
        ("BOB", "error", "Name not changed: 'BOB' is already here."),
        (".dot", "error", "Name not changed: the name must not start with '.'."),
        ("Console", "error", "Name not changed: the name 'Console' is reserved for the server."),
        ("a b", "error", "Name not changed: the name may hold only letters, digits, '_', '-' "
         "and '.', not ' '."),
        ("alice", "info", "You are already alice."),
    ],
)
def test_rename_refusals(join: ClientFactory, name: str, level: str, reply: str) -> None:
    alice, bob = join("alice"), join("bob")
    notice = _next_notice(alice, lambda: alice.conn.nick(name))
    assert notice == {"type": "notice", "level": level, "text": reply}
    _barrier(alice, bob)
    assert bob.inbox.all(matching("leave")) == []
    assert bob.inbox.all(matching("join")) == []


def test_a_contract_only_client_keeps_a_right_user_list_through_a_rename(
    server: Server, join: ClientFactory, raw_join: RawFactory
) -> None:
    """A client that knows only join and leave (and ignores unknown keys) still ends up
    with the right names."""
    watcher = raw_join("watcher", source="127.0.0.1")
    alice = join("alice")
    alice.conn.nick("alicia")
    alice.conn.say("done")
    users = {user["name"] for user in watcher.welcome["users"]}
    while True:
        frame = watcher.recv.read_frame()
        if frame["type"] == "join":
            users.add(frame["name"])
        elif frame["type"] == "leave":
            users.discard(frame["name"])
        elif frame["type"] == "message" and frame["text"] == "done":
            break
    assert users == {"watcher", "alicia"}


# -- away ----------------------------------------------------------------------------------


def test_away_is_broadcast_to_everyone_and_listed(join: ClientFactory) -> None:
    alice, bob = join("alice"), join("bob")
    alice.conn.away("lunch")
    for client in (alice, bob):
        changed = client.inbox.wait_for(matching("user_changed", name="alice"))
        assert changed == {"type": "user_changed", "name": "alice", "avatar": None,
                           "admin": False, "away": "lunch"}
    users = {user["name"]: user["away"] for user in join("carol").conn.welcome["users"]}
    assert users == {"alice": "lunch", "bob": None, "carol": None}
    alice.conn.away("lunch")  # no change: no broadcast
    alice.conn.away(None)
    back = bob.inbox.wait_for(matching("user_changed", name="alice"), count=2)
    assert back["away"] is None


@pytest.mark.parametrize("frame", [{"type": "away"}, {"type": "away", "text": ""}])
def test_away_without_text_comes_back(join: ClientFactory, frame: Frame) -> None:
    alice, bob = join("alice"), join("bob")
    alice.conn.away("out")
    bob.inbox.wait_for(matching("user_changed", away="out"))
    alice.conn.send_frame(Channel.SEND, frame)
    assert bob.inbox.wait_for(matching("user_changed"), count=2)["away"] is None


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("x" * 201, "Away text not set: the text is 201 characters long; at most 200 are "
         "allowed."),
        ("two\nlines", "Away text not set: the text must be one line."),
        ("tab\there", "Away text not set: the text holds the control character U+0009."),
        (7, "Away text not set: the text must be a string."),
    ],
)
def test_away_refusals(join: ClientFactory, text: object, reply: str) -> None:
    alice, bob = join("alice"), join("bob")
    notice = _send(alice, {"type": "away", "text": text})
    assert notice == {"type": "notice", "level": "error", "text": reply}
    _barrier(alice, bob)
    assert bob.inbox.all(matching("user_changed")) == []


def test_away_text_of_200_characters_is_taken(join: ClientFactory) -> None:
    alice = join("alice")
    alice.conn.away("y" * 200)
    assert alice.inbox.wait_for(matching("user_changed"))["away"] == "y" * 200


# -- whois ---------------------------------------------------------------------------------


def test_whois_answers_without_the_address_to_a_user(
    join: ClientFactory, raw_join: RawFactory
) -> None:
    alice = join("alice")
    before = time.time()
    raw_join("bob")
    alice.inbox.wait_for(matching("join", name="bob"))
    alice.conn.whois("BOB")
    answer = alice.inbox.wait_for(matching("whois"))
    assert answer == {"type": "whois", "name": "bob", "avatar": None, "admin": False,
                      "away": None, "joined": answer["joined"], "rooms": ["#lobby"]}
    assert before - 1 <= answer["joined"] <= time.time() + 1


def test_whois_shows_the_address_to_an_admin(join: ClientFactory, raw_join: RawFactory) -> None:
    root = _admin(join)
    bob = raw_join("bob")
    bob.send.send({"type": "away", "text": "brb"})
    root.inbox.wait_for(matching("user_changed", name="bob"))
    root.conn.whois("bob")
    answer = root.inbox.wait_for(matching("whois"))
    assert answer["address"] == ELSEWHERE
    assert answer["away"] == "brb"
    root.conn.whois("root")
    assert root.inbox.wait_for(matching("whois"), count=2)["admin"] is True


@pytest.mark.parametrize("name", ["zed", "", 42])
def test_whois_of_no_one_is_refused(join: ClientFactory, name: object) -> None:
    alice = join("alice")
    notice = _send(alice, {"type": "whois", "name": name})
    assert notice == {"type": "notice", "level": "error", "text": f"No one named {name!r} is here."}


# -- rate limit ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "private", "to": "bob", "text": "hi"},
        {"type": "nick", "name": "bob"},
        {"type": "away", "text": "x"},
        {"type": "whois", "name": "bob"},
        {"type": "say", "text": "waves", "action": True},
    ],
)
def test_every_new_frame_spends_a_rate_token(
    make_server: ServerFactory, join: ClientFactory, frame: Frame
) -> None:
    server = make_server(rate_burst=1, rate_per_second=0.001)
    alice = join("alice", server)
    alice.conn.send_frame(Channel.SEND, {"type": "whois", "name": "alice"})
    alice.inbox.wait_for(matching("whois"))
    notice = _send(alice, frame)
    assert notice["text"].startswith("Slow down:")


# -- message of the day --------------------------------------------------------------------


def test_motd_from_the_command_line_is_shown_after_welcome_and_kept(
    make_server: ServerFactory, join: ClientFactory, raw_join: RawFactory
) -> None:
    server = make_server(motd="Be kind.")
    user = raw_join("alice", server)
    assert user.welcome["motd"] == "Be kind."
    assert user.recv.read_frame() == {"type": "notice", "level": "info", "text": "Be kind.",
                                      "motd": True}
    path = server.config.motd_path
    assert path.read_text(encoding="utf-8") == "Be kind."
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    server.stop()
    assert server.wait(10)
    second = make_server(data_dir=server.config.data_dir)
    assert join("bob", second).conn.welcome["motd"] == "Be kind."
    second.stop()
    assert second.wait(10)
    third = make_server(data_dir=server.config.data_dir, motd="")
    bob = join("bob", third)
    assert bob.conn.welcome["motd"] is None
    assert not path.exists()


def test_admin_sets_shows_and_clears_the_motd(
    server: Server, join: ClientFactory, raw_join: RawFactory
) -> None:
    root, alice = _admin(join), join("alice")
    assert _command(root, "admin -m")["text"] == "There is no message of the day."
    root.conn.command("admin -m Welcome to **tuichat**!")
    for client in (root, alice):
        notice = client.inbox.wait_for(matching("notice", motd=True))
        assert notice == {"type": "notice", "level": "info", "text": "Welcome to **tuichat**!",
                          "motd": True}
    newcomer = raw_join("bob", source="127.0.0.1")
    assert newcomer.welcome["motd"] == "Welcome to **tuichat**!"
    assert newcomer.recv.read_frame()["motd"] is True
    assert server.config.motd_path.read_text(encoding="utf-8") == "Welcome to **tuichat**!"
    shown = _command(root, "admin -m")
    assert shown == {"type": "notice", "level": "info",
                     "text": "Message of the day: Welcome to **tuichat**!"}
    assert _command(root, "admin -m -")["text"] == "Message of the day cleared."
    assert not server.config.motd_path.exists()
    assert join("carol").conn.welcome["motd"] is None
    assert _command(root, "admin -m")["text"] == "There is no message of the day."


def test_motd_needs_rights(join: ClientFactory) -> None:
    alice = join("alice")
    notice = _command(alice, "admin -m hi")
    assert notice["level"] == "error"
    assert notice["text"].startswith("admin -m TEXT needs admin rights.")


# -- kick ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "error", "leave"),
    [
        ("admin -k bob spamming the room", "You were kicked by root: spamming the room",
         {"type": "leave", "name": "bob", "reason": "kicked", "by": "root",
          "text": "spamming the room"}),
        ("admin -k BOB", "You were kicked by root.",
         {"type": "leave", "name": "bob", "reason": "kicked", "by": "root"}),
    ],
)
def test_an_admin_kicks_a_user(
    join: ClientFactory, line: str, error: str, leave: Frame
) -> None:
    root, alice, bob = _admin(join), join("alice"), join("bob")
    notice = _command(root, line)
    assert notice == {"type": "notice", "level": "info", "text": "Kicked bob."}
    assert bob.inbox.wait_for(matching("error")) == {"type": "error", "code": "kicked",
                                                      "text": error}
    bob.inbox.wait_closed()
    assert bob.conn.close_reason == error
    assert alice.inbox.wait_for(matching("leave", name="bob")) == leave
    assert root.inbox.wait_for(matching("leave", name="bob")) == leave
    assert ServerError.from_frame({"code": "kicked", "text": error}).__class__ is Kicked


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("admin -k root", "You cannot kick yourself."),
        ("admin -k zed", "No one named 'zed' is here."),
    ],
)
def test_kick_refusals(join: ClientFactory, line: str, reply: str) -> None:
    root, bob = _admin(join), join("bob")
    assert _command(root, line) == {"type": "notice", "level": "error", "text": reply}
    _barrier(root, bob)
    assert bob.inbox.all(matching("leave")) == []


def test_kick_without_a_name_gets_the_usage(join: ClientFactory) -> None:
    notice = _command(_admin(join), "admin -k")
    assert notice["level"] == "error"
    assert notice["text"].startswith("admin -k needs a name")
    assert "admin -k NAME [REASON]" in notice["text"]


def test_a_user_cannot_kick_an_admin(join: ClientFactory) -> None:
    root, alice = _admin(join), join("alice")
    notice = _command(alice, "admin -k root")
    assert notice["level"] == "error"
    assert notice["text"].startswith("admin -k NAME [REASON] needs admin rights.")
    _barrier(alice, root)
    assert root.inbox.all(matching("error")) == []
    assert not root.conn.closed.is_set()


# -- bans ----------------------------------------------------------------------------------


def test_a_ban_ends_the_sessions_of_the_address_and_refuses_it_later(
    join: ClientFactory, raw_join: RawFactory, server: Server
) -> None:
    root, alice = _admin(join), join("alice")
    bob, carol = raw_join("bob"), raw_join("carol")
    notice = _command(root, "admin -b ip:127.0.0.2 30")
    assert re.fullmatch(
        r"Banned 127\.0\.0\.2 for 30 minutes \(until \d{4}-\d\d-\d\d \d\d:\d\d UTC\); "
        r"disconnected bob, carol\.", notice["text"]
    ), notice
    for user in (bob, carol):
        error = user.recv.read_until(matching("error"))
        assert error == {"type": "error", "code": "banned",
                         "text": "Your address is banned by root (for 30 minutes)."}
        assert user.recv.closed_by_server()
    for name in ("bob", "carol"):
        assert alice.inbox.wait_for(matching("leave", name=name)) == {
            "type": "leave", "name": name, "reason": "kicked", "by": "root", "banned": True
        }
    refused = _refused_hello(server, "bob")
    assert refused["code"] == "banned"
    assert re.fullmatch(r"your address \(127\.0\.0\.2\) is banned until "
                        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", refused["text"])
    join("dave")  # 127.0.0.1 is not banned


def test_a_banned_hello_is_refused_before_the_password_is_checked(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    server = make_server(password="open sesame")
    root = join("root", server, password="open sesame", admin_password=ADMIN_PASSWORD)
    assert _command(root, f"admin -b {ELSEWHERE}")["text"] == (
        "Banned 127.0.0.2 until admin -ub."
    )
    for password in ("open sesame", "wrong"):
        refused = _refused_hello(server, "bob", password=password)
        assert refused == {"type": "error", "code": "banned",
                           "text": "your address (127.0.0.2) is banned"}
    assert ServerError.from_frame(refused).__class__ is Banned


def test_bans_persist_across_a_restart_until_lifted(
    server: Server, make_server: ServerFactory, join: ClientFactory, raw_join: RawFactory
) -> None:
    root = _admin(join)
    raw_join("bob")
    root.inbox.wait_for(matching("join", name="bob"))
    _command(root, "admin -b bob")
    path = server.config.bans_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["bans"] == [
        {"kind": "address", "target": ELSEWHERE, "name": "bob", "by": "root", "until": None}
    ]
    second = _restart(server, make_server)
    assert _refused_hello(second, "bob")["code"] == "banned"
    root = _admin(join, target=second)
    listed = _command(root, "admin -b")
    assert listed["text"] == "Bans:\n  address  127.0.0.2 (bob)  by root  until admin -ub"
    assert _command(root, "admin -ub bob")["text"] == "Unbanned 127.0.0.2."
    assert _command(root, "admin -b")["text"] == "No one is banned."
    assert raw_join("bob", second).welcome["name"] == "bob"


def test_unban_by_address(join: ClientFactory, raw_join: RawFactory, server: Server) -> None:
    root = _admin(join)
    _command(root, "admin -b 127.0.0.2 5")
    assert _command(root, "admin -ub 127.0.0.2")["text"] == "Unbanned 127.0.0.2."
    raw_join("bob")


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("admin -b root", "That would ban your own address (127.0.0.1)."),
        ("admin -b 127.0.0.1", "That would ban your own address (127.0.0.1)."),
        ("admin -b ip:127.0.0.1", "That would ban your own address (127.0.0.1)."),
        ("admin -b name:ROOT", "You cannot ban yourself."),
        ("admin -b zed", "No one named 'zed' is here, and it is not an address. To ban the "
                         "name anyway: admin -b name:zed"),
        ("admin -b ip:zed", "Not banned: 'zed' is not an IP address."),
        ("admin -b name:Console", "Not banned: 'Console' is not a name: the name 'Console' is "
                                  "reserved for the server."),
        ("admin -ub 127.0.0.9", "127.0.0.9 is not banned."),
        ("admin -ub zed", "zed is not banned."),
        ("admin -ub name:alice", "name:alice is not banned."),
    ],
)
def test_ban_refusals(join: ClientFactory, line: str, reply: str) -> None:
    root, alice = _admin(join), join("alice")
    assert _command(root, line) == {"type": "notice", "level": "error", "text": reply}
    _barrier(root, alice)
    assert alice.inbox.all(matching("error")) == []


@pytest.mark.parametrize(
    "line", ["admin -b bob 0", "admin -b bob 525601", "admin -b bob soon", "admin -b bob 1 2",
             "admin -ub", "admin -ub a b"]
)
def test_malformed_ban_lines_get_the_usage(join: ClientFactory, line: str) -> None:
    root = _admin(join)
    join("bob")
    notice = _command(root, line)
    assert notice["level"] == "error"
    assert "Admin commands:" in notice["text"]


@pytest.mark.parametrize("line", ["admin -b bob", "admin -b", "admin -ub 127.0.0.2"])
def test_ban_needs_rights(join: ClientFactory, raw_join: RawFactory, line: str) -> None:
    alice = join("alice")
    bob = raw_join("bob")
    notice = _command(alice, line)
    assert notice["level"] == "error"
    assert "needs admin rights" in notice["text"]
    bob.send.send({"type": "say", "text": "still here"})
    alice.inbox.wait_for(matching("message", text="still here"))



def test_motd_option_is_read_and_checked(make_server: ServerFactory) -> None:
    args = build_parser().parse_args(["--motd", "Be kind."])
    assert config_from_args(args).motd == "Be kind."
    with pytest.raises(StartupError, match=r"message of the day \(--motd\): the text holds"):
        make_server(motd="tab\there")


# -- the pieces underneath -----------------------------------------------------------------


def test_message_frames_carry_action_only_when_true() -> None:
    emote = Message(1, 2.0, "alice", "waves", None, action=True)
    assert emote.to_frame()["action"] is True
    assert Message.from_frame(emote.to_frame()) == emote
    assert "action" not in Message(1, 2.0, "alice", "hi").to_frame()
    assert Message.from_frame({**emote.to_frame(), "action": "yes"}).action is False


def test_a_save_file_keeps_emotes_of_several_lines() -> None:
    messages = [Message(1, 0.0, "alice", "waves\nand bows", action=True),
                Message(2, 0.0, "bob", "* not an emote")]
    text = format_transcript(messages)
    assert text.splitlines()[1:] == ["[1970-01-01 00:00:00] * alice waves",
                                     "    and bows",
                                     "[1970-01-01 00:00:00] bob: * not an emote"]
    assert parse_transcript(text) == [SavedMessage(0.0, "alice", "waves\nand bows", True),
                                      SavedMessage(0.0, "bob", "* not an emote")]


@pytest.mark.parametrize("line", ["[1970-01-01 00:00:00] * ", "[1970-01-01 00:00:00] * .x hi"])
def test_a_malformed_emote_line_is_refused(line: str) -> None:
    with pytest.raises(SaveError, match="line 1: bad sender"):
        parse_transcript(line)
