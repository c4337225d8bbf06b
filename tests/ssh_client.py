"""Real OpenSSH against the SSH door: keys the test makes, and ``ssh`` command lines."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

SSH_OPTIONS = ("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "IdentitiesOnly=yes", "-F", "/dev/null")
"""Trust any host key, offer only the given key. The log level stays INFO:
below it ``ssh`` does not print the server's auth banner, which says why a login fails."""
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


def ssh_args(port: int, user: str, key: Path | None, *extra: str,
             batch: bool = True) -> list[str]:
    """An ``ssh`` command line for ``user`` on loopback ``port`` with ``key`` (None: no
    key at all); ``extra`` goes before the destination (options) unless it follows ``--``.
    ``batch``: never prompt (else prompts are answered by ``SSH_ASKPASS``)."""
    args = ["ssh", "-p", str(port), *SSH_OPTIONS, "-o", f"BatchMode={'yes' if batch else 'no'}"]
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


class SshSession:
    """A running ``ssh`` whose stdin the test writes and whose output it waits on."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self._cond = threading.Condition()
        self.out = b""
        self.err = b""
        self._readers = [threading.Thread(target=self._pump, args=(name,), daemon=True)
                         for name in ("out", "err")]
        for reader in self._readers:
            reader.start()

    def _pump(self, name: str) -> None:
        stream = self.proc.stdout if name == "out" else self.proc.stderr
        assert stream is not None
        while chunk := os.read(stream.fileno(), 65_536):
            with self._cond:
                setattr(self, name, getattr(self, name) + chunk)
                self._cond.notify_all()

    def send(self, line: str) -> None:
        """Write ``line`` and a newline to ssh's stdin."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{line}\n".encode())
        self.proc.stdin.flush()

    def close_stdin(self) -> None:
        """End ssh's input (the session sees the end of its stdin)."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    def wait_out(self, text: str, stream: str = "out") -> str:
        """Everything on ``stream`` once it holds ``text`` (AssertionError after a while)."""
        deadline = time.monotonic() + RUN_TIMEOUT
        with self._cond:
            while text.encode() not in getattr(self, stream):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None
                                      and not any(r.is_alive() for r in self._readers)):
                    raise AssertionError(f"{text!r} not seen; out={self.out[-500:]!r} "
                                         f"err={self.err[-500:]!r}")
                self._cond.wait(min(remaining, 0.5))
            data: bytes = getattr(self, stream)
            return data.decode("utf-8", "replace")

    def wait(self) -> int:
        """ssh's exit status once it has ended and its output is read."""
        status = self.proc.wait(RUN_TIMEOUT)
        for reader in self._readers:
            reader.join(RUN_TIMEOUT)
        return status

    def kill(self) -> None:
        """End ssh at once (a dropped connection)."""
        self.proc.kill()
        self.wait()
