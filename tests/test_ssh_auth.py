"""Who may log in over SSH: names claimed by keys, the join password, keyless logins,
admin keys, bans, and limits counted per key."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD, ClientFactory, ServerFactory, matching
from tests.ssh_client import (
    SshSession,
    fingerprint,
    make_key,
    run_ssh,
    ssh_args,
)
from tests.system import needs
from tuichat.net import errors
from tuichat.server.app import Server

pytestmark = needs("ssh", "openssh-client")
JOIN_PASSWORD = "open sesame"


def ssh_port(server: Server) -> int:
    assert server.ports.ssh is not None
    return server.ports.ssh


def askpass_env(tmp_path: Path, *answers: str) -> dict[str, str]:
    """An environment in which ssh asks ``SSH_ASKPASS`` for passwords: a script that
    answers ``answers`` in turn (then the last one again)."""
    tmp_path.mkdir(exist_ok=True)
    script = tmp_path / "askpass"
    state = tmp_path / "askpass.count"
    lines = "\n".join(f"  {i}) echo {answer!r} ;;" for i, answer in enumerate(answers))
    script.write_text(
        "#!/bin/sh\n"
        f"n=$(cat {state} 2>/dev/null || echo 0)\n"
        f"echo $((n + 1)) > {state}\n"
        f"case $n in\n{lines}\n  *) echo {answers[-1]!r} ;;\nesac\n")
    script.chmod(0o700)
    env = dict(os.environ, SSH_ASKPASS=str(script), SSH_ASKPASS_REQUIRE="force",
               DISPLAY=":0")
    return env


def interactive_args(port: int, user: str, key: Path | None) -> list[str]:
    """An ``ssh`` line that may answer keyboard-interactive prompts (through askpass)."""
    return ssh_args(port, user, key, "-T", batch=False)


@pytest.fixture
def server(make_server: ServerFactory) -> Server:
    """A server with its SSH door on (the ``join`` fixture's default target)."""
    return make_server(ssh_port=0)


def test_the_first_key_claims_a_name_and_another_key_is_told_why_not(
        make_server: ServerFactory, tmp_path: Path) -> None:
    server = make_server(ssh_port=0)
    first, other = make_key(tmp_path, "first"), make_key(tmp_path, "other")
    assert run_ssh(ssh_port(server), "alice", first, "-T").returncode == 0
    claims = json.loads((server.config.ssh_dir / "claims.json").read_text())["claims"]
    (entry,) = claims.values()
    assert entry["name"] == "alice" and entry["fingerprint"] == fingerprint(first)
    assert stat.S_IMODE((server.config.ssh_dir / "claims.json").stat().st_mode) == 0o600
    refused = run_ssh(ssh_port(server), "alice", other, "-T")
    assert refused.returncode == 255
    assert b"The name 'alice' is claimed by another SSH key" in refused.stderr
    assert b"admin -rk alice" in refused.stderr
    assert run_ssh(ssh_port(server), "alice", first, "-T").returncode == 0


def test_a_bad_name_is_refused_with_the_name_rule(make_server: ServerFactory,
                                                  tmp_path: Path) -> None:
    server = make_server(ssh_port=0)
    done = run_ssh(ssh_port(server), ".hidden", make_key(tmp_path, "k"), "-T")
    assert done.returncode == 255
    assert b"the name must not start with '.'" in done.stderr


def test_admin_release_of_a_claim_lets_the_next_key_claim_the_name(
        make_server: ServerFactory, join: ClientFactory, tmp_path: Path) -> None:
    server = make_server(ssh_port=0)
    first, other = make_key(tmp_path, "first"), make_key(tmp_path, "other")
    assert run_ssh(ssh_port(server), "alice", first, "-T").returncode == 0
    admin = join("root", target=server, admin_password=ADMIN_PASSWORD)
    admin.conn.command("admin -rk Alice")
    reply = admin.inbox.wait_for(lambda f: "Released the claim" in str(f.get("text")))
    assert "the next key to log in as 'alice' claims it" in str(reply["text"])
    assert run_ssh(ssh_port(server), "alice", other, "-T").returncode == 0
    assert run_ssh(ssh_port(server), "alice", first, "-T").returncode == 255


def test_an_admin_key_joins_as_admin(make_server: ServerFactory, join: ClientFactory,
                                     tmp_path: Path) -> None:
    key = make_key(tmp_path, "boss")
    keys = tmp_path / "admin_keys"
    keys.write_text(Path(f"{key}.pub").read_text())
    server = make_server(ssh_port=0, admin_keys=keys)
    alice = join("alice", target=server)
    boss = SshSession(ssh_args(ssh_port(server), "boss", key, "-T"))
    alice.inbox.wait_for(matching("user_changed", name="boss", admin=True))
    boss.close_stdin()
    assert boss.wait() == 0


def test_a_keyless_login_gives_the_join_password_wrong_then_right(
        make_server: ServerFactory, join: ClientFactory, tmp_path: Path) -> None:
    server = make_server(ssh_port=0, password=JOIN_PASSWORD)  # throttle off: no back-off
    alice = join("alice", target=server, password=JOIN_PASSWORD)
    env = askpass_env(tmp_path, "wrong", JOIN_PASSWORD)
    bot = SshSession(interactive_args(ssh_port(server), "bot", None), env=env)
    alice.inbox.wait_for(matching("join", name="bot"))
    err = bot.err.decode()
    assert "this server needs the right join password" in err
    bot.close_stdin()
    assert bot.wait() == 0
    assert (tmp_path / "askpass.count").read_text().strip() == "2"


def test_a_key_on_a_server_with_a_join_password_claims_the_name_after_it(
        make_server: ServerFactory, tmp_path: Path) -> None:
    server = make_server(ssh_port=0, password=JOIN_PASSWORD)
    key = make_key(tmp_path, "k")
    env = askpass_env(tmp_path, JOIN_PASSWORD)
    first = SshSession(interactive_args(ssh_port(server), "alice", key), env=env)
    first.close_stdin()
    assert first.wait() == 0, first.err
    claims = json.loads((server.config.ssh_dir / "claims.json").read_text())["claims"]
    assert [entry["fingerprint"] for entry in claims.values()] == [fingerprint(key)]
    again = run_ssh(ssh_port(server), "alice", key, "-T")  # BatchMode: no password asked
    assert again.returncode == 0, again.stderr


def test_wrong_join_passwords_are_throttled_per_address_and_name(
        make_server: ServerFactory, tmp_path: Path) -> None:
    server = make_server(ssh_port=0, password=JOIN_PASSWORD, auth_max_failures=5)
    env = askpass_env(tmp_path, "wrong", JOIN_PASSWORD)
    mallory = SshSession(interactive_args(ssh_port(server), "mallory", None), env=env)
    assert mallory.wait() == 255
    err = mallory.err.decode()
    assert "this server needs the right join password" in err
    assert "too many wrong passwords for 'mallory' from your address" in err
    key = make_key(tmp_path, "k")
    claimed = SshSession(interactive_args(ssh_port(server), "bob", key),
                         env=askpass_env(tmp_path / "bob", JOIN_PASSWORD))
    claimed.close_stdin()
    assert claimed.wait() == 0, claimed.err


def test_keys_only_refuses_keyless_logins_and_says_why(make_server: ServerFactory,
                                                       tmp_path: Path) -> None:
    server = make_server(ssh_port=0, ssh_keys_only=True)
    env = askpass_env(tmp_path, "anything")
    keyless = SshSession(interactive_args(ssh_port(server), "bot", None), env=env)
    assert keyless.wait() == 255
    assert "This server takes SSH keys only" in keyless.err.decode()
    assert run_ssh(ssh_port(server), "bot", make_key(tmp_path, "k"), "-T").returncode == 0


def test_a_keyless_login_may_not_use_a_claimed_name(make_server: ServerFactory,
                                                    tmp_path: Path) -> None:
    server = make_server(ssh_port=0)
    assert run_ssh(ssh_port(server), "alice", make_key(tmp_path, "k"), "-T").returncode == 0
    env = askpass_env(tmp_path, "anything")
    keyless = SshSession(interactive_args(ssh_port(server), "alice", None), env=env)
    assert keyless.wait() == 255
    assert "The name 'alice' is claimed by an SSH key" in keyless.err.decode()


def test_a_banned_ssh_user_is_cut_off_and_refused_with_the_bans_text(
        make_server: ServerFactory, join: ClientFactory, tmp_path: Path) -> None:
    server = make_server(ssh_port=0)
    key = make_key(tmp_path, "k")
    admin = join("root", target=server, admin_password=ADMIN_PASSWORD)
    bot = SshSession(ssh_args(ssh_port(server), "bot", key, "-T"))
    admin.inbox.wait_for(matching("join", name="bot"))
    admin.conn.command("admin -b name:bot")
    bot.wait_out("Disconnected", stream="err")
    assert bot.wait() != 0
    refused = run_ssh(ssh_port(server), "bot", key, "-T")
    assert refused.returncode == 255
    assert b"banned" in refused.stderr


def test_twenty_keyed_bots_from_one_address_all_get_in(
        make_server: ServerFactory, join: ClientFactory, tmp_path: Path) -> None:
    server = make_server(ssh_port=0, max_per_address=3)  # room for one native client
    alice = join("alice", target=server)
    bots = [SshSession(ssh_args(ssh_port(server), f"bot{n}", make_key(tmp_path, f"k{n}"),
                                "-T")) for n in range(20)]
    for n in range(20):
        alice.inbox.wait_for(matching("join", name=f"bot{n}"))
    for bot in bots:
        bot.close_stdin()
    assert all(bot.wait() == 0 for bot in bots)


def test_keyless_sessions_from_one_address_are_limited(make_server: ServerFactory,
                                                       join: ClientFactory,
                                                       tmp_path: Path) -> None:
    server = make_server(ssh_port=0, max_per_address=3)  # one native client fits too
    alice = join("alice", target=server)
    env = askpass_env(tmp_path, "unused")
    keyless = []
    for name in ("one", "two", "three"):
        keyless.append(SshSession(interactive_args(ssh_port(server), name, None), env=env))
        alice.inbox.wait_for(matching("join", name=name))
    fourth = SshSession(interactive_args(ssh_port(server), "four", None), env=env)
    assert fourth.wait() == 1
    assert "too many sessions of your address without a key (at most 3)" in fourth.err.decode()
    for session in keyless:
        session.close_stdin()
        assert session.wait() == 0


def test_sessions_of_one_key_are_limited_wherever_they_come_from(
        make_server: ServerFactory, join: ClientFactory, tmp_path: Path) -> None:
    server = make_server(ssh_port=0, max_per_address=3)
    alice = join("alice", target=server)
    key = make_key(tmp_path, "k")
    bots = []
    for name in ("bot1", "bot2", "bot3"):
        bots.append(SshSession(ssh_args(ssh_port(server), name, key, "-T")))
        alice.inbox.wait_for(matching("join", name=name))
    fourth = run_ssh(ssh_port(server), "bot4", key, "-T")
    assert fourth.returncode == 1
    assert b"too many sessions of this key (at most 3)" in fourth.stderr
    assert run_ssh(ssh_port(server), "bot5", make_key(tmp_path, "k5"), "-T").returncode == 0
    for bot in bots:
        bot.close_stdin()
        assert bot.wait() == 0


def test_a_name_held_by_a_key_is_refused_at_every_door_but_to_that_key(
        server: Server, join: ClientFactory, tmp_path: Path) -> None:
    key = make_key(tmp_path, "alice")
    assert run_ssh(ssh_port(server), "alice", key, "-T").returncode == 0  # alice claims it
    with pytest.raises(errors.NameTaken) as caught:  # the three-socket door, no key
        join("Alice")
    assert "held by an SSH key" in str(caught.value)
    bob = join("bob")
    bob.conn.nick("alice")
    notice = bob.inbox.wait_for(matching("notice", level="error"))
    assert notice["text"].startswith("Name not changed: 'alice' is held by an SSH key")
    alice = SshSession(ssh_args(ssh_port(server), "alice", key, "-T"))  # but the key may
    bob.inbox.wait_for(matching("join", name="alice"))
    alice.close_stdin()
    assert alice.wait() == 0
