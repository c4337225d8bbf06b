"""Interactive SSH sessions with real OpenSSH: ``ssh -tt alice@...`` runs the tuichat
client in the user's terminal (tmux here, or a PTY of the test's own), joined as alice
through a ticket, with pictures as half-blocks; it follows resizes, and ends cleanly on
``/quit``, ctrl+q, or a dropped connection, the others seeing alice leave."""

from __future__ import annotations

import io
import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import Client, ClientFactory, ServerFactory, matching
from tests.ssh_client import make_key
from tests.ssh_terminal import WAIT, PtySsh, TmuxSsh, children
from tests.system import needs
from tuichat.server.app import Server
from tuichat.server.doors.ssh.terminals import Terminals

pytestmark = [needs("ssh", "openssh-client"), needs("tmux", "tmux")]

HALF_BLOCKS = re.compile("[▀▄]")


@pytest.fixture
def ssh_server(make_server: ServerFactory) -> Server:
    return make_server(ssh_port=0)


@pytest.fixture
def key(tmp_path: Path) -> Path:
    return make_key(tmp_path, "alice")


@pytest.fixture
def alice(ssh_server: Server, key: Path) -> Iterator[TmuxSsh]:
    """alice's session in a 100x30 tmux window, on the chat screen."""
    assert ssh_server.ports.ssh is not None
    session = TmuxSsh(f"tuichat-ssh-{os.getpid()}", ssh_server.ports.ssh, "alice", key)
    try:
        session.wait_for(lambda screen: "connected" in screen.splitlines()[0], "joined")
        yield session
    finally:
        session.close()


def picture() -> bytes:
    """An 8x8 PNG, red on top and blue below."""
    image = Image.new("RGB", (8, 8), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 8, 4))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def terminals(server: Server) -> Terminals:
    assert server.ssh is not None
    found = server.ssh._terminals
    assert isinstance(found, Terminals)
    return found


def clients(server: Server) -> list[int]:
    """The pids of the zygote's children: the sessions' clients."""
    zygote = terminals(server).spawner.pid
    assert zygote is not None, "the zygote is not running"
    return children(zygote)


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling /proc: nothing to wait on


def test_an_ssh_session_joins_says_and_sees_others_with_their_pictures(
        ssh_server: Server, alice: TmuxSsh, join: ClientFactory) -> None:
    bob = join("bob", ssh_server)
    bob.conn.upload_avatar(picture()).result(WAIT)
    alice.wait_for(lambda screen: "bob" in screen, "bob in the user list")
    bob.say_and_wait("hi from the native door")
    screen = alice.wait_for(lambda screen: "hi from the native door" in screen, "bob's line")
    bob_row = next(line for line in screen.splitlines() if line.rstrip().endswith("bob"))
    assert HALF_BLOCKS.search(bob_row), screen
    alice.type("hello from ssh")
    alice.keys("Enter")
    said = bob.inbox.wait_for(matching("message", **{"from": "alice"}))
    assert said["text"] == "hello from ssh"


def test_an_ssh_session_redraws_at_its_new_size(alice: TmuxSsh) -> None:
    alice.run("resize-window", "-t", "chat", "-x", "64", "-y", "20")
    screen = alice.wait_for(lambda screen: len(screen.splitlines()) == 20
                            and any(line.startswith("▔" * 64) for line in screen.splitlines()),
                            "the screen drawn at 64x20")
    assert not any(len(line) > 64 for line in screen.splitlines())


def left(bob: Client, reason: str) -> None:
    leave = bob.inbox.wait_for(matching("leave", name="alice"))
    assert leave["reason"] == reason, leave


@pytest.mark.parametrize("how", ["/quit", "ctrl+q"])
def test_quitting_ends_the_ssh_session_cleanly(ssh_server: Server, alice: TmuxSsh,
                                               join: ClientFactory, how: str) -> None:
    bob = join("bob", ssh_server)
    alice.wait_for(lambda screen: "bob" in screen, "bob in the user list")
    if how == "/quit":
        alice.type("/quit")
        alice.keys("Enter")
    else:
        alice.keys("C-q")
    alice.wait_for(lambda screen: "EXIT=0" in screen, "ssh exiting with status 0")
    left(bob, "quit")
    wait_until(lambda: not clients(ssh_server), "the client to be reaped")


