"""Issue 6 in the real app: private messages, emotes, names, away, ignore, search, mentions,
moderation and the palette, with Pilot against a real server and other real clients."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot

from tests.conftest import (
    ADMIN_PASSWORD,
    ELSEWHERE,
    ClientFactory,
    RawUser,
    ServerFactory,
    matching,
)
from tests.tui_helpers import (
    chat,
    log_text,
    log_texts,
    make_app,
    on_chat,
    showing_error,
    type_line,
    until,
)
from tuichat import __version__
from tuichat.net.frames import CONSOLE
from tuichat.server.app import Server
from tuichat.tui.app import TuichatApp
from tuichat.tui.composer import Composer
from tuichat.tui.log_entries import EntryKind, LogEntry
from tuichat.tui.user_list import UserList

SIZE = (100, 30)


def entries(app: TuichatApp, kind: EntryKind) -> list[LogEntry]:
    return [entry for entry in chat(app).log_view.entries if entry.kind is kind]


def private_with(app: TuichatApp, peer: str) -> list[LogEntry]:
    """The private lines in ``app``'s private entry for ``peer`` (none while it has none)."""
    item = chat(app).view.conversations.get(peer)
    if item is None or item.is_room:
        return []
    return [entry for entry in item.log.entries if entry.kind is EntryKind.PRIVATE]


def status(app: TuichatApp) -> str:
    return str(chat(app).query_one("#status").render())


def said(app: TuichatApp, words: str) -> bool:
    """True when an entry of the log holds ``words``."""
    return any(words in text for text in log_texts(app))


def dimmed(users: UserList, name: str) -> bool:
    """True when the user list draws ``name`` dimmed (away)."""
    return any(segment.text == name and segment.style is not None and segment.style.dim
               for y in range(users.size.height) for segment in users.render_line(y))


async def joined(pilot: Pilot[Any], app: TuichatApp) -> None:
    await until(pilot, lambda: on_chat(app), f"{app.settings.name} joined")


async def test_private_messages_reach_only_the_two_and_reply_answers(
        server: Server, tmp_path: Path, join: ClientFactory) -> None:
    carol = join("carol")
    alice, bob = make_app(server, "alice", tmp_path), make_app(server, "bob", tmp_path)
    async with alice.run_test(size=SIZE) as pa, bob.run_test(size=SIZE) as pb:
        await joined(pa, alice)
        await joined(pb, bob)
        await until(pa, lambda: chat(alice).roster.get("bob"), "alice sees bob")
        await type_line(pa, "/msg BOB psst, only you")
        await until(pb, lambda: private_with(bob, "alice"), "the line in bob's entry for alice")
        [received] = private_with(bob, "alice")
        assert (received.sender, received.peer, received.text) == ("alice", "bob",
                                                                    "psst, only you")
        await until(pa, lambda: private_with(alice, "bob"), "alice's copy in her entry for bob")
        for app in (alice, bob):  # each stays in #lobby, whose log holds no private line
            assert chat(app).view.current_room == "#lobby"
            assert not entries(app, EntryKind.PRIVATE)
        await type_line(pb, "/reply got it")
        await until(pa, lambda: len(private_with(alice, "bob")) == 2, "the reply")
        reply = private_with(alice, "bob")[1]
        assert (reply.sender, reply.peer, reply.text) == ("bob", "alice", "got it")
        await until(pb, lambda: len(private_with(bob, "alice")) == 2, "bob's copy, beside it")
        assert private_with(bob, "alice")[1].text == "got it"
        # The third user never saw either, and the room's history holds neither.
        ref = carol.conn.say("public line")
        carol.inbox.wait_for(matching("message", ref=ref))
        assert not carol.inbox.all(matching("private"))
        assert server.chat is not None
        assert [m.text for m in server.chat.hub.lobby.history.all()] == ["public line"]
        # An unknown name and a missing text are refused with a reason.
        await type_line(pa, "/msg nobody hello?")
        await until(pa, lambda: "No one named 'nobody' is here" in log_text(alice), "refusal")
        await type_line(pa, "/msg bob")
        await until(pa, lambda: "Usage: /msg NAME TEXT" in log_text(alice), "usage")
        await type_line(pa, "/reply too early?")  # alice got a reply, so this one works
        await until(pb, lambda: len(private_with(bob, "alice")) == 3, "second reply")


