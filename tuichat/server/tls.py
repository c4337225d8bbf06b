"""The server's TLS context: the given certificate, or a self-signed one made on first start."""

from __future__ import annotations

import datetime
import ipaddress
import logging
import socket
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tuichat.files import write_private
from tuichat.net.tls import fingerprint
from tuichat.server.config import ServerConfig

log = logging.getLogger("tuichat.server")

CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
VALID_DAYS = 10 * 365
"""Clients pin the certificate itself, so a long life spares them a changed fingerprint."""


class CertificateError(Exception):
    """The certificate or key cannot be used; one line to show."""


def server_context(config: ServerConfig) -> tuple[ssl.SSLContext, str]:
    """A TLS 1.2+ server context and the fingerprint of its certificate (``SHA256:AB:..``)."""
    if config.tls_cert is not None and config.tls_key is not None:
        cert, key = config.tls_cert, config.tls_key
    else:
        cert, key = ensure_self_signed(config.tls_dir)
    try:
        chain = x509.load_pem_x509_certificates(cert.read_bytes())
    except OSError as exc:
        raise CertificateError(f"cannot read the TLS certificate {cert}: {exc.strerror}") from None
    except ValueError:
        raise CertificateError(f"{cert} holds no PEM certificate") from None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError:
        raise CertificateError(
            f"the TLS key {key} is not the private key of the certificate {cert}"
        ) from None
    except OSError as exc:
        raise CertificateError(f"cannot read the TLS key {key}: {exc.strerror}") from None
    return context, fingerprint(chain[0].public_bytes(serialization.Encoding.DER))


def ensure_self_signed(directory: Path) -> tuple[Path, Path]:
    """The self-signed certificate and key in ``directory``, made if either is missing."""
    cert, key = directory / CERT_FILE, directory / KEY_FILE
    if cert.exists() and key.exists():
        return cert, key
    cert_pem, key_pem = _self_signed()
    cert.unlink(missing_ok=True)  # a crash between the writes must not pair a new key
    write_private(key, key_pem)  # with an old certificate
    write_private(cert, cert_pem)
    log.info("made a self-signed TLS certificate: %s", cert)
    return cert, key


def _self_signed() -> tuple[bytes, bytes]:
    """A new P-256 key and a certificate for it, naming this machine; both as PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    hostname = socket.gethostname()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"tuichat-server {hostname}")])
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    if hostname.isascii() and hostname not in ("", "localhost"):
        names.append(x509.DNSName(hostname))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem
