"""The real client in a real terminal (tmux, 80x24): keys sent in one burst, a bracketed
paste, Tab after a half-typed name, and shift+F3 as tmux sends it (ESC[1;2R). Uses its own
tmux server (``tmux -L``), so no one else's sessions are touched."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import WAIT, Client, ClientFactory, matching
from tests.system import needs
from tuichat.server.app import Server

pytestmark = needs("tmux", "tmux")

CODE = "def f(x):\n    return x  # done\n\nprint(f(1))"


class Tmux:
    """One tmux server of our own, with one 80x24 window."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], check=True,
                              capture_output=True, text=True, timeout=WAIT)
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "chat")

    def wait_for(self, predicate: Callable[[str], bool], what: str) -> str:
        """The screen once ``predicate`` holds for it; fails after WAIT seconds."""
        deadline = time.monotonic() + WAIT
        while not predicate(screen := self.screen()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen}")
            time.sleep(0.05)  # polling the screen: tmux has nothing to wait on
        return screen


@pytest.fixture
def tmux(server: Server, tmp_path: Path) -> Iterator[Tmux]:
    """alice's client in tmux, joined to ``server``, with its own home and config."""
    ports = server.ports
    home = tmp_path / "home"
    home.mkdir()
    client = Path(sys.executable).with_name("tuichat")
    command = [os.fspath(client), "--name", "alice", "--host", "127.0.0.1", "--no-remember",
               "--port-send", str(ports.send), "--port-recv", str(ports.recv),
               "--port-image", str(ports.image)]
    env = {"HOME": home, "XDG_CONFIG_HOME": home / "config", "XDG_STATE_HOME": home / "state",
           "XDG_CACHE_HOME": home / "cache", "XDG_DATA_HOME": home / "data"}
    session = Tmux(f"tuichat-test-{os.getpid()}")
    session.run("-f", "/dev/null", "new-session", "-d", "-s", "chat", "-x", "80", "-y", "24",
                *(part for key, value in env.items() for part in ("-e", f"{key}={value}")),
                *command)
    try:
        session.wait_for(lambda screen: "connected" in screen.splitlines()[0], "joined")
        yield session
    finally:
        session.run("kill-server")


def texts_from_alice(user: Client, kind: str, count: int) -> list[str]:
    """The texts of the ``kind`` frames ``user`` got from alice, once there are ``count``."""
    deadline = time.monotonic() + WAIT
    while len(frames := user.inbox.all(matching(kind, **{"from": "alice"}))) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"alice's {kind} frames: {frames}")
        time.sleep(0.05)
    return [str(frame["text"]) for frame in frames]


def test_keys_and_a_paste_sent_in_one_burst_arrive_as_typed(tmux: Tmux,
                                                            join: ClientFactory) -> None:
    bob = join("bob")
    tmux.wait_for(lambda screen: "bob" in screen, "bob in the user list")
    tmux.run("send-keys", "-t", "chat", "-l", "ab\ncd\nef\rone\rtwo\r/msg b\tpsst\r")
    tmux.run("set-buffer", "-b", "code", CODE)
    tmux.run("paste-buffer", "-p", "-d", "-b", "code", "-t", "chat")
    tmux.run("send-keys", "-t", "chat", "Enter")
    assert texts_from_alice(bob, "message", 4) == ["ab\ncd\nef", "one", "two", CODE]
    assert texts_from_alice(bob, "private", 1) == ["psst"]


def test_f3_and_shift_f3_step_the_search_in_tmux(tmux: Tmux, join: ClientFactory) -> None:
    bob = join("bob")
    for number in range(6):
        bob.say_and_wait(f"line {number}" + (" needle" if number % 2 else ""))
    tmux.wait_for(lambda screen: "line 5 needle" in screen, "bob's lines on alice's screen")
    tmux.run("send-keys", "-t", "chat", "-l", "/search needle\r")
    tmux.wait_for(lambda screen: "search 'needle' 1/3" in screen, "the newest match")
    tmux.run("send-keys", "-t", "chat", "F3")
    tmux.wait_for(lambda screen: "search 'needle' 2/3" in screen, "f3: the older one")
    tmux.run("send-keys", "-t", "chat", "S-F3")
    tmux.wait_for(lambda screen: "search 'needle' 1/3" in screen, "shift+f3: newer again")


def test_tab_on_the_connect_screen_moves_on_before_the_keys_after_it(
        tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    client = Path(sys.executable).with_name("tuichat")
    session = Tmux(f"tuichat-connect-{os.getpid()}")
    session.run("-f", "/dev/null", "new-session", "-d", "-s", "chat", "-x", "100", "-y",
                "30", "-e", f"HOME={home}", "-e", f"XDG_CONFIG_HOME={home / 'config'}",
                os.fspath(client), "--no-remember")
    try:
        session.wait_for(lambda screen: "join a chat" in screen, "the connect screen")
        session.run("send-keys", "-t", "chat", "C-u")
        session.run("send-keys", "-t", "chat", "-l", "carol\tchat.example\t")  # one burst
        session.run("send-keys", "-t", "chat", "BTab")
        session.run("send-keys", "-t", "chat", "-l", ".org")
        screen = session.wait_for(lambda screen: "chat.example.org" in screen,
                                  "the server typed into its own field")
        rows = {line.split()[0]: line.split()[1] for line in screen.splitlines()
                if line.split() and line.split()[0] in ("Name", "Server")}
        assert rows == {"Name": "carol", "Server": "127.0.0.1chat.example.org"}, screen
    finally:
        session.run("kill-server")
