"""TLS for clients: verifying the server, trust on first use, and pinned fingerprints.

A server whose certificate a CA vouches for (the system's, or ``ca_file``) is trusted as
it is. Any other certificate is trusted like an SSH host key: its fingerprint is shown
once, the answer is remembered per host:port in ``known_hosts``, and a changed
certificate is refused from then on. All three channels must show the same certificate.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from tuichat.files import write_private

TrustDecider = Callable[[str, int, str], bool]
"""Asked ``(host, port, fingerprint)`` about a certificate no CA vouches for: trust it?"""
Connector = Callable[[], socket.socket]
"""Opens a new TCP connection to the port being wrapped."""


class TlsError(ConnectionError):
    """TLS with the server could not be set up; the text says why, in one line."""


class CertificateChanged(TlsError):
    """The server shows another certificate than the one pinned for it."""

    def __init__(self, host: str, port: int, pinned: str, shown: str, known_hosts: Path):
        super().__init__(
            f"the TLS certificate of {host}:{port} has CHANGED: it was {spaced(pinned)}, now "
            f"it is {spaced(shown)}. Someone may be intercepting the connection. If the server's "
            f"certificate was replaced on purpose, delete the line for {_key(host, port)} "
            f"from {known_hosts} and connect again."
        )
        self.pinned = pinned
        self.shown = shown


class Untrusted(TlsError):
    """No CA vouches for the server's certificate and the user did not accept it."""


def fingerprint(der: bytes) -> str:
    """``SHA256:AB:CD:...``, the SHA-256 of a DER certificate as ``openssl x509
    -noout -fingerprint -sha256`` shows it."""
    return "SHA256:" + hashlib.sha256(der).digest().hex(":").upper()


def fingerprint_groups(shown: str, size: int = 4) -> list[str]:
    """``shown`` (``SHA256:AB:CD:...``) in groups of ``size`` bytes, the first with the
    algorithm: ``["SHA256:AB:CD:EF:01", "23:45:67:89", ...]``. Text may wrap between
    groups, never inside a byte."""
    algorithm, _, digest = shown.partition(":")
    pairs = digest.split(":")
    groups = [":".join(pairs[at:at + size]) for at in range(0, len(pairs), size)]
    groups[0] = f"{algorithm}:{groups[0]}"
    return groups


def spaced(shown: str) -> str:
    """``shown`` for a sentence: its 4-byte groups joined by spaces, where text may wrap."""
    return " ".join(fingerprint_groups(shown))


def default_known_hosts() -> Path:
    """Where pinned fingerprints are kept unless told otherwise."""
    return platformdirs.user_config_path("tuichat", appauthor=False) / "known_hosts"


