"""``tuichat --serve``: a tuichat server in the client's own process, for the host to join.

The embedded server logs to ``<data_dir>/server.log``, never to the terminal the TUI is
drawing on.
"""

from __future__ import annotations

import errno
import logging
import socket
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path

from tuichat.net.frames import DEFAULT_PORT_RECV, DEFAULT_PORT_SEND
from tuichat.net.tls import KnownHosts
from tuichat.server.app import Server, StartupError
from tuichat.server.config import ServerConfig, ensure_admin_password
from tuichat.tui.settings import Settings

server_log = logging.getLogger("tuichat.server")

HOST_CLOSED = "The host closed tuichat."
STOP_SECONDS = 5.0
LOG_FILE = "server.log"
LOG_BYTES = 1024 * 1024
LOG_BACKUPS = 2
_WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}
"""Addresses that mean "every interface", and the loopback address to join them on."""


class HostingError(Exception):
    """The embedded server cannot start; one line to show."""


@dataclass
class _LogRoute:
    """The ``tuichat.server`` log sent to a bounded file only, and how to undo that."""

    handler: RotatingFileHandler
    propagate: bool
    level: int

    @classmethod
    def to_file(cls, path: Path) -> _LogRoute:
        handler = RotatingFileHandler(
            path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        route = cls(handler, server_log.propagate, server_log.level)
        server_log.addHandler(handler)
        server_log.propagate = False
        server_log.setLevel(logging.INFO)
        return route

    def close(self) -> None:
        server_log.removeHandler(self.handler)
        self.handler.close()
        server_log.propagate = self.propagate
        server_log.setLevel(self.level)


@dataclass
class HostedServer:
    """A running embedded server, the admin password that rules it, and its log file."""

    server: Server
    admin_password: str
    listen: str
    log_path: Path
    _log: _LogRoute

    def stop(self) -> None:
        """Tell everyone the host left, and wait (bounded) for the server to end."""
        self.server.stop(HOST_CLOSED)
        self.server.wait(STOP_SECONDS)
        self._log.close()


def host_server(
    settings: Settings, listen: str, sde: bool, data_dir: Path | None
) -> HostedServer:
    """Start a server on the settings' ports at ``listen``, and point ``settings`` at it.

    The host becomes admin: ``settings.admin_password`` is the server's admin password
    (the token in ``admin.token`` unless one was given). Ports of 0 take free ones, and
    ``settings`` gets the ports actually used.
    """
    config = ServerConfig(
        host=listen,
        port_send=settings.port_send,
        port_recv=settings.port_recv,
        port_image=settings.port_image,
        sde=sde,
        admin_password=settings.admin_password,
        password=settings.password,
        tls=settings.tls,
    )
    if data_dir is not None:
        config.data_dir = data_dir
    try:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        admin_password, source = ensure_admin_password(config)
        route = _LogRoute.to_file(config.data_dir / LOG_FILE)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise HostingError(f"cannot use the data dir {config.data_dir}: {reason}") from None
    server = Server(config)
    try:
        server.start()
    except StartupError as exc:
        route.close()
        raise HostingError(_startup_problem(exc, config, settings)) from None
    ports = server.ports
    server_log.info("hosted by tuichat on %s: send %d, recv %d, image %d; data dir %s; "
                    "admin password: %s", listen, ports.send, ports.recv, ports.image,
                    config.data_dir, source)
    settings.host = _WILDCARDS.get(listen, listen)
    settings.port_send, settings.port_recv = ports.send, ports.recv
    settings.port_image = None if ports.image == ports.recv + 1 else ports.image
    settings.admin_password = admin_password
    if server.tls_fingerprint is not None:  # our own server: no need to ask whether to trust it
        KnownHosts().pin(settings.host, ports.recv, server.tls_fingerprint)
    return HostedServer(server, admin_password, listen, config.data_dir / LOG_FILE, route)


def _startup_problem(exc: StartupError, config: ServerConfig, settings: Settings) -> str:
    """A friendly line when a port is taken (most likely by a running server)."""
    for port in (config.port_send, config.port_recv, config.image_port):
        if _in_use(config.host, port):
            return (f"port {port} on {config.host} is in use: is a tuichat server already "
                    f"running? Join it with: {_join_command(settings)}")
    return str(exc)


def _in_use(host: str, port: int) -> bool:
    """Whether something already listens on ``host`` at ``port`` (0 is never in use)."""
    if port == 0:
        return False
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        return exc.errno == errno.EADDRINUSE
    return False


def _join_command(settings: Settings) -> str:
    """The ``tuichat`` command line that joins a server on the settings' ports."""
    words = ["tuichat", "--name", "NAME"]
    if settings.port_send != DEFAULT_PORT_SEND:
        words += ["--port-send", str(settings.port_send)]
    if settings.port_recv != DEFAULT_PORT_RECV:
        words += ["--port-recv", str(settings.port_recv)]
    if settings.port_image is not None:
        words += ["--port-image", str(settings.port_image)]
    return " ".join(words)
