"""Real OpenSSH against the SSH door: keys the test makes, and ``ssh`` command lines."""

from __future__ import annotations

import subprocess
from pathlib import Path

SSH_OPTIONS = ("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
               "-F", "/dev/null")
"""Trust any host key, offer only the given key, never prompt, print only errors."""
RUN_TIMEOUT = 30.0


def make_key(directory: Path, name: str) -> Path:
    """A new Ed25519 key pair ``directory/name`` (and ``.pub``) with no passphrase."""
    path = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
                   check=True, timeout=RUN_TIMEOUT)
    return path


def fingerprint(key: Path) -> str:
    """``SHA256:...`` of the key at ``key`` (its ``.pub``), as ``ssh-keygen -l`` prints it."""
    out = subprocess.run(["ssh-keygen", "-l", "-f", f"{key}.pub"], check=True,
                         capture_output=True, text=True, timeout=RUN_TIMEOUT).stdout
    return out.split()[1]


def ssh_args(port: int, user: str, key: Path | None, *extra: str) -> list[str]:
    """An ``ssh`` command line for ``user`` on loopback ``port`` with ``key`` (None: no
    key at all); ``extra`` goes before the destination (options) unless it follows ``--``."""
    args = ["ssh", "-p", str(port), *SSH_OPTIONS]
    if key is None:
        args += ["-o", "PubkeyAuthentication=no", "-o", "IdentityFile=none"]
    else:
        args += ["-i", str(key)]
    options, command = list(extra), []
    if "--" in options:
        cut = options.index("--")
        options, command = options[:cut], options[cut + 1:]
    return [*args, *options, f"{user}@127.0.0.1", *command]


def run_ssh(port: int, user: str, key: Path | None, *extra: str, stdin: bytes = b"",
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``ssh`` to the end with ``stdin``; its status, stdout and stderr."""
    return subprocess.run(ssh_args(port, user, key, *extra), input=stdin, capture_output=True,
                          timeout=RUN_TIMEOUT, env=env)