class KnownHosts:
    """Pinned certificate fingerprints: one ``host:port fingerprint`` line per server."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_known_hosts()

    def get(self, host: str, port: int) -> str | None:
        """The fingerprint pinned for ``host:port``, or None."""
        key = _key(host, port)
        for line in self._lines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == key:
                return parts[1]
        return None

    def pin(self, host: str, port: int, shown: str) -> None:
        """Remember ``shown`` for ``host:port`` (file mode 0600, replaced atomically)."""
        key = _key(host, port)
        lines = [line for line in self._lines() if line.split()[:1] != [key]]
        lines.append(f"{key} {shown}")
        write_private(self.path, "".join(f"{line}\n" for line in lines).encode())

    def _lines(self) -> list[str]:
        try:
            return self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []


@dataclass
class TlsClientConfig:
    """How a client trusts servers: ``ca_file`` (else the system CAs) or a pin."""

    ca_file: Path | None = None
    known_hosts: KnownHosts = field(default_factory=KnownHosts)
    ask: TrustDecider | None = None
    """Asked about a certificate that is neither vouched for nor pinned; None: refuse."""


class TlsDialer:
    """Wraps the channels of one connection in TLS, all showing one certificate.

    The first channel decides how the server is trusted (by a CA, or by its pinned
    fingerprint); every later channel must show exactly the same certificate.
    """

    def __init__(self, config: TlsClientConfig, host: str) -> None:
        self._config = config
        self._host = host
        try:
            self._verifying = ssl.create_default_context(cafile=config.ca_file)
        except OSError as exc:  # ssl.SSLError included
            raise TlsError(f"cannot use the CA file {config.ca_file}: {exc.strerror}") from None
        self._verifying.minimum_version = ssl.TLSVersion.TLSv1_2
        self._unverifying = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._unverifying.minimum_version = ssl.TLSVersion.TLSv1_2
        self._unverifying.check_hostname = False
        self._unverifying.verify_mode = ssl.CERT_NONE
        self._context: ssl.SSLContext | None = None
        self._fingerprint = ""
        self._first_port = 0

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the certificate the channels show ("" before the first)."""
        return self._fingerprint

    def wrap(self, connect: Connector, port: int) -> ssl.SSLSocket:
        """A TLS connection to ``port``; ``connect`` may be called more than once."""
        if self._context is None:
            return self._first(connect, port)
        sock = self._handshake(self._context, connect(), port)
        shown = _peer_fingerprint(sock)
        if shown != self._fingerprint:
            sock.close()
            raise TlsError(
                f"{self._host}:{port} shows the certificate {spaced(shown)}, but "
                f"{self._host}:{self._first_port} showed {spaced(self._fingerprint)}; "
                "refusing both"
            )
        return sock

    def _first(self, connect: Connector, port: int) -> ssl.SSLSocket:
        """Trust the server by a CA if one vouches for it, else by its pin."""
        try:
            sock = self._handshake(self._verifying, connect(), port)
        except ssl.SSLCertVerificationError:
            sock = self._pinned(connect, port)
            self._context = self._unverifying
        else:
            self._context = self._verifying
        self._fingerprint, self._first_port = _peer_fingerprint(sock), port
        return sock

    def _pinned(self, connect: Connector, port: int) -> ssl.SSLSocket:
        """A connection showing the pinned certificate; a new one is offered to ``ask``."""
        known = self._config.known_hosts
        sock = self._handshake(self._unverifying, connect(), port)
        shown = _peer_fingerprint(sock)
        pinned = known.get(self._host, port)
        if pinned == shown:
            return sock
        sock.close()  # never held open while a person decides
        if pinned is not None:
            raise CertificateChanged(self._host, port, pinned, shown, known.path)
        ask = self._config.ask
        if ask is None or not ask(self._host, port, shown):
            raise Untrusted(
                f"{self._host}:{port} shows a certificate no CA vouches for ({spaced(shown)}), "
                "and it was not accepted"
            )
        known.pin(self._host, port, shown)
        return self._pinned(connect, port)  # again: the new pin is checked like any other

    def _handshake(self, context: ssl.SSLContext, sock: socket.socket,
                   port: int) -> ssl.SSLSocket:
        """Run the handshake; a server that answers in plain text is a one-line TlsError."""
        try:
            return context.wrap_socket(sock, server_hostname=self._host)
        except ssl.SSLCertVerificationError:
            sock.close()
            raise
        except ssl.SSLError as exc:
            sock.close()
            raise TlsError(_handshake_failure(self._host, port, exc)) from None
        except BaseException:
            sock.close()
            raise


def _handshake_failure(host: str, port: int, error: ssl.SSLError) -> str:
    reason = error.reason or str(error)
    if "ALERT" in reason:  # the server speaks TLS but refused this handshake
        return f"TLS with {host}:{port} failed: {reason}"
    return f"{host}:{port} does not speak TLS (is the server running without --tls?)"


def _peer_fingerprint(sock: ssl.SSLSocket) -> str:
    der = sock.getpeercert(binary_form=True)
    assert der is not None  # the client's ciphers all need a server certificate
    return fingerprint(der)


def _key(host: str, port: int) -> str:
    host = host.lower()
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
