"""The SSH door's host key: made once in the data dir, then the same key on every start."""

from __future__ import annotations

import logging
from pathlib import Path

import asyncssh

from tuichat.files import write_private

log = logging.getLogger("tuichat.server")

HOST_KEY_FILE = "host_ed25519"


def host_key(ssh_dir: Path) -> asyncssh.SSHKey:
    """The Ed25519 host key in ``ssh_dir`` (made, mode 0600, on first start)."""
    path = ssh_dir / HOST_KEY_FILE
    if path.exists():
        return asyncssh.read_private_key(path)
    key = asyncssh.generate_private_key("ssh-ed25519")
    write_private(path, key.export_private_key())
    log.info("made the SSH host key %s", path)
    return key


def fingerprint_line(key: asyncssh.SSHKey) -> str:
    """The key as ``ssh-keygen -l`` prints it: ``256 SHA256:... (ED25519)``."""
    return f"256 {key.get_fingerprint('sha256')} (ED25519)"