async def test_reply_without_a_private_message_says_why(server: Server, tmp_path: Path) -> None:
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        await type_line(pilot, "/reply hello")
        await until(pilot, lambda: "Nobody has sent you a private message yet" in log_text(app),
                    "reason")


async def test_emotes_and_renames_are_seen_by_everyone(server: Server, tmp_path: Path,
                                                       join: ClientFactory) -> None:
    carol = join("carol")
    alice, bob = make_app(server, "alice", tmp_path), make_app(server, "bob", tmp_path)
    async with alice.run_test(size=SIZE) as pa, bob.run_test(size=SIZE) as pb:
        await joined(pa, alice)
        await joined(pb, bob)
        await type_line(pa, "/me waves at everyone")
        await until(pb, lambda: entries(bob, EntryKind.ACTION), "bob sees the emote")
        assert entries(bob, EntryKind.ACTION)[0].text == "waves at everyone"
        assert "* alice waves at everyone" in log_text(bob)
        carol.inbox.wait_for(matching("message", action=True, text="waves at everyone"))
        await type_line(pa, "/slap bob")
        carol.inbox.wait_for(matching("message", action=True,
                                      text="slaps bob around a bit with a large trout"))
        await type_line(pa, "/shrug no idea")
        carol.inbox.wait_for(matching("message", text="no idea ¯\\_(ツ)_/¯"))
        await until(pb, lambda: "no idea ¯\\_(ツ)_/¯" in log_text(bob), "the arm is kept")
        await type_line(pa, "/nick alicia")
        await until(pb, lambda: "alice is now known as alicia" in log_texts(bob), "rename")
        await until(pa, lambda: chat(alice).me == "alicia", "alice's own name")
        assert status(alice).startswith("alicia @ 127.0.0.1")
        assert "You are now known as alicia" in log_texts(alice)
        assert chat(bob).roster.names.count("alicia") == 1 and not chat(bob).roster.get("alice")
        assert "alice joined" not in log_texts(bob)[-3:]  # a rename is not a leave and join
        link = alice.link
        assert link is not None and link.session.name == "alicia"  # the next join uses it
        # Refusals: taken, invalid, reserved; the name stays.
        await type_line(pa, "/nick BOB")
        await until(pa, lambda: "'bob' is already here" in log_text(alice).lower()
                    or "already here" in log_text(alice), "taken")
        await type_line(pa, "/nick no spaces")
        await until(pa, lambda: "Name not changed" in log_text(alice), "invalid")
        await type_line(pa, "/nick console")
        await until(pa, lambda: "reserved" in log_text(alice), "reserved")
        assert chat(alice).me == "alicia"


async def test_away_whois_and_names(server: Server, tmp_path: Path) -> None:
    alice, bob = make_app(server, "alice", tmp_path), make_app(server, "bob", tmp_path)
    async with alice.run_test(size=SIZE) as pa, bob.run_test(size=SIZE) as pb:
        await joined(pa, alice)
        await joined(pb, bob)
        await type_line(pa, "/away lunch, back at 2")
        await until(pb, lambda: "alice is away: lunch, back at 2" in log_texts(bob), "away")
        member = chat(bob).roster.get("alice")
        assert member is not None and member.away == "lunch, back at 2"
        await until(pa, lambda: "away" in status(alice).split(" · "), "own status")
        users = chat(bob).query_one(UserList)
        await until(pb, lambda: dimmed(users, "alice"), "dimmed in the user list")
        assert not dimmed(users, "bob")
        await type_line(pb, "/whois alice")
        await until(pb, lambda: entries(bob, EntryKind.PROFILE), "whois answer")
        answer = entries(bob, EntryKind.PROFILE)[0]
        assert "away: lunch, back at 2" in answer.text and "here since" in answer.text
        assert "not an admin" in answer.text and "address" not in answer.text
        assert answer.sender == "alice" and answer.avatar == member.avatar
        assert "alice · whois" in log_text(bob)  # a card, not a line alice wrote
        await type_line(pb, "/names")
        await until(pb, lambda: "2 here: alice (away: lunch, back at 2), bob" in log_texts(bob),
                    "names")
        await type_line(pa, "/away")  # again: back
        await until(pb, lambda: "alice is back" in log_texts(bob), "back")
        await type_line(pb, "/version")
        await until(pb, lambda: "This is tuichat/" in log_text(bob), "versions")
        versions = next(text for text in log_texts(bob) if text.startswith("This is tuichat/"))
        assert f"the server: tuichat-server/{__version__}, protocol 1, extensions: action, " \
            "attached" in versions
        await type_line(pb, "/whois nobody")
        await until(pb, lambda: "No one named 'nobody' is here" in log_text(bob), "unknown")


async def test_ignore_hides_and_is_remembered_per_server(server: Server, tmp_path: Path,
                                                         join: ClientFactory) -> None:
    bob = join("bob")
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        bob.say_and_wait("before the ignore")
        await until(pilot, lambda: "before the ignore" in log_text(app), "bob's line")
        await type_line(pilot, "/ignore Bob")
        await until(pilot, lambda: "before the ignore" not in log_text(app), "hidden")
        bob.say_and_wait("while ignored")
        bob.conn.private("alice", "psst while ignored")
        await until(pilot, lambda: "while ignored" in log_texts(app), "kept, not shown")
        assert "while ignored" not in log_text(app)
        await type_line(pilot, "/ignore")
        await until(pilot, lambda: "Ignored on this server: Bob" in log_text(app), "the list")
        await type_line(pilot, "/ignore alice")
        await until(pilot, lambda: "You cannot ignore yourself." in log_text(app), "self")
    ignore_file = tmp_path / "client-alice" / "ignored.json"
    assert json.loads(ignore_file.read_text()) == {f"127.0.0.1:{server.ports.recv}": ["Bob"]}
    again = make_app(server, "alice", tmp_path)
    async with again.run_test(size=SIZE) as pilot:
        await joined(pilot, again)
        await until(pilot, lambda: "while ignored" in log_texts(again), "history")
        assert "while ignored" not in log_text(again)
        await type_line(pilot, "/unignore bob")
        await until(pilot, lambda: "while ignored" in log_text(again), "shown again")


async def test_an_ignored_user_stays_hidden_after_a_rename(server: Server, tmp_path: Path,
                                                           join: ClientFactory) -> None:
    robert = join("robert")
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        await type_line(pilot, "/ignore robert")
        robert.say_and_wait("said as robert")
        robert.conn.private("alice", "whispered as robert")
        await until(pilot, lambda: "whispered as robert" in log_texts(app), "robert's lines")
        robert.conn.nick("bobby")
        await until(pilot, lambda: chat(app).roster.get("bobby"), "renamed")
        robert.say_and_wait("said as bobby")
        robert.conn.private("alice", "whispered as bobby")
        await until(pilot, lambda: "whispered as bobby" in log_texts(app), "bobby's lines")
        shown = log_text(app)
        assert "robert is now known as bobby" in shown
        assert not any(words in shown for words in ("said as", "whispered as"))
        await type_line(pilot, "/unignore bobby")
        await until(pilot, lambda: "whispered as bobby" in log_text(app), "shown again")
        assert all(words in log_text(app) for words in (
            "said as robert", "whispered as robert", "said as bobby"))


