"""Line mode: stdin lines said in the default room, the room's lines on stdout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import WAIT, ClientFactory, ServerFactory, matching
from tests.ssh_client import SshSession, make_key, run_ssh, ssh_args
from tests.system import needs
from tuichat.server.app import Server

pytestmark = needs("ssh", "openssh-client")


@pytest.fixture
def server(make_server: ServerFactory) -> Server:
    """A server with its SSH door on (the ``join`` fixture joins it)."""
    return make_server(ssh_port=0)


def ssh_port(server: Server) -> int:
    assert server.ports.ssh is not None
    return server.ports.ssh


def test_line_mode_says_stdin_lines_and_prints_the_rooms_lines(
        server: Server, join: ClientFactory, tmp_path: Path) -> None:
    alice = join("alice")
    bot = SshSession(ssh_args(ssh_port(server), "bot", make_key(tmp_path, "bot"), "-T"))
    alice.inbox.wait_for(matching("join", name="bot"))
    bot.send("hello from the bot")
    bot.send("/me waves")
    alice.inbox.wait_for(matching("message", **{"from": "bot", "text": "hello from the bot"}))
    alice.inbox.wait_for(matching("message", **{"from": "bot", "text": "waves",
                                                "action": True}))
    alice.say_and_wait("hi bot")
    alice.conn.private("bot", "psst")
    carol = join("carol")
    out = bot.wait_out("* carol joined")
    assert "alice: hi bot\n" in out
    assert "[private] alice: psst\n" in out
    assert "\x1b" not in out
    carol.conn.close()
    bot.wait_out("* carol left")
    bot.close_stdin()
    alice.inbox.wait_for(matching("leave", name="bot"))
    assert bot.wait() == 0


def test_a_dropped_line_session_leaves(server: Server, join: ClientFactory,
                                       tmp_path: Path) -> None:
    alice = join("alice")
    bot = SshSession(ssh_args(ssh_port(server), "bot", make_key(tmp_path, "bot"), "-T"))
    alice.inbox.wait_for(matching("join", name="bot"))
    bot.kill()
    alice.inbox.wait_for(matching("leave", name="bot"))


def test_piped_lines_are_said_and_the_session_ends_with_the_input(
        server: Server, join: ClientFactory, tmp_path: Path) -> None:
    alice = join("alice")
    done = run_ssh(ssh_port(server), "bot", make_key(tmp_path, "bot"), "-T", stdin=b"hi\n")
    assert done.returncode == 0, done.stderr
    alice.inbox.wait_for(matching("message", **{"from": "bot", "text": "hi"}))
    alice.inbox.wait_for(matching("leave", name="bot"))


def test_the_cores_rate_limit_refusals_go_to_stderr(make_server: ServerFactory,
                                                    tmp_path: Path) -> None:
    server = make_server(ssh_port=0, rate_burst=1, rate_per_second=0.001)
    done = run_ssh(ssh_port(server), "bot", make_key(tmp_path, "bot"), "-T",
                   stdin=b"one\ntwo\n")
    assert done.returncode == 0
    assert b"Slow down: at most 1 line at once" in done.stderr
    assert b"Slow down" not in done.stdout


def test_line_sessions_are_told_when_the_server_stops(server: Server, join: ClientFactory,
                                                      tmp_path: Path) -> None:
    alice = join("alice")
    bot = SshSession(ssh_args(ssh_port(server), "bot", make_key(tmp_path, "bot"), "-T"))
    alice.inbox.wait_for(matching("join", name="bot"))
    server.stop("Going down for a test.")
    bot.wait_out("Going down for a test.", stream="err")
    assert bot.wait() == 0


def test_a_bot_that_never_reads_is_cut_off(make_server: ServerFactory, join: ClientFactory,
                                           tmp_path: Path) -> None:
    server = make_server(ssh_port=0, queue_limit=65_536)
    alice = join("alice", target=server)
    args = ssh_args(ssh_port(server), "bot", make_key(tmp_path, "bot"), "-T")
    bot = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)  # stdout never read
    try:
        alice.inbox.wait_for(matching("join", name="bot"))
        line = "x" * 4_000
        for sent in range(20_000):
            alice.conn.say(line)
            if sent % 100 == 0 and alice.inbox.all(matching("leave", name="bot")):
                break
        leave = alice.inbox.wait_for(matching("leave", name="bot"))
        assert leave["reason"] == "error"
    finally:
        bot.kill()
        bot.wait(WAIT)
