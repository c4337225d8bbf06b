"""TLS on all three channels: CA-signed and self-signed servers, pinning, and mismatches."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import re
import socket
import ssl
import stat
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from tests.conftest import WAIT, Client, Inbox, ServerFactory, matching
from tests.test_avatars import noisy_png
from tests.test_line_chat import EXAMPLE
from tests.test_server_process import ServerProcess
from tuichat.net.client import BadFrame, Connection, ServerFull
from tuichat.net.codec import encode
from tuichat.net.tls import (
    CertificateChanged,
    KnownHosts,
    TlsClientConfig,
    TlsDialer,
    TlsError,
    Untrusted,
    fingerprint,
    fingerprint_groups,
    spaced,
)
from tuichat.server.app import Server, StartupError

TlsJoin = Callable[..., Client]


@dataclass
class Pems:
    """A server certificate and key signed by an in-memory CA, and that CA, as files."""

    cert: Path
    key: Path
    ca: Path


class Asker:
    """A trust decider that records what it was asked and always answers the same."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[tuple[str, int, str]] = []

    def __call__(self, host: str, port: int, shown: str) -> bool:
        self.asked.append((host, port, shown))
        return self.answer


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def pems(ca: trustme.CA, tmp_path: Path) -> Pems:
    issued = ca.issue_cert("127.0.0.1", "localhost")
    found = Pems(tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem")
    issued.cert_chain_pems[0].write_to_path(str(found.cert))
    issued.private_key_pem.write_to_path(str(found.key))
    ca.cert_pem.write_to_path(str(found.ca))
    return found


@pytest.fixture
def tls_join() -> Iterator[TlsJoin]:
    """Join a server with the given TLS settings (None: plain) as a recording client."""
    clients: list[Client] = []

    def factory(server: Server, name: str, tls: TlsClientConfig | None) -> Client:
        ports, inbox = server.ports, Inbox()
        conn = Connection.open(
            "127.0.0.1", name, port_send=ports.send, port_recv=ports.recv,
            port_image=ports.image, timeout=WAIT, on_frame=inbox.on_frame,
            on_close=inbox.on_close, tls=tls,
        )
        clients.append(Client(conn, inbox))
        return clients[-1]

    yield factory
    for client in clients:
        client.conn.close()


def _der(pem: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.read_text())


# -- a server with a CA-signed certificate -------------------------------------------------


def test_chat_and_avatars_work_over_tls_on_all_three_channels(
    make_server: ServerFactory, pems: Pems, tls_join: TlsJoin, tmp_path: Path
) -> None:
    server = make_server(tls=True, tls_cert=pems.cert, tls_key=pems.key)
    known = KnownHosts(tmp_path / "known_hosts")
    trust = TlsClientConfig(ca_file=pems.ca, known_hosts=known, ask=Asker(False))
    alice, bob = tls_join(server, "alice", trust), tls_join(server, "bob", trust)
    alice.say_and_wait("over tls")
    assert bob.inbox.wait_for(matching("message", text="over tls"))["from"] == "alice"
    picture = noisy_png(280)  # about 236 KB: many TLS records each way
    sha = alice.conn.upload_avatar(picture).result(WAIT)
    assert bob.conn.get_avatar(sha).result(WAIT) == picture
    assert server.tls_fingerprint == fingerprint(_der(pems.cert))
    assert not known.path.exists()  # a certificate a CA vouches for needs no pin


def test_replies_sent_before_bye_still_arrive_over_tls(
    make_server: ServerFactory, pems: Pems, tls_join: TlsJoin
) -> None:
    server = make_server(tls=True, tls_cert=pems.cert, tls_key=pems.key, rate_burst=1_000)
    alice = tls_join(server, "alice", TlsClientConfig(ca_file=pems.ca))
    refs = [alice.conn.say(f"line {n}") for n in range(1_000)]
    alice.conn.bye(WAIT)
    # The server closes send as soon as it reads bye, while the echoes are still coming
    # in on recv: half-closing must keep recv's TLS state so they can be read.
    assert [frame.get("ref") for frame in alice.inbox.all(matching("message"))] == refs


def test_a_certificate_and_key_that_do_not_match_stop_the_start(
    make_server: ServerFactory, pems: Pems, ca: trustme.CA, tmp_path: Path
) -> None:
    foreign = tmp_path / "foreign-key.pem"
    ca.issue_cert("localhost").private_key_pem.write_to_path(str(foreign))
    with pytest.raises(StartupError, match=r"foreign-key\.pem is not the private key"):
        make_server(tls=True, tls_cert=pems.cert, tls_key=foreign)
    with pytest.raises(StartupError, match=r"cannot read the TLS certificate .*missing\.pem"):
        make_server(tls=True, tls_cert=tmp_path / "missing.pem", tls_key=pems.key)
    with pytest.raises(StartupError, match=r"key\.pem holds no PEM certificate"):
        make_server(tls=True, tls_cert=pems.key, tls_key=pems.key)


def test_a_full_tls_server_still_says_why_in_tls(
    make_server: ServerFactory, pems: Pems, tls_join: TlsJoin
) -> None:
    server = make_server(tls=True, tls_cert=pems.cert, tls_key=pems.key, max_per_address=2)
    # The third connection is refused as it is accepted, before its handshake: the refusal
    # waits for the handshake and goes out encrypted.
    with pytest.raises(ServerFull, match="too many connections"):
        tls_join(server, "alice", TlsClientConfig(ca_file=pems.ca))


def test_the_server_ends_tls_with_close_notify_even_before_the_handshake(
    make_server: ServerFactory, pems: Pems
) -> None:
    server = make_server(tls=True, tls_cert=pems.cert, tls_key=pems.key, max_per_address=1)
    context = ssl.create_default_context(cafile=str(pems.ca))

    def connect() -> ssl.SSLSocket:
        raw = socket.create_connection(("127.0.0.1", server.ports.recv), timeout=WAIT)
        # Without the server's close_notify, reading to the end raises SSLEOFError.
        return context.wrap_socket(raw, server_hostname="127.0.0.1", suppress_ragged_eofs=False)

    def read_to_the_end(tls: ssl.SSLSocket) -> bytes:
        received = b""
        while chunk := tls.recv(65_536):
            received += chunk
        return received

    with connect() as admitted:
        with connect() as refused:  # refused as it is accepted, before its handshake
            assert b"too many connections" in read_to_the_end(refused)
        admitted.sendall(encode({"type": "hello", "version": 0, "name": "old"}))
        assert b"bad_version" in read_to_the_end(admitted)


def _old_client(version: ssl.TLSVersion) -> ssl.SSLContext:
    """A client that speaks only ``version`` (below the server's TLS 1.2)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL's default level forbids TLS 1.1
    context.minimum_version = context.maximum_version = version
    return context


def test_a_failed_handshake_sends_its_alert(make_server: ServerFactory, pems: Pems) -> None:
    server = make_server(tls=True, tls_cert=pems.cert, tls_key=pems.key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1_1 itself
        old = _old_client(ssl.TLSVersion.TLSv1_1)
    with (
        socket.create_connection(("127.0.0.1", server.ports.recv), timeout=WAIT) as raw,
        pytest.raises(ssl.SSLError) as caught,
    ):
        old.wrap_socket(raw)
    # Not "unexpected EOF": the client is told the server will not speak its version.
    assert not isinstance(caught.value, ssl.SSLEOFError)
    assert "protocol version" in str(caught.value).lower()


# -- a self-signed server, trusted on first use -------------------------------------------


def test_self_signed_certificate_is_made_once_and_reused(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    first = make_server(tls=True, data_dir=data_dir)
    cert_path, key_path = data_dir / "tls" / "cert.pem", data_dir / "tls" / "key.pem"
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert first.tls_fingerprint is not None
    assert re.fullmatch(r"SHA256(:[0-9A-F]{2}){32}", first.tls_fingerprint)
    assert first.tls_fingerprint.replace(":", "")[6:] == cert.fingerprint(hashes.SHA256()).hex(
    ).upper()
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost", socket.gethostname()} <= set(names.get_values_for_type(x509.DNSName))
    assert {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")} <= set(
        names.get_values_for_type(x509.IPAddress)
    )
    first.stop()
    assert first.wait(WAIT)
    second = make_server(tls=True, data_dir=data_dir)
    assert second.tls_fingerprint == first.tls_fingerprint


def test_a_fingerprint_is_shown_in_groups_of_whole_bytes() -> None:
    shown = fingerprint(b"any certificate")
    groups = fingerprint_groups(shown)
    assert len(groups) == 8 and ":".join(groups) == shown
    assert groups[0].startswith("SHA256:") and len(groups[0]) == len("SHA256:") + 11
    assert all(re.fullmatch(r"([0-9A-F]{2}:){3}[0-9A-F]{2}", group) for group in groups[1:])
    assert spaced(shown) == " ".join(groups)


def test_first_use_asks_once_and_pins_the_fingerprint(
    make_server: ServerFactory, tls_join: TlsJoin, tmp_path: Path
) -> None:
    server = make_server(tls=True)
    known = KnownHosts(tmp_path / "config" / "known_hosts")
    yes = Asker(True)
    alice = tls_join(server, "alice", TlsClientConfig(known_hosts=known, ask=yes))
    assert yes.asked == [("127.0.0.1", server.ports.recv, server.tls_fingerprint)]
    assert known.get("127.0.0.1", server.ports.recv) == server.tls_fingerprint
    assert stat.S_IMODE(known.path.stat().st_mode) == 0o600
    never = Asker(False)
    bob = tls_join(server, "bob", TlsClientConfig(known_hosts=known, ask=never))
    assert never.asked == []
    bob.say_and_wait("pinned")
    alice.inbox.wait_for(matching("message", text="pinned"))


def test_a_changed_certificate_is_refused_without_asking(
    make_server: ServerFactory, tls_join: TlsJoin, tmp_path: Path
) -> None:
    first = make_server(tls=True)
    ports = first.ports
    known = KnownHosts(tmp_path / "known_hosts")
    tls_join(first, "alice", TlsClientConfig(known_hosts=known, ask=Asker(True))).conn.bye()
    first.stop()
    assert first.wait(WAIT)
    # The same ports, a new data dir: a new self-signed certificate.
    second = make_server(tls=True, port_send=ports.send, port_recv=ports.recv,
                         port_image=ports.image)
    yes = Asker(True)
    with pytest.raises(CertificateChanged) as refused:
        tls_join(second, "alice", TlsClientConfig(known_hosts=known, ask=yes))
    assert yes.asked == []
    text = str(refused.value)
    assert first.tls_fingerprint is not None and second.tls_fingerprint is not None
    assert f"{spaced(first.tls_fingerprint)}, now it is {spaced(second.tls_fingerprint)}" in text
    assert f"delete the line for 127.0.0.1:{ports.recv} from {known.path}" in text
    assert known.get("127.0.0.1", ports.recv) == first.tls_fingerprint


def test_a_refused_certificate_is_untrusted_and_no_hello_is_sent(
    make_server: ServerFactory, tls_join: TlsJoin, tmp_path: Path
) -> None:
    server = make_server(tls=True)
    known = KnownHosts(tmp_path / "known_hosts")
    no = Asker(False)
    assert server.tls_fingerprint is not None
    with pytest.raises(Untrusted, match=re.escape(spaced(server.tls_fingerprint))):
        tls_join(server, "mallory", TlsClientConfig(known_hosts=known, ask=no))
    assert len(no.asked) == 1
    with pytest.raises(Untrusted):  # no one to ask
        tls_join(server, "mallory", TlsClientConfig(known_hosts=known))
    assert not known.path.exists()
    watcher = tls_join(server, "watcher", TlsClientConfig(known_hosts=known, ask=Asker(True)))
    watcher.say_and_wait("anyone?")  # the server has handled all that came before
    assert server.chat is not None
    assert list(server.chat.hub.members) == ["watcher"]


class _TlsListener:
    """A bare TLS server on a free port that completes handshakes and nothing more."""

    def __init__(self, issued: trustme.LeafCert) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        issued.configure_cert(self.context)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.sock.accept()
                threading.Thread(target=self._handshake, args=(conn,), daemon=True).start()

    def _handshake(self, conn: socket.socket) -> None:
        conn.settimeout(WAIT)
        with contextlib.suppress(OSError), self.context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)  # until the client closes

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)


def test_every_channel_must_show_the_certificate_of_the_first(
    ca: trustme.CA, pems: Pems, tmp_path: Path
) -> None:
    one = _TlsListener(ca.issue_cert("127.0.0.1"))
    other = _TlsListener(ca.issue_cert("127.0.0.1"))
    dialer = TlsDialer(TlsClientConfig(ca_file=pems.ca, known_hosts=KnownHosts(tmp_path / "k")),
                       "127.0.0.1")
    with (
        dialer.wrap(one.connect, one.port),
        dialer.wrap(one.connect, one.port),
        pytest.raises(TlsError, match=r"shows the certificate .*, but 127\.0\.0\.1:\d+ showed"),
    ):
        dialer.wrap(other.connect, other.port)
    for listener in (one, other):
        listener.sock.close()


def test_a_tls_server_that_refuses_the_handshake_is_not_called_plain(
    ca: trustme.CA, pems: Pems, tmp_path: Path
) -> None:
    picky = _TlsListener(ca.issue_cert("127.0.0.1"))
    picky.context.maximum_version = ssl.TLSVersion.TLSv1_2
    picky.context.set_ciphers("PSK")  # no cipher in common with the client
    dialer = TlsDialer(TlsClientConfig(ca_file=pems.ca, known_hosts=KnownHosts(tmp_path / "k")),
                       "127.0.0.1")
    failed = re.escape(f"TLS with 127.0.0.1:{picky.port} failed: ")
    with pytest.raises(TlsError, match=f"^{failed}.*ALERT"):
        dialer.wrap(picky.connect, picky.port)
    picky.sock.close()


def test_an_unusable_ca_file_is_a_clear_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    for path in (tmp_path / "missing.pem", garbage):
        with pytest.raises(TlsError, match=f"^cannot use the CA file {re.escape(str(path))}: "):
            TlsDialer(TlsClientConfig(ca_file=path), "127.0.0.1")


# -- one side without TLS ------------------------------------------------------------------


def test_plain_client_is_told_the_server_requires_tls(
    make_server: ServerFactory, tls_join: TlsJoin
) -> None:
    server = make_server(tls=True, setup_timeout=0)
    # A hang would end in TimeoutError after WAIT, not in this error.
    with pytest.raises(BadFrame, match="this server requires TLS: connect with --tls"):
        tls_join(server, "alice", None)


def test_tls_client_is_told_the_server_does_not_speak_tls(
    make_server: ServerFactory, pems: Pems, tls_join: TlsJoin, tmp_path: Path
) -> None:
    server = make_server(setup_timeout=0)  # so only a reply, not a time-out, can end it
    trust = TlsClientConfig(ca_file=pems.ca, known_hosts=KnownHosts(tmp_path / "k"))
    with pytest.raises(TlsError) as refused:
        tls_join(server, "alice", trust)
    assert str(refused.value) == (
        f"127.0.0.1:{server.ports.recv} does not speak TLS "
        "(is the server running without --tls?)"
    )


class _LogWaiter(logging.Handler):
    """Collects log records; ``wait_for`` blocks (boundedly) until one contains a text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._cond = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._cond:
            self.records.append(record)
            self._cond.notify_all()

    def wait_for(self, text: str) -> logging.LogRecord:
        def found() -> list[logging.LogRecord]:
            return [record for record in self.records if text in record.getMessage()]

        with self._cond:
            assert self._cond.wait_for(found, WAIT), [r.getMessage() for r in self.records]
            return found()[0]


def test_a_failed_handshake_is_logged_at_info(
    make_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tuichat.server")
    waiter = _LogWaiter()
    logging.getLogger("tuichat.server").addHandler(waiter)
    try:
        server = make_server(tls=True)
        strict = ssl.create_default_context()  # the system CAs: self-signed is refused
        with (
            socket.create_connection(("127.0.0.1", server.ports.recv), timeout=WAIT) as raw,
            pytest.raises(ssl.SSLCertVerificationError),
        ):
            strict.wrap_socket(raw, server_hostname="127.0.0.1")
        record = waiter.wait_for("TLS handshake that failed")
    finally:
        logging.getLogger("tuichat.server").removeHandler(waiter)
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        "closed 1 TLS handshake that failed: TLSV1_ALERT_UNKNOWN_CA, from 127.0.0.1")


# -- the known-hosts file --------------------------------------------------------------


def test_known_hosts_keeps_one_private_line_per_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert KnownHosts().path == tmp_path / "xdg" / "tuichat" / "known_hosts"
    known = KnownHosts(tmp_path / "dir" / "known_hosts")
    assert known.get("example.org", 49154) is None
    known.pin("example.org", 49154, "SHA256:AA")
    known.pin("::1", 49154, "SHA256:BB")
    known.pin("Example.ORG", 49154, "SHA256:CC")  # the same server: the pin is replaced
    assert known.path.read_text() == "[::1]:49154 SHA256:BB\nexample.org:49154 SHA256:CC\n"
    assert known.get("example.org", 49154) == "SHA256:CC"
    assert known.get("example.org", 49155) is None
    assert stat.S_IMODE(known.path.stat().st_mode) == 0o600
    assert [path.name for path in known.path.parent.iterdir()] == ["known_hosts"]


# -- the programs -------------------------------------------------------------------------


def test_tuichat_server_tls_logs_the_fingerprint_clients_see(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", "--tls")
    try:
        logged = re.search(r"fingerprint (SHA256(:[0-9A-F]{2}){32})", "".join(server.log))
        assert logged is not None, server.log
        yes = Asker(True)
        trust = TlsClientConfig(known_hosts=KnownHosts(tmp_path / "known_hosts"), ask=yes)
        server.join("alice", tls=trust).conn.bye()
        assert yes.asked == [("127.0.0.1", server.recv, logged.group(1))]
        assert logged.group(1) == fingerprint(_der(tmp_path / "data" / "tls" / "cert.pem"))
    finally:
        server.stop()


def _run_line_chat(server: Server, tmp_path: Path,
                   *options: str) -> subprocess.CompletedProcess[str]:
    ports = server.ports
    env: dict[str, Any] = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    return subprocess.run(
        [sys.executable, str(EXAMPLE), "bot", "--port-send", str(ports.send),
         "--port-recv", str(ports.recv), "--port-image", str(ports.image), *options],
        input="hello over tls\n", capture_output=True, text=True, timeout=WAIT, env=env,
    )


def test_line_chat_joins_a_tls_server_with_its_ca(
    make_server: ServerFactory, pems: Pems, tls_join: TlsJoin, tmp_path: Path
) -> None:
    server = make_server(tls=True, tls_cert=pems.cert, tls_key=pems.key)
    watcher = tls_join(server, "watcher", TlsClientConfig(ca_file=pems.ca))
    result = _run_line_chat(server, tmp_path, "--tls-ca", str(pems.ca))
    assert result.returncode == 0, result.stderr
    assert watcher.inbox.wait_for(matching("message", text="hello over tls"))["from"] == "bot"


def test_line_chat_without_a_terminal_refuses_an_unknown_certificate(
    make_server: ServerFactory, tmp_path: Path
) -> None:
    server = make_server(tls=True)
    result = _run_line_chat(server, tmp_path, "--tls")
    assert result.returncode == 1
    assert server.tls_fingerprint is not None
    assert server.tls_fingerprint in result.stderr
    assert "--tls-ca" in result.stderr
    assert not (tmp_path / "xdg").exists()
