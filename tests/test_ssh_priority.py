"""A session's client runs below the server: a hundred clients redrawing at once must not
starve the server, through which every user's line and every session's screen pass."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ServerFactory
from tests.ssh_client import make_key
from tests.ssh_terminal import WAIT, PtySsh
from tests.system import needs
from tuichat.server.app import Server
from tuichat.server.doors.ssh.zygote import SESSION_NICE

pytestmark = needs("ssh", "openssh-client")

AUTOGROUP_SWITCH = Path("/proc/sys/kernel/sched_autogroup_enabled")


@pytest.fixture
def session(make_server: ServerFactory, tmp_path: Path) -> Iterator[PtySsh]:
    server: Server = make_server(ssh_port=0)
    assert server.ports.ssh is not None
    alice = PtySsh(server.ports.ssh, "alice", make_key(tmp_path, "alice"),
                   env={**os.environ, "TERM": "xterm-256color"})
    try:
        alice.read_until(b"connected")
        yield alice
    finally:
        alice.close()


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def session_clients() -> list[int]:
    """The clients forked by this test's server's zygote (a child of this process)."""
    deadline = time.monotonic() + WAIT
    while True:
        zygotes = [pid for pid in children(os.getpid())
                   if b"tuichat.server.doors.ssh.zygote" in
                   Path(f"/proc/{pid}/cmdline").read_bytes()]
        clients = [child for zygote in zygotes for child in children(zygote)]
        if clients or time.monotonic() > deadline:
            return clients
        time.sleep(0.05)  # polling /proc: the fork is not announced to the test


def test_the_client_runs_below_the_server(session: PtySsh) -> None:
    clients = session_clients()
    assert len(clients) == 1, clients
    assert os.getpriority(os.PRIO_PROCESS, clients[0]) == \
        min(19, os.getpriority(os.PRIO_PROCESS, 0) + SESSION_NICE)


@pytest.mark.skipif(not AUTOGROUP_SWITCH.exists() or
                    AUTOGROUP_SWITCH.read_text().strip() != "1",
                    reason="the kernel does not group processes by session")
def test_the_clients_scheduling_group_runs_below_the_servers(session: PtySsh) -> None:
    clients = session_clients()
    assert len(clients) == 1, clients
    group = Path(f"/proc/{clients[0]}/autogroup").read_text()
    assert group != Path("/proc/self/autogroup").read_text()  # a session of its own
    assert group.split()[-1] == str(SESSION_NICE), group