async def test_focus_shows_only_some_users_and_counts_nothing_else(
        server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        join: ClientFactory) -> None:
    bob, carol = join("bob"), join("carol")
    app = make_app(server, "alice", tmp_path)
    rings: list[None] = []
    monkeypatch.setattr(TuichatApp, "bell", lambda self: rings.append(None))
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        await type_line(pilot, "/focus")
        await until(pilot, lambda: "Showing everyone's messages." in log_text(app), "state")
        await type_line(pilot, "/focus Bob dave")
        await until(pilot, lambda: "focus" in status(app).split(" · "), "in the status line")
        assert "(dave not here now)" in log_text(app)
        carol.say_and_wait("alice, carol here")
        bob.say_and_wait("bob here")
        await until(pilot, lambda: "bob here" in log_text(app), "bob's line shown")
        bob.conn.nick("robert")  # the focus follows a rename, as the ignore list does
        await until(pilot, lambda: chat(app).roster.get("robert"), "renamed")
        bob.say_and_wait("robert here")
        await until(pilot, lambda: "robert here" in log_text(app), "still in focus")
        assert "bob here" in log_text(app)  # what they wrote before the rename stays too
        assert "alice, carol here" in log_texts(app) and "carol here" not in log_text(app)
        assert rings == []  # carol's mention is not shown, so it does not ring
        await type_line(pilot, "/focus")
        await until(pilot, lambda: "Showing only the messages of bob, dave, robert (and yours)"
                    in log_text(app), "the focus named")
        await type_line(pilot, "/focus bob!")
        await until(pilot, lambda: "No one can be called 'bob!'" in log_text(app), "refused")
        await type_line(pilot, "/focus off")
        await until(pilot, lambda: "alice, carol here" in log_text(app), "everyone again")
        assert "focus" not in status(app).split(" · ")


async def test_search_highlights_and_steps_through_matches(server: Server, tmp_path: Path,
                                                           join: ClientFactory) -> None:
    bob = join("bob")
    for number in range(40):
        bob.say_and_wait(f"line {number}" + (" has the needle" if number % 10 == 3 else ""))
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        await pilot.press("ctrl+f")
        composer = chat(app).query_one(Composer)
        assert composer.text == "/search "
        composer.insert("NEEDLE")
        await pilot.press("enter")
        await until(pilot, lambda: "search 'NEEDLE' 1/4" in status(app), "first match")
        log = chat(app).log_view
        await pilot.press("f3")
        await until(pilot, lambda: "2/4" in status(app), "older match")
        assert not log.at_end  # the match was scrolled into view
        await pilot.press("shift+f3")
        await until(pilot, lambda: "1/4" in status(app), "newer match again")
        await pilot.press("escape")
        await until(pilot, lambda: "search" not in status(app), "search stopped")
        await type_line(pilot, "/search no such words")
        await until(pilot, lambda: "No message holds 'no such words'." in log_text(app), "none")


async def test_mentions_ring_count_and_mark_where_you_left_off(
        server: Server, tmp_path: Path, join: ClientFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    bob = join("bob")
    for number in range(60):
        bob.say_and_wait(f"filler {number}")
    app = make_app(server, "alice", tmp_path)
    rings: list[None] = []
    monkeypatch.setattr(TuichatApp, "bell", lambda self: rings.append(None))
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        log = chat(app).log_view
        await until(pilot, lambda: log.at_end and log.max_scroll_y > 0, "a full log")
        bob.say_and_wait("hi alice, at the bottom")
        await until(pilot, lambda: "hi alice, at the bottom" in log_texts(app), "mention")
        assert len(rings) == 1 and "new" not in status(app)  # seen at once: nothing counted
        await pilot.press("pageup")
        await until(pilot, lambda: not log.at_end, "scrolled up")
        bob.say_and_wait("something else")
        bob.say_and_wait("ALICE: are you there?")
        await until(pilot, lambda: "↓ 2 new, 1 for you" in status(app), "counted")
        assert len(rings) == 2 and log.has_marker
        await type_line(pilot, "/bell off")
        bob.say_and_wait("alice?")
        await until(pilot, lambda: "↓ 3 new, 2 for you" in status(app), "counted again")
        assert len(rings) == 2  # the bell is off
        assert app.settings.bell is False
        await pilot.press("ctrl+end")
        await until(pilot, lambda: "new" not in status(app), "read")
        assert log.has_marker  # it stays where you left off until you speak
        await type_line(pilot, "ok, back")
        await until(pilot, lambda: not log.has_marker, "marker gone")


async def test_timestamps_markdown_and_theme_switch_and_are_remembered(
        server: Server, tmp_path: Path) -> None:
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        log = chat(app).log_view
        await type_line(pilot, "/timestamp")
        await until(pilot, lambda: log.time_mode == "datetime", "next mode")
        await type_line(pilot, "/timestamp off")
        await until(pilot, lambda: log.time_mode == "off", "off")
        await type_line(pilot, "/timestamp sometimes")
        await until(pilot, lambda: "Usage: /timestamp" in log_text(app), "usage")
        await type_line(pilot, "/markdown")
        await until(pilot, lambda: not log.markdown, "markdown off")
        assert (app.settings.timestamps, app.settings.markdown) == ("off", False)
        await type_line(pilot, "/theme")
        await until(pilot, lambda: "Now: textual-dark." in log_text(app), "themes listed")
        await type_line(pilot, "/theme Nord")
        await until(pilot, lambda: app.theme == "nord", "nord")
        await type_line(pilot, "/theme neon")
        await until(pilot, lambda: "No theme named 'neon'" in log_text(app), "refused")
        app.theme = "ansi-dark"  # as the palette's theme picker does
        assert (app.theme, app.settings.theme) == ("ansi-dark", "ansi-dark")
    again = make_app(server, "alice", tmp_path, theme="ansi-dark")  # as remembered
    async with again.run_test(size=SIZE) as pilot:
        await joined(pilot, again)
        assert again.theme == "ansi-dark"


async def test_palette_lists_the_new_commands(server: Server, tmp_path: Path) -> None:
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        titles = [command.title for command in app.get_system_commands(chat(app))]
        for usage in ("/msg NAME TEXT", "/nick NAME", "/away [TEXT]", "/names",
                      "/search [TEXT]", "admin -k NAME [REASON]", "admin -m TEXT"):
            assert any(title.startswith(usage) for title in titles), usage
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"/msg NAME")
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: chat(app).query_one(Composer).text == "/msg ", "prefilled")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"/names")
        await pilot.press("enter")
        await until(pilot, lambda: "1 here: alice" in log_texts(app), "ran at once")


