"""Admin lines through a real server: rights, every command, and file-name tricks."""

from __future__ import annotations

import os
import re

import pytest

from tests.conftest import (
    ADMIN_PASSWORD,
    WAIT,
    Client,
    ClientFactory,
    RawUser,
    ServerFactory,
    matching,
)
from tuichat.net.codec import encode
from tuichat.net.commands import ADMIN_COMMANDS
from tuichat.net.frames import CONSOLE
from tuichat.server.app import Server


def _admin(join: ClientFactory, name: str = "root") -> Client:
    client = join(name)
    client.conn.command(f"admin -a {ADMIN_PASSWORD}")
    client.inbox.wait_for(lambda f: f.get("type") == "notice" and "now an admin" in f["text"])
    return client


def _reply(client: Client, line: str, count: int = 1) -> dict[str, object]:
    """Send a command and return the next notice it produced."""
    before = len(client.inbox.all(matching("notice")))
    client.conn.command(line)
    return client.inbox.wait_for(matching("notice"), count=before + count)


@pytest.mark.parametrize(
    "line", ["admin -s", "admin -l chat.txt", "admin -c", "admin -t : hi", "admin -sd"]
)
def test_admin_lines_without_rights_are_refused(join: ClientFactory, line: str) -> None:
    alice = join("alice")
    notice = _reply(alice, line)
    assert notice["level"] == "error"
    assert "needs admin rights" in str(notice["text"])
    assert not alice.inbox.all(matching("message", **{"from": CONSOLE}))


def test_wrong_admin_password_is_refused(join: ClientFactory) -> None:
    alice = join("alice")
    notice = _reply(alice, "admin -a guess")
    assert notice["level"] == "error"
    assert "Wrong admin password" in str(notice["text"])
    assert _reply(alice, "admin -s")["level"] == "error"


def test_becoming_admin_is_shown_to_everyone(join: ClientFactory) -> None:
    bob = join("bob")
    _admin(join, "root")
    changed = bob.inbox.wait_for(matching("user_changed", name="root"))
    assert changed["admin"] is True


def test_admin_password_in_hello_grants_rights(join: ClientFactory) -> None:
    root = join("root", admin_password=ADMIN_PASSWORD)
    assert root.conn.welcome["admin"] is True
    root.conn.command("admin -t : as console")
    assert root.inbox.wait_for(matching("message", text="as console"))["from"] == CONSOLE


def test_wrong_admin_password_in_hello_joins_without_rights(join: ClientFactory) -> None:
    alice = join("alice", admin_password="nope")
    assert alice.conn.welcome["admin"] is False
    notice = alice.inbox.wait_for(matching("notice", level="error"))
    assert "Wrong admin password" in notice["text"]


@pytest.mark.parametrize("line", ["admin", "admin -h"])
def test_admin_help_lists_every_command(join: ClientFactory, line: str) -> None:
    alice = join("alice")
    notice = _reply(alice, line)
    assert notice["level"] == "info"
    for command in ADMIN_COMMANDS:
        assert command.usage in str(notice["text"])


@pytest.mark.parametrize(
    "line", ["admin -x", "admin -s now", "admin -t hi", "admin -l a b", "admin -c 5"]
)
def test_malformed_admin_lines_get_usage(join: ClientFactory, line: str) -> None:
    root = _admin(join)
    notice = _reply(root, line)
    assert notice["level"] == "error"
    assert "Admin commands:" in str(notice["text"])


def test_admin_line_sent_as_chat_is_run_not_broadcast(join: ClientFactory) -> None:
    alice = join("alice")
    bob = join("bob")
    alice.conn.say(f"admin -a {ADMIN_PASSWORD}")
    alice.inbox.wait_for(lambda f: f.get("type") == "notice" and "now an admin" in f["text"])
    bob.say_and_wait("marker")
    assert not bob.inbox.all(lambda f: ADMIN_PASSWORD in str(f.get("text")))


def test_unknown_command_gets_error_notice(join: ClientFactory) -> None:
    alice = join("alice")
    notice = _reply(alice, "/nick bob")
    assert notice["level"] == "error"
    assert "Unknown command" in str(notice["text"])