def test_a_dropped_connection_ends_the_client_and_the_others_see_it(
        ssh_server: Server, key: Path, join: ClientFactory) -> None:
    descriptors = len(os.listdir("/proc/self/fd"))
    bob = join("bob", ssh_server)
    assert ssh_server.ports.ssh is not None
    session = PtySsh(ssh_server.ports.ssh, "alice", key)
    try:
        session.read_until(b"connected")
        bob.inbox.wait_for(matching("join", name="alice"))
        assert len(clients(ssh_server)) == 1
        os.kill(session.process.pid, signal.SIGKILL)
        session.process.wait(WAIT)
        left(bob, "error")  # as a dropped connection, not a quit
        wait_until(lambda: not clients(ssh_server), "the client to be ended and reaped")
    finally:
        session.close()
    bob.conn.close()
    wait_until(lambda: len(os.listdir("/proc/self/fd")) <= descriptors,
               "the session's descriptors to be closed")


@pytest.mark.parametrize(("env", "term", "wanted", "unwanted"), [
    ({}, "xterm-256color", b"\x1b[38;5;", b"\x1b[38;2;"),
    ({}, "xterm", b"\x1b[3", b"\x1b[38;5;"),
    ({"COLORTERM": "truecolor"}, "xterm-256color", b"\x1b[38;2;", None),
])
def test_the_session_uses_the_colours_the_terminal_has(
        ssh_server: Server, key: Path, env: dict[str, str], term: str, wanted: bytes,
        unwanted: bytes | None) -> None:
    assert ssh_server.ports.ssh is not None
    options = [f"-oSetEnv={name}={value}" for name, value in env.items()]
    session = PtySsh(ssh_server.ports.ssh, "alice", key, *options,
                     env={**os.environ, "TERM": term})
    try:
        session.read_until(b"connected")
        session.read_until(wanted)
        if unwanted is not None:
            assert unwanted not in session.output
    finally:
        session.close()


GREYS = {0, 7, 8, 15, 16, 59, 102, 145, 188, 231, *range(232, 256)}
"""The 256-colour palette's greys (what Textual's NO_COLOR filter leaves)."""


SGR = re.compile(rb"\x1b\[([0-9;]*)m")
"""A whole Select Graphic Rendition sequence (the output read may end inside one)."""


def hues(output: bytes) -> set[int]:
    """The 256-colour palette entries drawn (``38;5;N``, ``48;5;N`` in a whole SGR
    sequence) that are not greys."""
    drawn = set()
    for params in SGR.findall(output):
        numbers, at = params.split(b";"), 0
        while at < len(numbers):
            if numbers[at] in (b"38", b"48") and numbers[at + 1:at + 2] == [b"5"]:
                drawn.add(int(numbers[at + 2]))
                at += 3
            elif numbers[at] in (b"38", b"48") and numbers[at + 1:at + 2] == [b"2"]:
                at += 5  # a true colour: r, g, b
            else:
                at += 1
    return drawn - GREYS


def test_no_color_from_the_ssh_client_turns_colours_off(ssh_server: Server,
                                                        key: Path) -> None:
    assert ssh_server.ports.ssh is not None
    drawn: dict[bool, bytes] = {}
    for options in ([], ["-oSetEnv=NO_COLOR=1"]):
        session = PtySsh(ssh_server.ports.ssh, f"user{len(drawn)}", key, *options,
                         env={**os.environ, "TERM": "xterm-256color"})
        try:
            session.read_until(b"connected")
            session.read_until(b"Quit")
            drawn[bool(options)] = bytes(session.output)
        finally:
            session.close()
    assert hues(drawn[False])
    assert not hues(drawn[True]) and b"38;2;" not in drawn[True]


def test_a_picture_set_with_the_avatar_command_is_the_served_clients_own(
        ssh_server: Server, key: Path, join: ClientFactory) -> None:
    from tests.ssh_client import run_ssh
    from tuichat.tui.avatars import prepare_avatar

    assert ssh_server.ports.ssh is not None and ssh_server.avatars is not None
    assert run_ssh(ssh_server.ports.ssh, "alice", key, "--", "avatar",
                   stdin=picture()).returncode == 0
    bob = join("bob", target=ssh_server)
    session = TmuxSsh(f"tuichat-pic-{os.getpid()}", ssh_server.ports.ssh, "alice", key)
    try:
        session.wait_for(lambda screen: "connected" in screen.splitlines()[0], "joined")
        joined = bob.inbox.wait_for(matching("join", name="alice"))
        # The client joins with its picture's hash; one the server lacks it uploads next.
        shown = joined["avatar"] or bob.inbox.wait_for(
            matching("avatar_changed", name="alice"))["avatar"]
        stored = ssh_server.avatars.get(shown)
        assert stored is not None
        wanted = Image.open(io.BytesIO(prepare_avatar(picture()))).convert("RGB")
        assert list(Image.open(io.BytesIO(stored)).convert("RGB").getdata()) == \
            list(wanted.getdata())
    finally:
        session.close()


