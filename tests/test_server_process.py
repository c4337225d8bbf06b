"""The server as users run it: a process with options, signals, restarts and kill -9."""

from __future__ import annotations

import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import faultkit
from tests.conftest import WAIT, Client, ClientFactory, Inbox, ServerFactory, matching
from tuichat.net.client import Connection
from tuichat.net.frames import CONSOLE

ADMIN = faultkit.ADMIN_PASSWORD


class ServerProcess(faultkit.ServerProcess):
    """The fault kit's server process, started at once, with a way to join it."""

    def __init__(self, data_dir: Path, *options: str, admin: bool = True) -> None:
        super().__init__(data_dir, *options, admin=admin)
        self.start()
        self.send, self.recv, self.image = self.ports.send, self.ports.recv, self.ports.image

    def join(self, name: str, **options: object) -> Client:
        inbox = Inbox()
        conn = Connection.open(
            "127.0.0.1", name, port_send=self.send, port_recv=self.recv,
            port_image=self.image, on_frame=inbox.on_frame, on_close=inbox.on_close,
            timeout=WAIT, **options,  # type: ignore[arg-type]
        )
        return Client(conn, inbox)

    def send_signal(self, number: int) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    def wait(self) -> int:
        """The exit code of a server that is stopping by itself."""
        assert self.process is not None
        return self.process.wait(WAIT)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for process in started:
        process.stop()


def _start(processes: list[ServerProcess], data_dir: Path, *options: str,
           admin: bool = True) -> ServerProcess:
    process = ServerProcess(data_dir, *options, admin=admin)
    processes.append(process)
    return process


def test_port_in_use_fails_at_once_with_one_line(tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "-m", "tuichat.server.cli", "--host", "127.0.0.1",
         "--port-send", str(port), "--port-recv", "0", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=WAIT,
    )
    taken.close()
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(port) in lines[0] and "in use" in lines[0]


def test_sigterm_tells_clients_and_exits_zero(processes: list[ServerProcess],
                                              tmp_path: Path) -> None:
    server = _start(processes, tmp_path)
    alice, bob = server.join("alice"), server.join("bob")
    alice.say_and_wait("before stop")
    server.send_signal(signal.SIGTERM)
    assert server.wait() == 0
    for client in (alice, bob):
        assert client.inbox.wait_for(matching("shutdown"))["text"]
        client.inbox.wait_closed()
    restarted = _start(processes, tmp_path)
    history = restarted.join("carol").conn.welcome["history"]
    assert [message["text"] for message in history] == ["before stop"]


def test_kill_9_loses_no_acknowledged_message(processes: list[ServerProcess],
                                              tmp_path: Path) -> None:
    server = _start(processes, tmp_path, "--rate-burst", "40")
    alice, bob = server.join("alice"), server.join("bob")
    echoes = [alice.say_and_wait(f"msg {n}") for n in range(20)]
    echoes += [bob.say_and_wait(f"reply {n}") for n in range(20)]
    server.kill()

    restarted = _start(processes, tmp_path)
    history = restarted.join("carol").conn.welcome["history"]
    assert [(m["seq"], m["text"]) for m in history] == [(e["seq"], e["text"]) for e in echoes]
    newer = restarted.join("dave").say_and_wait("after restart")
    assert newer["seq"] == echoes[-1]["seq"] + 1


def test_sde_countdown_ends_the_process_and_tells_everyone(
    processes: list[ServerProcess], tmp_path: Path
) -> None:
    server = _start(processes, tmp_path, "--sde", "--countdown-step", "0.02")
    root = server.join("root", admin_password=ADMIN)
    bob = server.join("bob")
    root.say_and_wait("before the countdown")
    root.conn.command("admin -sd")
    shutdown = bob.inbox.wait_for(matching("shutdown"))
    assert "root" in shutdown["text"]
    assert server.wait() == 0
    counted = [f["text"] for f in bob.inbox.all(matching("message", **{"from": CONSOLE}))]
    assert counted == ["Server shutting down in 10 seconds.", "5", "4", "3", "2", "1"]
    root.inbox.wait_for(matching("shutdown"))
    restarted = _start(processes, tmp_path)
    history = restarted.join("carol").conn.welcome["history"]
    assert [message["text"] for message in history] == ["before the countdown"], (
        "the countdown is for those present, not the history")


def test_random_admin_token_is_private_and_not_logged(
    processes: list[ServerProcess], tmp_path: Path
) -> None:
    server = _start(processes, tmp_path, admin=False)
    token_file = tmp_path / "admin.token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert len(token) >= 22
    unwrapped = "".join(line.strip() for line in server.log)
    assert str(token_file) in unwrapped, "the log says where the token is"
    root = server.join("root", admin_password=token)
    assert root.conn.welcome["admin"] is True
    server.send_signal(signal.SIGINT)
    assert server.wait() == 0
    assert token not in "".join(line.strip() for line in server.log)


def test_history_survives_restart_in_process(make_server: ServerFactory, join: ClientFactory,
                                             tmp_path: Path) -> None:
    first = make_server(data_dir=tmp_path / "shared")
    echo = join("alice", first).say_and_wait("remember me")
    first.stop()
    assert first.wait(WAIT)
    second = make_server(data_dir=tmp_path / "shared")
    history = join("bob", second).conn.welcome["history"]
    assert [(m["seq"], m["text"]) for m in history] == [(echo["seq"], "remember me")]


def test_since_replays_exactly_the_missed_messages(join: ClientFactory) -> None:
    alice = join("alice")
    bob = join("bob")
    alice.say_and_wait("seen by bob")
    bob.inbox.wait_for(matching("message", text="seen by bob"))
    last_seen = bob.conn.last_seq
    bob.conn.bye()
    alice.inbox.wait_for(matching("leave", name="bob"))
    missed = [alice.say_and_wait(f"missed {n}") for n in range(3)]

    back = join("bob", since=last_seen)
    assert [m["seq"] for m in back.conn.welcome["history"]] == [m["seq"] for m in missed]
    assert back.conn.welcome["history_truncated"] is False


def test_since_ahead_of_the_server_falls_back_to_recent(join: ClientFactory) -> None:
    alice = join("alice")
    alice.say_and_wait("only")
    other = join("bob", since=10_000)
    assert [m["text"] for m in other.conn.welcome["history"]] == ["only"]
    assert other.conn.welcome["history_truncated"] is True


def test_debug_log_shows_frames_but_no_secrets(processes: list[ServerProcess],
                                               tmp_path: Path) -> None:
    server = _start(processes, tmp_path, "--log-level", "debug")
    root = server.join("root", admin_password=ADMIN)
    root.say_and_wait("visible words")
    root.conn.command(f"admin -a {ADMIN}")
    root.inbox.wait_for(matching("notice"))
    server.send_signal(signal.SIGTERM)
    assert server.wait() == 0
    log = "".join(line.strip() for line in server.log)
    assert "visible words" in log
    assert "'type': 'hello'" in log
    assert ADMIN not in log
    assert root.conn.welcome["session"] not in log