def test_console_text_is_stored_and_broadcast(join: ClientFactory) -> None:
    root = _admin(join)
    bob = join("bob")
    root.conn.command("admin -t :  the server speaks ")
    message = bob.inbox.wait_for(matching("message", text="the server speaks"))
    assert message["from"] == CONSOLE
    late = join("late")
    assert late.conn.welcome["history"][-1]["text"] == "the server speaks"


def test_save_writes_a_readable_file_and_replies_with_its_name(
    server: Server, join: ClientFactory
) -> None:
    root = _admin(join)
    root.say_and_wait("kept line")
    notice = _reply(root, "admin -s")
    text = str(notice["text"])
    name = text.split("saved as ")[1].split(" ")[0]
    assert name.startswith("chat-") and name.endswith(".txt")
    saved = (server.config.saves_dir / name).read_text(encoding="utf-8")
    assert "root: kept line" in saved


def test_save_holds_the_history_as_it_was_when_the_command_came(
    server: Server, join: ClientFactory
) -> None:
    """The file is written on a worker thread while the room goes on; it holds every
    message before ``admin -s`` and none after, however the threads interleave."""
    root = _admin(join)
    bob = join("bob")
    for number in range(300):
        root.conn.say(f"before {number}")
    root.conn.command("admin -s")
    bob.conn.say("bob was earlier")  # may land before or after: not asserted
    root.conn.say("after the command")
    notice = root.inbox.wait_for(
        lambda frame: frame.get("type") == "notice"
        and str(frame.get("text")).startswith("History saved as"))
    name = str(notice["text"]).split("saved as ")[1].split(" ")[0]
    saved = (server.config.saves_dir / name).read_text(encoding="utf-8")
    assert all(f"root: before {number}\n" in saved for number in range(300))
    assert "after the command" not in saved
    root.inbox.wait_for(matching("message", text="after the command"))
    count = saved.count("\n[")
    assert f"({count} messages)" in str(notice["text"])


def test_clear_backs_up_then_keeps_the_last_ten_from_before_the_command(
    server: Server, join: ClientFactory
) -> None:
    """The backup is written on a worker thread while the room goes on: lines said after
    ``admin -c`` are neither in the backup nor cleared."""
    root = _admin(join)
    for number in range(300):
        root.conn.say(f"before {number}")
    root.conn.command("admin -c")
    root.conn.say("after the command")
    notice = root.inbox.wait_for(
        lambda frame: frame.get("type") == "notice"
        and str(frame.get("text")).startswith("Cleared"))
    assert str(notice["text"]).startswith("Cleared 290 messages, kept the last 10.")
    root.inbox.wait_for(matching("message", text="after the command"))
    backup = str(notice["text"]).split("saved as ")[1].rstrip(".")
    saved = (server.config.saves_dir / backup).read_text(encoding="utf-8")
    assert all(f"root: before {number}\n" in saved for number in range(300))
    assert "after the command" not in saved
    late = join("late")
    kept = [message["text"] for message in late.conn.welcome["history"]]
    assert kept == [f"before {number}" for number in range(290, 300)] + ["after the command"]


def test_a_save_that_cannot_be_written_is_reported_and_clears_nothing(
    server: Server, join: ClientFactory
) -> None:
    """The file work fails on the worker thread; the admin hears why, and ``admin -c``
    deletes nothing without its backup."""
    root = _admin(join)
    for number in range(12):
        root.say_and_wait(f"line {number}")
    server.config.saves_dir.parent.mkdir(parents=True, exist_ok=True)
    server.config.saves_dir.write_text("a file where the saves folder should be")
    failed = _reply(root, "admin -s")
    assert failed["level"] == "error"
    assert str(failed["text"]) == (
        f"Could not save the history: File exists: {server.config.saves_dir}")
    refused = _reply(root, "admin -c")
    assert refused["level"] == "error"
    assert str(refused["text"]).startswith("Not cleared: no backup (")
    late = join("late")
    assert len(late.conn.welcome["history"]) == 12


