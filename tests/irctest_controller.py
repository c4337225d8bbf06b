"""irctest's controller for tuichat's IRC door: ``pytest --controller
tests.irctest_controller`` (run from tests/vendor/irctest, with the repository on
PYTHONPATH) starts ``tuichat-server`` with only loopback limits off, named
``My.Little.Server``, and the admin password irctest opers up with."""

from __future__ import annotations

import sys
from typing import Any, ClassVar

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.runner import NotImplementedByController

SERVER_NAME = "My.Little.Server"
OPER_PASSWORD = "operpassword"
"""irctest's ``OPER operuser operpassword``: tuichat's admin password."""


class TuichatController(BaseServerController, DirectoryBasedController):  # type: ignore[misc]
    """Runs one tuichat server per irctest case."""

    software_name = "tuichat"
    supported_sasl_mechanisms: ClassVar[set[str]] = set()
    supports_sts = False

    def run(self, hostname: str, port: int, *, password: str | None, ssl: bool,
            run_services: bool, faketime: str | None, websocket_hostname: str | None,
            websocket_port: int | None, **_: Any) -> None:
        """Start the server with its IRC door on ``hostname``:``port``."""
        if ssl or websocket_hostname is not None or websocket_port is not None:
            raise NotImplementedByController("TLS and websockets")
        if run_services:
            raise NotImplementedByController("services")
        assert getattr(self, "proc", None) is None
        self.port, self.hostname = port, hostname
        self.create_config()
        assert self.directory is not None
        command = [sys.executable, "-m", "tuichat.server.cli", "--host", hostname,
                   "--port-send", "0", "--port-recv", "0", "--port-image", "0",
                   "--irc-port", str(port), "--irc-name", SERVER_NAME,
                   "--data-dir", str(self.directory / "data"),
                   "--admin-password", OPER_PASSWORD, "--motd", "",
                   "--rate-burst", "0", "--max-per-address", "0",
                   "--auth-max-failures", "0", "--auth-budget", "0",
                   "--log-level", "warning"]
        if password is not None:
            command += ["--password", password]
        self.proc = self.execute(command)


def get_irctest_controller_class() -> type[TuichatController]:
    """What irctest loads."""
    return TuichatController
