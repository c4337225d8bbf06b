"""The IRC door over TLS (``--irc-tls-port`` with ``--tls``): the server's certificate,
and a TLS client chatting with a plain one."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import trustme

from tests.conftest import ServerFactory
from tests.irc_client import WAIT, IrcClient


def test_an_irc_client_over_tls_talks_with_a_plain_one(make_server: ServerFactory,
                                                        tmp_path: Path) -> None:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    server = make_server(tls=True, tls_cert=cert, tls_key=key, irc_port=0, irc_tls_port=0,
                         irc_name="irc.test")
    assert server.ports.irc is not None and server.ports.irc_tls is not None
    context = ssl.create_default_context()
    ca.configure_trust(context)
    raw = socket.create_connection(("127.0.0.1", server.ports.irc_tls), timeout=WAIT)
    secure = IrcClient.over(context.wrap_socket(raw, server_hostname="127.0.0.1"))
    plain = IrcClient(server.ports.irc)
    try:
        secure.register("alice")
        plain.register("bob")
        secure.send("PRIVMSG #lobby :over tls")
        plain.wait_text(":alice!~alice@tuichat PRIVMSG #lobby :over tls")
        plain.send("PRIVMSG alice :back in plain")
        secure.wait_text("PRIVMSG alice :back in plain")
        secure.send("QUIT")
        secure.wait_text("ERROR :Closing Link")
    finally:
        secure.close()
        plain.close()


def test_the_tls_port_needs_tls(make_server: ServerFactory) -> None:
    server = make_server(irc_port=0, irc_tls_port=0)
    assert server.ports.irc_tls is None, "no certificate: no TLS port"
