"""A session's client (SSH or browser door) runs below the server: a hundred clients
redrawing at once must not starve the server, through which every user's line and every
session's screen pass."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ServerFactory
from tests.ssh_client import make_key
from tests.ssh_terminal import WAIT, PtySsh, children
from tests.system import needs
from tuichat.priority import SERVED_NICE
from tuichat.server.app import Server

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


def eventually(read: Callable[[], object], wanted: object) -> object:
    """What ``read()`` gives once it is ``wanted`` (or after WAIT seconds): the client
    lowers itself once its chat screen is drawn, just after the test sees it."""
    deadline = time.monotonic() + WAIT
    while (value := read()) != wanted and time.monotonic() < deadline:
        time.sleep(0.05)  # polling /proc: the change is not announced
    return value


def test_the_client_runs_below_the_server_once_its_screen_is_up(session: PtySsh) -> None:
    clients = session_clients()
    assert len(clients) == 1, clients
    wanted = min(19, os.getpriority(os.PRIO_PROCESS, 0) + SERVED_NICE)
    assert eventually(lambda: os.getpriority(os.PRIO_PROCESS, clients[0]), wanted) == wanted


@pytest.mark.skipif(not AUTOGROUP_SWITCH.exists() or
                    AUTOGROUP_SWITCH.read_text().strip() != "1",
                    reason="the kernel does not group processes by session")
def test_the_clients_scheduling_group_runs_below_the_servers(session: PtySsh) -> None:
    clients = session_clients()
    assert len(clients) == 1, clients
    group = Path(f"/proc/{clients[0]}/autogroup")
    assert group.read_text() != Path("/proc/self/autogroup").read_text()  # its own
    assert eventually(lambda: group.read_text().split()[-1], str(SERVED_NICE)) == \
        str(SERVED_NICE), group.read_text()


REPORT = ("import os, sys; from pathlib import Path; "
          "from tuichat.priority import run_below_server; "
          "sys.argv[1] == 'lead' and os.setsid(); run_below_server(); "
          "print(os.getpriority(os.PRIO_PROCESS, 0), Path('/proc/self/autogroup').read_text()"
          " if Path('/proc/self/autogroup').exists() else 'none', flush=True)")


def run_report(how: str) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-c", REPORT, how], capture_output=True,
                          text=True, timeout=WAIT, check=True)
    nice, group = done.stdout.split(" ", 1)
    return int(nice), group.strip()


def test_a_client_in_a_session_of_its_own_lowers_its_group_too() -> None:
    nice, group = run_report("lead")
    assert nice == min(19, os.getpriority(os.PRIO_PROCESS, 0) + SERVED_NICE)
    if group != "none" and AUTOGROUP_SWITCH.exists() and \
            AUTOGROUP_SWITCH.read_text().strip() == "1":
        assert group.split()[-1] == str(SERVED_NICE)


def test_a_client_in_the_servers_session_leaves_the_servers_group_alone() -> None:
    before = Path("/proc/self/autogroup").read_text() \
        if Path("/proc/self/autogroup").exists() else "none"
    nice, group = run_report("follow")  # a browser session's client, started by the door
    assert nice == min(19, os.getpriority(os.PRIO_PROCESS, 0) + SERVED_NICE)
    assert group == before.strip()
