"""The SSH door grants nothing but its sessions: every other request is refused and
logged once, with who asked."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import WAIT, ServerFactory
from tests.ssh_client import SshSession, make_key, run_ssh, ssh_args
from tests.system import needs
from tuichat.server.app import Server

pytestmark = needs("ssh", "openssh-client")


@pytest.fixture
def server(make_server: ServerFactory) -> Server:
    return make_server(ssh_port=0)


@pytest.fixture
def key(tmp_path: Path) -> Path:
    return make_key(tmp_path, "alice")


def ssh_port(server: Server) -> int:
    assert server.ports.ssh is not None
    return server.ports.ssh


def refusals(caplog: pytest.LogCaptureFixture, what: str) -> list[str]:
    """The door's log lines of refused requests that name ``what``."""
    return [record.getMessage() for record in caplog.records
            if record.name == "tuichat.server" and "SSH request refused" in record.getMessage()
            and what in record.getMessage()]


def wait_for_refusal(caplog: pytest.LogCaptureFixture, what: str) -> list[str]:
    """The refusals naming ``what``, once there is one (polled: the log is the only
    sign a forwarded connection was refused)."""
    deadline = time.monotonic() + WAIT
    while not (found := refusals(caplog, what)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def test_a_command_other_than_avatar_is_refused(server: Server, key: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    done = run_ssh(ssh_port(server), "alice", key, "--", "ls", "-la")
    assert done.returncode == 1
    assert b"This server runs no commands but 'avatar'" in done.stderr
    assert refusals(caplog, "the command 'ls -la'") == [
        "SSH request refused: alice (127.0.0.1) asked for the command 'ls -la'"]


def test_a_command_with_a_terminal_is_refused(server: Server, key: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    done = run_ssh(ssh_port(server), "alice", key, "-tt", "--", "sh")
    assert done.returncode == 1
    assert b"'sh' is refused" in done.stdout + done.stderr
    assert len(refusals(caplog, "the command 'sh'")) == 1


def test_sftp_is_refused(server: Server, key: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    done = run_ssh(ssh_port(server), "alice", key, "-s", "--", "sftp")
    assert done.returncode == 255
    assert b"subsystem request failed" in done.stderr
    assert len(refusals(caplog, "subsystem 'sftp'")) == 1


def test_remote_port_forwarding_is_refused(server: Server, key: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    done = run_ssh(ssh_port(server), "alice", key, "-N", "-o", "ExitOnForwardFailure=yes",
                   "-R", "0:127.0.0.1:9")
    assert done.returncode == 255
    assert b"remote port forwarding failed" in done.stderr
    assert len(refusals(caplog, "(-R)")) == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def connected(port: int) -> socket.socket:
    """A connection to ssh's forwarding listener on ``port``: ssh may say it listens a
    moment before it does (seen once in CI under load), so a refusal is tried again
    for a bounded while."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # ssh's listener announces nothing more


def test_local_port_forwarding_is_refused(server: Server, key: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    local = free_port()
    tunnel = SshSession(ssh_args(ssh_port(server), "alice", key, "-N", "-v",
                                 "-L", f"{local}:127.0.0.1:9"))
    tunnel.wait_out(f"Local forwarding listening on 127.0.0.1 port {local}", stream="err")
    # The forwarded channel was refused: closed at once (with a reset, at times).
    with connected(local) as through, contextlib.suppress(ConnectionResetError):
        assert through.recv(1) == b""
    assert wait_for_refusal(caplog, "port forwarding to 127.0.0.1:9 (-L)")
    tunnel.kill()
    assert len(refusals(caplog, "(-L)")) == 1


@pytest.fixture
def agent_socket(tmp_path: Path) -> Iterator[Path]:
    """A running ``ssh-agent``'s socket, so ``ssh -A`` asks to forward it."""
    path = tmp_path / "agent.sock"
    started = subprocess.run(["ssh-agent", "-s", "-a", str(path)], capture_output=True,
                             text=True, check=True, timeout=WAIT).stdout
    pid = int(re.search(r"SSH_AGENT_PID=(\d+)", started)[1])  # type: ignore[index]
    yield path
    os.kill(pid, signal.SIGTERM)


def test_agent_forwarding_is_refused(server: Server, key: Path, agent_socket: Path,
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    env = dict(os.environ, SSH_AUTH_SOCK=str(agent_socket))
    done = run_ssh(ssh_port(server), "alice", key, "-T", "-A", env=env)
    assert done.returncode == 0
    assert refusals(caplog, "agent forwarding") == [
        "SSH request refused: alice (127.0.0.1) asked for agent forwarding"]


def test_x11_forwarding_is_refused(server: Server, key: Path,
                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    env = dict(os.environ, DISPLAY=":0")
    done = run_ssh(ssh_port(server), "alice", key, "-T", "-X", env=env)
    assert done.returncode == 0
    assert b"X11 forwarding request failed" in done.stderr
    assert refusals(caplog, "X11 forwarding") == [
        "SSH request refused: alice (127.0.0.1) asked for X11 forwarding"]