async def test_kick_is_for_admins_and_keeps_the_kicked_out(
        make_server: ServerFactory, tmp_path: Path) -> None:
    server = make_server()
    root = make_app(server, "root", tmp_path, admin_password=ADMIN_PASSWORD)
    bob = make_app(server, "bob", tmp_path)
    async with root.run_test(size=SIZE) as pr, bob.run_test(size=SIZE) as pb:
        await joined(pr, root)
        await joined(pb, bob)
        await type_line(pb, "admin -k root")  # bob is no admin: refused
        await until(pb, lambda: "needs admin rights" in log_text(bob), "refused")
        assert chat(root).state == "connected"
        await type_line(pr, "admin -k bob enough for today")
        await until(pb, lambda: chat(bob).state == "refused", "bob is out for good")
        assert "You were kicked by root: enough for today" in log_text(bob)
        await until(pr, lambda: "bob was kicked by root: enough for today" in log_texts(root),
                    "root sees why")
        assert not chat(root).roster.get("bob")


async def test_motd_is_shown_on_join(make_server: ServerFactory, tmp_path: Path) -> None:
    server = make_server(motd="Be kind. Code of conduct: https://example.org/coc")
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        await until(pilot, lambda: entries(app, EntryKind.MOTD), "motd")
        [motd] = entries(app, EntryKind.MOTD)
        assert motd.text.startswith("Be kind.") and motd.sender == CONSOLE


async def test_a_banned_address_cannot_come_back(make_server: ServerFactory,
                                                 tmp_path: Path) -> None:
    server = make_server()
    root = RawUser(server, "root", ELSEWHERE)  # the admin comes from another address
    try:
        root.send.send({"type": "command", "line": f"admin -a {ADMIN_PASSWORD}"})
        root.recv.read_until(matching("notice"))
        app = make_app(server, "bob", tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await joined(pilot, app)
            root.send.send({"type": "command", "line": "admin -b bob 5"})
            await until(pilot, lambda: chat(app).state == "refused", "bob is out for good")
            assert "Your address is banned by root" in log_text(app)
            assert "banned" in str(chat(app).query_one("#banner").render())
        again = make_app(server, "bobby", tmp_path)
        async with again.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: showing_error(again), "refused at the door")
            error = str(again.screen.query_one("#connect-error").render())
            assert "your address (127.0.0.1) is banned until" in error
    finally:
        root.close()


