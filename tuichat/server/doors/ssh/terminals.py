"""Interactive SSH sessions (a PTY running the client): not served yet.

A placeholder with the interface the door calls; the i14-term helper replaces this file.
"""

from __future__ import annotations

import asyncssh

from tuichat.server.doors.ssh.identity import Identity


class Terminals:
    """Runs interactive sessions; this placeholder refuses them."""

    def start(self) -> None:
        """Get ready to serve sessions (nothing to do yet)."""

    def stop(self) -> None:
        """End every session (there are none yet)."""

    async def run(self, process: asyncssh.SSHServerProcess[bytes], identity: Identity) -> None:
        """Serve one interactive session for ``identity``: refused for now (exit 1)."""
        process.stderr.write(b"interactive sessions are not served yet\r\n")
        process.exit(1)
