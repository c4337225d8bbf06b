"""The SSH door's listener: its host key, and sessions dispatched by kind."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.conftest import ServerFactory
from tests.ssh_client import make_key, run_ssh
from tests.system import needs


@needs("ssh", "openssh-client")
def test_ssh_door_makes_a_private_host_key_and_refuses_unserved_terminals(
        make_server: ServerFactory, tmp_path: Path) -> None:
    server = make_server(ssh_port=0)
    assert server.ports.ssh is not None
    key_file = server.config.ssh_dir / "host_ed25519"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = make_key(tmp_path, "alice")
    done = run_ssh(server.ports.ssh, "alice", key, "-tt")
    assert done.returncode == 1
    assert b"interactive sessions are not served yet" in done.stdout + done.stderr