async def test_a_reconnect_keeps_the_new_name_and_the_away_text(make_server: ServerFactory,
                                                                 tmp_path: Path) -> None:
    first = make_server()
    ports, data_dir = first.ports, first.config.data_dir
    app = make_app(first, "alice", tmp_path, reconnect_delay=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        await type_line(pilot, "/nick alicia")
        await until(pilot, lambda: chat(app).me == "alicia", "renamed")
        await type_line(pilot, "/away gone fishing")
        await until(pilot, lambda: "away" in status(app).split(" · "), "away")
        first.stop()
        assert first.wait(10)
        await until(pilot, lambda: chat(app).state == "reconnecting", "lost")
        second = make_server(port_send=ports.send, port_recv=ports.recv,
                             port_image=ports.image, data_dir=data_dir)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: on_chat(app), "reconnected")
        assert second.chat is not None
        [session] = second.chat.hub.members.values()
        assert session.name == "alicia"
        await until(pilot, lambda: session.away == "gone fishing", "still away")
        await until(pilot, lambda: "away" in status(app).split(" · "), "away again")
    assert app.settings.name == "alicia"  # remembered for the next start


async def test_wrong_use_of_commands_is_explained(server: Server, tmp_path: Path,
                                                  join: ClientFactory) -> None:
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        answers = {
            "/reply": "Usage: /reply TEXT",
            "/me": "Not sent: /me needs an action. Usage: /me ACTION",
            "/whois": "Usage: /whois NAME",
            "/unignore": "Usage: /unignore NAME",
            "/unignore carol": "You do not ignore carol.",
            "/ignore two words": "No one can be called 'two words': the name may hold only "
                                 "letters, digits, '_', '-' and '.', not ' '.",
            "/bell loud": "Usage: /bell [on|off]",
            "/nick": "Name not changed: usage: /nick NAME.",
            "/msg bob \u0007": "Not sent: the text holds the control character U+0007.",
        }
        for line, answer in answers.items():
            await type_line(pilot, line)
            await until(pilot, partial(said, app, answer), line)
        await type_line(pilot, "/ignore carol")
        await type_line(pilot, "/ignore CAROL")
        await until(pilot, lambda: said(app, "You already ignore CAROL."), "twice")
        assert said(app, "(carol is not here now)")
        await type_line(pilot, "/search filler")
        await type_line(pilot, "/search")
        await until(pilot, lambda: "search" not in status(app), "stopped by /search alone")
        await type_line(pilot, "/quiet")
        await until(pilot, lambda: said(app, "Joins, leaves and other room events are hidden"),
                    "quiet")
        join("dave")
        await until(pilot, lambda: chat(app).roster.get("dave"), "dave is in the list")
        assert "dave joined" not in log_texts(app)
        await type_line(pilot, "/quiet")
        join("erin")
        await until(pilot, lambda: "erin joined" in log_texts(app), "events again")


async def test_an_older_server_is_told_apart(make_server: ServerFactory, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tuichat.server.doors.native.greetings.EXTENSIONS",
                        ("attached", "replay", "user_changed", "avatar_reuse"))
    server = make_server()
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        for line, what in (("/msg bob hi", "/msg"), ("/me waves", "/me"),
                           ("/nick alicia", "/nick"), ("/away", "/away"),
                           ("/whois bob", "/whois")):
            await type_line(pilot, line)
            await until(pilot, partial(
                said, app, f"{what} is not available: this server does not support it."), line)
        await type_line(pilot, "/names")  # needs nothing from the server
        await until(pilot, lambda: "1 here: alice" in log_texts(app), "names")


async def test_messages_while_the_terminal_is_elsewhere_are_counted(
        server: Server, tmp_path: Path, join: ClientFactory) -> None:
    bob = join("bob")
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await joined(pilot, app)
        app.post_message(events.AppBlur())
        await until(pilot, lambda: not app.app_focus, "the terminal lost focus")
        bob.say_and_wait("while you were in another window, alice")
        await until(pilot, lambda: "↓ 1 new, 1 for you" in status(app), "counted")
        assert chat(app).log_view.has_marker
        app.post_message(events.AppFocus())
        await until(pilot, lambda: "new" not in status(app), "read on return")
