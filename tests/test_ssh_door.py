"""The SSH door's listener: its host key, kept across restarts with the claims."""

from __future__ import annotations

import logging
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import WAIT, ServerFactory
from tests.ssh_client import make_key, run_ssh
from tests.system import needs
from tuichat.server.app import Server

pytestmark = needs("ssh", "openssh-client")


def ssh_port(server: Server) -> int:
    assert server.ports.ssh is not None
    return server.ports.ssh


def scanned_fingerprint(port: int) -> str:
    """The host key's fingerprint as an SSH client sees it (ssh-keyscan, ssh-keygen -l)."""
    keys = subprocess.run(["ssh-keyscan", "-t", "ed25519", "-p", str(port), "127.0.0.1"],
                          capture_output=True, text=True, check=True, timeout=WAIT).stdout
    listed = subprocess.run(["ssh-keygen", "-l", "-f", "-"], input=keys, capture_output=True,
                            text=True, check=True, timeout=WAIT).stdout
    return listed.split()[1]


def test_the_host_key_is_made_private_and_logged_as_ssh_keygen_prints_it(
        make_server: ServerFactory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    server = make_server(ssh_port=0)
    key_file = server.config.ssh_dir / "host_ed25519"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    seen = scanned_fingerprint(ssh_port(server))
    assert server.ssh is not None and server.ssh.fingerprint == seen
    assert any(f"host key 256 {seen} (ED25519)" in record.getMessage()
               for record in caplog.records)


def test_a_restart_keeps_the_host_key_and_the_claims(make_server: ServerFactory,
                                                     tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = make_server(ssh_port=0, data_dir=data)
    before = scanned_fingerprint(ssh_port(first))
    owner, other = make_key(tmp_path, "owner"), make_key(tmp_path, "other")
    assert run_ssh(ssh_port(first), "alice", owner, "-T").returncode == 0
    first.stop()
    assert first.wait(WAIT)
    second = make_server(ssh_port=0, data_dir=data)
    assert scanned_fingerprint(ssh_port(second)) == before
    assert run_ssh(ssh_port(second), "alice", other, "-T").returncode == 255
    assert run_ssh(ssh_port(second), "alice", owner, "-T").returncode == 0


def test_the_ssh_port_in_use_is_a_startup_error(make_server: ServerFactory) -> None:
    first = make_server(ssh_port=0)
    with pytest.raises(Exception, match="cannot start the SSH door"):
        make_server(ssh_port=ssh_port(first))
