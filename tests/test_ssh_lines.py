"""Line mode: stdin lines said in the default room, the room's lines on stdout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ClientFactory, ServerFactory, matching
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