def test_a_killed_zygote_is_started_again_and_the_next_session_works(
        ssh_server: Server, key: Path, join: ClientFactory,
        caplog: pytest.LogCaptureFixture) -> None:
    spawner = terminals(ssh_server).spawner
    killed = spawner.pid
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    bob = join("bob", ssh_server)
    assert ssh_server.ports.ssh is not None
    session = PtySsh(ssh_server.ports.ssh, "alice", key)
    try:
        session.read_until(b"connected")
        bob.inbox.wait_for(matching("join", name="alice"))
    finally:
        session.close()
    assert spawner.pid not in (None, killed)
    assert any("zygote" in record.getMessage() and "again" in record.getMessage()
               for record in caplog.records)


def test_a_zygote_that_dies_after_serving_is_started_again_at_once(
        ssh_server: Server, key: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tuichat.server.doors.ssh import spawner as spawner_module

    monkeypatch.setattr(spawner_module, "YOUNG", 0.0)  # it has served: not a start-up fault
    spawner = terminals(ssh_server).spawner
    assert ssh_server.ports.ssh is not None
    for _ in range(2):
        session = PtySsh(ssh_server.ports.ssh, "alice", key)
        try:
            session.read_until(b"connected")
        finally:
            session.close()
        killed = spawner.pid
        assert killed is not None
        os.kill(killed, signal.SIGKILL)
        wait_until(lambda killed=killed: spawner.pid not in (None, killed),  # type: ignore[misc]
                   "the zygote started again")


def test_a_terminal_larger_than_a_screen_is_drawn_at_the_largest_size(
        ssh_server: Server, key: Path) -> None:
    import fcntl
    import struct
    import termios

    from tuichat.server.doors.screen_size import MAX_COLUMNS, MAX_ROWS

    assert ssh_server.ports.ssh is not None
    session = PtySsh(ssh_server.ports.ssh, "alice", key, size=(5000, 3000))
    try:
        session.read_until(b"connected")
        (client,) = clients(ssh_server)
        terminal = os.open(f"/proc/{client}/fd/0", os.O_RDWR | os.O_NOCTTY)
        try:
            rows, columns, _, _ = struct.unpack(
                "HHHH", fcntl.ioctl(terminal, termios.TIOCGWINSZ, b"\0" * 8))
        finally:
            os.close(terminal)
    finally:
        session.close()
    assert (columns, rows) == (MAX_COLUMNS, MAX_ROWS)


@pytest.mark.parametrize(("term", "env"), [("xterm\0evil", {}),
                                           ("xterm-256color", {"COLORTERM": "truecolor\0"})])
async def test_odd_terminal_variables_are_left_out_and_the_session_runs(
        ssh_server: Server, key: Path, term: str, env: dict[str, str]) -> None:
    import asyncio

    import asyncssh

    assert ssh_server.ports.ssh is not None
    async with asyncssh.connect("127.0.0.1", ssh_server.ports.ssh, username="alice",
                                client_keys=[str(key)], known_hosts=None) as connection:
        process = await connection.create_process(term_type=term, term_size=(80, 24),
                                                  env=env, encoding=None)
        drawn = b""
        async with asyncio.timeout(WAIT):
            while b"connected" not in drawn:
                chunk = await process.stdout.read(65_536)
                assert chunk, drawn[-300:]
                drawn += chunk
        assert b"Traceback" not in drawn
        process.close()


def test_a_session_outlives_its_zygote_and_ends_with_its_connection(
        ssh_server: Server, key: Path, join: ClientFactory) -> None:
    bob = join("bob", ssh_server)
    spawner = terminals(ssh_server).spawner
    assert ssh_server.ports.ssh is not None
    session = PtySsh(ssh_server.ports.ssh, "alice", key)
    try:
        session.read_until(b"connected")
        bob.inbox.wait_for(matching("join", name="alice"))
        (client,) = clients(ssh_server)
        (started,) = spawner._children.values()
        assert started.home is not None
        home = Path(started.home)
        assert home.is_dir()
        assert spawner.pid is not None
        os.kill(spawner.pid, signal.SIGKILL)
        session.write(b"still here\r")
        said = bob.inbox.wait_for(matching("message", **{"from": "alice"}))
        assert said["text"] == "still here"
        os.kill(session.process.pid, signal.SIGKILL)
        session.process.wait(WAIT)
        left(bob, "error")
        wait_until(lambda: not Path(f"/proc/{client}").exists(), "the client to end")
    finally:
        session.close()
    wait_until(lambda: not home.exists(), "its home to be removed")