def test_load_keeps_the_lines_said_while_the_file_was_read(
    server: Server, join: ClientFactory
) -> None:
    """The file is read and the backup written on a worker thread; a line said meanwhile
    follows the loaded ones instead of being lost."""
    root = _admin(join)
    for number in range(300):
        root.conn.say(f"saved {number}")
    name = str(_reply(root, "admin -s")["text"]).split("saved as ")[1].split(" ")[0]
    root.say_and_wait("before the load")
    root.conn.command(f"admin -l {name}")
    root.conn.say("during the load")
    notice = root.inbox.wait_for(
        lambda frame: frame.get("type") == "notice"
        and str(frame.get("text")).startswith("Loaded"))
    assert notice["level"] == "info", notice
    root.inbox.wait_for(matching("message", text="during the load"))
    late = join("late")
    texts = [message["text"] for message in late.conn.welcome["history"]]
    assert texts[-1] == "during the load" and "before the load" not in texts
    assert texts[-2] == "saved 299"
    backup = str(notice["text"]).split("saved as ")[1].split(".txt")[0] + ".txt"
    assert "root: before the load" in (server.config.saves_dir / backup).read_text()


def test_one_file_command_at_a_time(server: Server) -> None:
    """A second file command while one is at work is refused, not interleaved: both
    lines arrive in one write, so the second is read before the first's work is done."""
    root = RawUser(server, "root", "127.0.0.1")
    root.send.send({"type": "command", "line": f"admin -a {ADMIN_PASSWORD}"})
    root.recv.read_until(lambda frame: "now an admin" in str(frame.get("text")))
    root.send.send_raw(encode({"type": "command", "line": "admin -s"})
                       + encode({"type": "command", "line": "admin -c"}))
    first = root.recv.read_until(matching("notice"))
    second = root.recv.read_until(matching("notice"))
    root.close()
    assert first["level"] == "error"
    assert first["text"] == "admin -s is still at work; try again once it has answered."
    assert str(second["text"]).startswith("History saved as")


def test_load_alone_lists_the_saved_files_newest_first(
    server: Server, join: ClientFactory
) -> None:
    """``admin -l`` without a name lists what it could load, not the whole admin help."""
    root = _admin(join)
    assert _reply(root, "admin -l")["text"] == "No saved files yet: admin -s saves the history."
    root.say_and_wait("kept line")
    names = [str(_reply(root, "admin -s")["text"]).split("saved as ")[1].split(" ")[0]
             for _ in range(3)]
    saves = server.config.saves_dir
    for age, name in enumerate(reversed(names)):  # the first save is the oldest
        os.utime(saves / name, (1_795_000_000 - age * 60, 1_795_000_000 - age * 60))
    (saves / "notes.md").write_text("not a save file")
    (saves / "folder.txt").mkdir()
    (saves / "link.txt").symlink_to(saves / names[0])
    notice = _reply(root, "admin -l")
    assert notice["level"] == "info"
    lines = str(notice["text"]).splitlines()
    assert lines[0] == "Saved files, newest first (3); load one with admin -l FILE.txt:"
    assert [line.split()[0] for line in lines[1:]] == list(reversed(names))
    size = (saves / names[0]).stat().st_size
    assert re.fullmatch(rf"  {re.escape(names[2])}  +{size} B  2026-11-18 11:06 UTC", lines[1])
    assert lines[3].endswith("2026-11-18 11:04 UTC")
    assert "Admin commands:" not in str(notice["text"])


def test_load_replaces_history_and_resets_everyone(server: Server, join: ClientFactory) -> None:
    root = _admin(join)
    bob = join("bob")
    root.say_and_wait("before save")
    name = str(_reply(root, "admin -s")["text"]).split("saved as ")[1].split(" ")[0]
    root.say_and_wait("after save")

    notice = _reply(root, f"admin -l {name}")
    assert notice["level"] == "info", notice
    reset = bob.inbox.wait_for(matching("history", reset=True))
    texts = [message["text"] for message in reset["messages"]]
    assert "before save" in texts
    assert "after save" not in texts
    assert "previous history was saved as" in str(notice["text"])
    seqs = [message["seq"] for message in reset["messages"]]
    assert seqs == sorted(seqs) and seqs[0] > 0
    newer = root.say_and_wait("after load")
    assert newer["seq"] > max(seqs), "seq keeps rising across a load"


