"""Real IRC clients written by others, irssi and WeeChat, driven in tmux against the IRC
door: each connects, joins #lobby, says a line a tuichat client receives, and gets a
tuichat user's line, private message and /me; irssi chats in #dev too. What the clients
show is read from their own logs (autolog, logger), which they write as they show it."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import WAIT, Client, ClientFactory, ServerFactory, matching
from tests.system import needs
from tuichat.server.app import Server

pytestmark = needs("tmux", "tmux")

IRSSI_CONFIG = """servers = ( {{ address = "127.0.0.1"; port = "{port}"; chatnet = "t";
             autoconnect = "yes"; }} );
chatnets = {{ t = {{ type = "IRC"; }}; }};
channels = ( {{ name = "#lobby"; chatnet = "t"; autojoin = "yes"; }} );
settings = {{
  core = {{ real_name = "Alice Irssi"; user_name = "alice"; nick = "alice"; }};
  "fe-common/core" = {{ autolog = "yes"; autolog_path = "{logs}/$0.log";
                        autolog_level = "all"; }};
}};
"""


class Tmux:
    """A tmux server of our own (``-L``) running one client."""

    def __init__(self, command: str) -> None:
        self.socket = f"tuichat-irc-{uuid.uuid4().hex[:8]}"
        self._run("new-session", "-d", "-s", "irc", "-x", "120", "-y", "30", command)

    def _run(self, *args: str) -> None:
        subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                       timeout=WAIT)

    def type(self, line: str) -> None:
        self._run("send-keys", "-t", "irc", "-l", line)
        self._run("send-keys", "-t", "irc", "Enter")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True,
                       timeout=WAIT, check=False)


def wait_in_log(path: Path, fragment: str) -> str:
    """The first line of the log at ``path`` holding ``fragment``, waiting for it."""
    deadline = time.monotonic() + WAIT
    while True:
        if path.exists():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if fragment in line:
                    return line
        if time.monotonic() > deadline:
            seen = path.read_text(errors="replace")[-800:] if path.exists() else "(none)"
            raise AssertionError(f"{fragment!r} not in {path.name}; it holds:\n{seen}")
        time.sleep(0.05)  # polling a file the client writes: there is nothing to wait on


@pytest.fixture
def server(make_server: ServerFactory) -> Server:
    return make_server(irc_port=0, irc_name="irc.test")


@pytest.fixture
def irssi(server: Server, tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    home, logs = tmp_path / "irssi", tmp_path / "irssi-logs"
    home.mkdir()
    config = IRSSI_CONFIG.format(logs=logs, port=server.ports.irc)
    (home / "config").write_text(config, encoding="utf-8")
    tmux = Tmux(f"irssi --home={home} -n alice")
    yield tmux, logs
    tmux.close()


@pytest.fixture
def weechat(server: Server, tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    home, logs = tmp_path / "weechat", tmp_path / "weechat-logs"
    commands = ";".join([
        "/set logger.file.flush_delay 0", f"/set logger.file.path {logs}",
        f"/server add t 127.0.0.1/{server.ports.irc} -notls -nicks=carol -username=carol",
        "/set irc.server.t.autojoin #lobby", "/connect t"])
    tmux = Tmux(f"weechat --dir {home} -r '{commands}'")
    yield tmux, logs
    tmux.close()


def _chat_with(bob: Client, nick: str, channel_log: Path, private_log: Path,
               say: str) -> None:
    """``bob`` (tuichat) and the IRC client known as ``nick`` talk in #lobby."""
    heard = bob.inbox.wait_for(matching("message", **{"from": nick}))
    assert heard["text"] == say
    bob.say_and_wait("hello from tuichat")
    wait_in_log(channel_log, "hello from tuichat")
    bob.conn.say("waves", action=True)
    assert "bob waves" in wait_in_log(channel_log, "waves")
    bob.conn.private(nick, "a private word")
    wait_in_log(private_log, "a private word")


@needs("irssi", "irssi")
def test_irssi_chats_with_a_tuichat_user_in_lobby_and_dev(
        irssi: tuple[Tmux, Path], join: ClientFactory) -> None:
    tmux, logs = irssi
    bob = join("bob")
    bob.inbox.wait_for(matching("join", name="alice"))
    tmux.type("/msg #lobby hello from irssi")
    _chat_with(bob, "alice", logs / "#lobby.log", logs / "bob.log", "hello from irssi")
    tmux.type("/join #dev")
    bob.conn.join_room("#dev")
    wait_in_log(logs / "#dev.log", "bob")
    tmux.type("/msg #dev release friday")
    said = bob.inbox.wait_for(matching("message", room="#dev", **{"from": "alice"}))
    assert said["text"] == "release friday"
    bob.conn.say("agreed", room="#dev")
    wait_in_log(logs / "#dev.log", "agreed")


@needs("weechat", "weechat-curses")
def test_weechat_chats_with_a_tuichat_user_in_lobby(
        weechat: tuple[Tmux, Path], join: ClientFactory) -> None:
    tmux, logs = weechat
    bob = join("bob")
    bob.inbox.wait_for(matching("join", name="carol"))
    tmux.type("/msg -server t #lobby hello from weechat")
    _chat_with(bob, "carol", logs / "irc.t.#lobby.weechatlog", logs / "irc.t.bob.weechatlog",
               "hello from weechat")
