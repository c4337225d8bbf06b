"""Running below the server: the clients that the SSH and browser doors run, a process
per session, must never take the CPU from the server they all go through."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

SERVED_NICE = 10
"""How much lower than the server a session's client runs."""


def run_below_server(nice: int = SERVED_NICE) -> None:
    """Lower this process's priority by ``nice``, and, when it leads a session of its
    own, its session's too: where the kernel groups processes by session
    (``sched_autogroup_enabled``), a group is weighed against the server's group by the
    group's nice, whatever the nice of the processes in it (a hundred sessions' clients,
    each in a group of its own, weighed each as much as the whole server)."""
    os.nice(nice)
    if os.getsid(0) == os.getpid():  # never the group of a session we merely belong to
        with contextlib.suppress(OSError):
            Path("/proc/self/autogroup").write_text(f"{nice}\n")