@pytest.mark.parametrize(
    "name",
    [
        "../history.sqlite3",
        "../../etc/passwd",
        "/etc/passwd",
        "saves/x.txt",
        "..",
        ".hidden.txt",
        "x.sqlite3",
        "nope.txt",
        "%2e%2e/x.txt",
        "x.txt\\..\\y.txt",
    ],
)
def test_load_refuses_path_tricks_and_missing_files(join: ClientFactory, name: str) -> None:
    root = _admin(join)
    root.say_and_wait("survives")
    notice = _reply(root, f"admin -l {name}")
    assert notice["level"] == "error"
    assert "Not loaded" in str(notice["text"])
    late = join("late")
    assert late.conn.welcome["history"][-1]["text"] == "survives", "nothing was lost"


def test_clear_keeps_the_last_ten(join: ClientFactory) -> None:
    root = _admin(join)
    bob = join("bob")
    for number in range(25):
        root.conn.say(f"m{number}")
    bob.inbox.wait_for(matching("message", text="m24"))
    notice = _reply(root, "admin -c")
    assert "Cleared 15" in str(notice["text"])
    reset = bob.inbox.wait_for(matching("history", reset=True))
    assert [m["text"] for m in reset["messages"]] == [f"m{n}" for n in range(15, 25)]
    assert [m["text"] for m in join("late").conn.welcome["history"]] == [
        f"m{n}" for n in range(15, 25)
    ]


def test_shutdown_is_refused_without_sde(server: Server, join: ClientFactory) -> None:
    root = _admin(join)
    notice = _reply(root, "admin -sd")
    assert notice["level"] == "error"
    assert "--sde" in str(notice["text"])
    assert root.say_and_wait("still up")["text"] == "still up"


def test_sde_countdown_in_process_refuses_a_second_start(make_server: ServerFactory,
                                                          join: ClientFactory) -> None:
    server = make_server(sde=True, countdown_step=0.05)
    root = join("root", server, admin_password=ADMIN_PASSWORD)
    bob = join("bob", server)
    root.conn.command("admin -sd")
    bob.inbox.wait_for(matching("message", text="Server shutting down in 10 seconds."))
    again = _reply(root, "admin -sd")
    assert "already running" in str(again["text"])
    assert "root" in bob.inbox.wait_for(matching("shutdown"))["text"]
    assert server.wait(WAIT)
    assert server.exit_code == 0


def test_the_shutdown_countdown_reaches_those_present_but_is_not_stored(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    """Later joiners never see "5 4 3 2 1" in their backlog: the countdown is broadcast as
    Console lines without a ``seq`` and never stored."""
    server = make_server(sde=True, countdown_step=0.02)
    root = join("root", server, admin_password=ADMIN_PASSWORD)
    bob = join("bob", server)
    root.say_and_wait("before the countdown")
    root.conn.command("admin -sd")
    bob.inbox.wait_for(matching("shutdown"))
    countdown = bob.inbox.all(matching("message", **{"from": CONSOLE}))
    assert [line["text"] for line in countdown] == [
        "Server shutting down in 10 seconds.", "5", "4", "3", "2", "1"]
    assert server.wait(WAIT)
    again = make_server(data_dir=server.config.data_dir)
    late = join("late", again)
    assert [message["text"] for message in late.conn.welcome["history"]] == [
        "before the countdown"]
    assert all("seq" not in line and line["avatar"] == bob.conn.welcome["console_avatar"]
               for line in countdown)


def test_a_user_joining_during_the_countdown_is_told_when_it_ends(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    """The countdown's lines are not in the backlog, so a late joiner is told at once."""
    server = make_server(sde=True, countdown_step=5.0)  # 50 s: the test ends long before
    root = join("root", server, admin_password=ADMIN_PASSWORD)
    root.conn.command("admin -sd")
    root.inbox.wait_for(matching("message", text="Server shutting down in 10 seconds."))
    late = join("late", server)
    notice = late.inbox.wait_for(matching("notice"))
    assert notice["level"] == "error"
    assert re.fullmatch(r"The server is shutting down in (4\d|50) s\.", str(notice["text"]))
