"""The line-mode example client, as a person pipes into it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import WAIT, ClientFactory, matching
from tuichat.server.app import Server

EXAMPLE = Path(__file__).parent.parent / "examples" / "line_chat.py"


def test_piped_lines_are_said_and_the_room_is_printed(server: Server,
                                                      join: ClientFactory) -> None:
    alice = join("alice")
    alice.say_and_wait("earlier words")
    ports = server.ports
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "bot", "--port-send", str(ports.send),
         "--port-recv", str(ports.recv), "--port-image", str(ports.image)],
        input="hello from a pipe\nadmin -h\n/me waves\n/msg alice just for you\n",
        capture_output=True, text=True, timeout=WAIT,
    )
    assert result.returncode == 0, result.stderr
    assert alice.inbox.wait_for(matching("message", text="hello from a pipe"))["from"] == "bot"
    out = result.stdout
    assert "joined as bot; here: alice, bot" in out
    assert "alice: earlier words" in out
    assert "bot: hello from a pipe" in out
    assert "* Admin commands:" in out
    assert "* bot waves" in out
    assert "bot -> alice (private): just for you" in out
    assert alice.inbox.wait_for(matching("private", text="just for you"))["from"] == "bot"
    assert alice.inbox.wait_for(matching("leave", name="bot"))["reason"] == "quit"


def test_taken_name_is_a_clear_error(server: Server, join: ClientFactory) -> None:
    join("alice")
    ports = server.ports
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "alice", "--port-send", str(ports.send),
         "--port-recv", str(ports.recv), "--port-image", str(ports.image)],
        input="", capture_output=True, text=True, timeout=WAIT,
    )
    assert result.returncode == 1
    assert "name_taken" in result.stderr


def test_client_exits_when_the_server_shuts_down(server: Server, join: ClientFactory) -> None:
    ports = server.ports
    watcher = join("watcher")
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "bot", "--port-send", str(ports.send),
         "--port-recv", str(ports.recv), "--port-image", str(ports.image)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("* joined as bot")
    watcher.inbox.wait_for(matching("join", name="bot"))
    server.stop("maintenance")
    # stdin stays open: closing it would make the client say bye, racing the shutdown.
    assert process.wait(timeout=WAIT) == 1
    out, err = process.communicate(timeout=WAIT)
    assert "* server: maintenance" in out
    assert "disconnected: maintenance" in err
