"""The ``tuichat`` command's start-up, and hosting a server in the client (``--serve``).

The Textual app is replaced by a stand-in here; the app's own tests drive the real one.
"""

from __future__ import annotations

import getpass
import logging
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.conftest import WAIT, Inbox, matching
from tuichat import __version__
from tuichat.net.client import Connection
from tuichat.net.tls import KnownHosts, TlsClientConfig
from tuichat.tui import hosting as hosting_module
from tuichat.tui.hosting import HOST_CLOSED, HostedServer, HostingError, host_server
from tuichat.tui.main import main
from tuichat.tui.settings import Settings, state_path

EVERY_OPTION = [
    "--name", "--host", "--port-send", "--port-recv", "--port-image", "--avatar",
    "--password", "--admin-password", "--config", "--serve", "--listen", "--sde",
    "--data-dir", "--no-remember", "--version", "--help",
]


@pytest.fixture(autouse=True)
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every platform dir under ``tmp_path``, no passwords from the outside."""
    for kind in ("CONFIG", "STATE", "DATA", "CACHE"):
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / kind.lower()))
    monkeypatch.delenv("TUICHAT_PASSWORD", raising=False)
    monkeypatch.delenv("TUICHAT_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr(getpass, "getuser", lambda: "login")


HostFactory = Callable[..., HostedServer]


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostFactory]:
    """Host servers on free loopback ports; all are stopped after the test."""
    hosted: list[HostedServer] = []

    def factory(settings: Settings | None = None, **options: Any) -> HostedServer:
        settings = settings or Settings(port_send=0, port_recv=0, port_image=0)
        defaults: dict[str, Any] = {"listen": "127.0.0.1", "sde": False,
                                    "data_dir": tmp_path / f"data-{len(hosted)}"}
        server = host_server(settings, **(defaults | options))
        hosted.append(server)
        return server

    yield factory
    for server in reversed(hosted):
        server.stop()


def _join(settings: Settings, inbox: Inbox | None = None) -> Connection:
    return Connection.open(
        settings.host, "alice", port_send=settings.port_send, port_recv=settings.port_recv,
        port_image=settings.image_port, admin_password=settings.admin_password, timeout=WAIT,
        on_frame=inbox.on_frame if inbox else None, on_close=inbox.on_close if inbox else None,
    )


class FakeApp:
    """Stands in for TuichatApp: records what it was given and runs ``behaviour``."""

    made: ClassVar[list[FakeApp]] = []
    behaviour: ClassVar[Callable[[FakeApp], int | None]] = staticmethod(lambda app: None)

    def __init__(self, settings: Settings, *, connect_now: bool,
                 hosted: HostedServer | None = None) -> None:
        self.settings = settings
        self.connect_now = connect_now
        self.hosted = hosted
        self.connected_once = True
        FakeApp.made.append(self)

    def run(self) -> int | None:
        return FakeApp.behaviour(self)


@pytest.fixture
def fake_app(monkeypatch: pytest.MonkeyPatch) -> type[FakeApp]:
    module = types.ModuleType("tuichat.tui.app")
    module.TuichatApp = FakeApp  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tuichat.tui.app", module)
    monkeypatch.setattr(FakeApp, "made", [])
    return FakeApp


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith(f"tuichat {__version__} (protocol ")


def test_help_mentions_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    text = capsys.readouterr().out
    assert [option for option in EVERY_OPTION if option not in text] == []
    assert "TUICHAT_PASSWORD" in text and "TUICHAT_ADMIN_PASSWORD" in text


@pytest.mark.parametrize("name", ["two words", "Console", ".dot"])
def test_bad_name_exits_2_before_the_ui(name: str, capsys: pytest.CaptureFixture[str],
                                        fake_app: type[FakeApp]) -> None:
    assert main(["--name", name]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tuichat: bad --name: the name ")
    assert fake_app.made == []


def test_missing_avatar_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.png"
    assert main(["--name", "alice", "--avatar", str(missing)]) == 2
    assert capsys.readouterr().err == f"tuichat: --avatar: no such file: {missing}\n"


def test_config_error_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text("port_send = 0\n")
    assert main(["--config", str(config)]) == 2
    assert capsys.readouterr().err == (
        f"tuichat: {config}: port_send = 0 is not a port (1 to 65535)\n"
    )


@pytest.mark.parametrize("argv", [["--listen", "0.0.0.0"], ["--sde"], ["--data-dir", "d"]])
def test_hosting_options_need_serve(argv: list[str],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert f"{argv[0]} only goes with --serve" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--port-send", "0"], ["--port-recv", "65536"],
                                  ["--port-image", "x"]])
def test_bad_ports_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2


def test_main_hands_the_settings_to_the_app_and_remembers(fake_app: type[FakeApp]) -> None:
    assert main(["--name", "alice", "--host", "chat.example", "--port-send", "4000",
                 "--password", "join"]) == 0
    [app] = fake_app.made
    assert app.connect_now is True and app.hosted is None
    assert (app.settings.name, app.settings.host, app.settings.port_send,
            app.settings.password) == ("alice", "chat.example", 4000, "join")
    text = state_path().read_text()
    assert 'name = "alice"' in text and "join" not in text


def test_without_a_name_the_connect_screen_gets_the_login_name(
    fake_app: type[FakeApp],
) -> None:
    assert main(["--no-remember"]) == 0
    [app] = fake_app.made
    assert (app.connect_now, app.settings.name) == (False, "login")


def test_the_apps_exit_code_is_returned(fake_app: type[FakeApp],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakeApp, "behaviour", staticmethod(lambda app: 3))
    assert main(["--no-remember"]) == 3


def test_no_remember_and_never_connected_save_nothing(
    fake_app: type[FakeApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["--name", "alice", "--no-remember"]) == 0

    def give_up(app: FakeApp) -> None:
        app.connected_once = False

    monkeypatch.setattr(FakeApp, "behaviour", staticmethod(give_up))
    assert main(["--name", "alice"]) == 0
    assert not state_path().exists()


def test_app_sees_updated_settings_remembered(
    fake_app: type[FakeApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    def change(app: FakeApp) -> None:
        app.settings = Settings(name="renamed", host="elsewhere")

    monkeypatch.setattr(FakeApp, "behaviour", staticmethod(change))
    assert main([]) == 0
    assert 'name = "renamed"' in state_path().read_text()


def test_serve_hosts_a_server_the_app_can_join_as_admin_and_stops_it(
    fake_app: type[FakeApp], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def on_free_ports(settings: Settings, listen: str, sde: bool,
                      data_dir: Path | None) -> HostedServer:
        settings.port_send = settings.port_recv = settings.port_image = 0
        return host_server(settings, listen, sde, data_dir)

    welcomes: list[dict[str, Any]] = []

    def join(app: FakeApp) -> None:
        assert app.hosted is not None
        conn = _join(app.settings)
        welcomes.append(conn.welcome)
        conn.bye()

    monkeypatch.setattr(hosting_module, "host_server", on_free_ports)
    monkeypatch.setattr(FakeApp, "behaviour", staticmethod(join))
    assert main(["--serve", "--sde", "--data-dir", str(tmp_path / "data"), "--no-remember"]) == 0
    [app] = fake_app.made
    assert welcomes[0]["admin"] is True
    assert app.hosted is not None and app.hosted.server.wait(0)
    assert app.hosted.server.config.sde is True


def test_serve_stops_the_server_on_keyboard_interrupt(
    fake_app: type[FakeApp], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hosted: list[HostedServer] = []

    def on_free_ports(settings: Settings, listen: str, sde: bool,
                      data_dir: Path | None) -> HostedServer:
        settings.port_send = settings.port_recv = settings.port_image = 0
        hosted.append(host_server(settings, listen, sde, data_dir))
        return hosted[-1]

    def interrupt(app: FakeApp) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(hosting_module, "host_server", on_free_ports)
    monkeypatch.setattr(FakeApp, "behaviour", staticmethod(interrupt))
    assert main(["--serve", "--data-dir", str(tmp_path / "data"), "--name", "host"]) == 130
    assert hosted[0].server.wait(0)
    assert not state_path().exists()


def test_serve_on_a_busy_port_exits_1(host: HostFactory, fake_app: type[FakeApp],
                                      tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    ports = host().server.ports
    argv = ["--serve", "--data-dir", str(tmp_path / "other"), "--port-send", str(ports.send),
            "--port-recv", str(ports.recv), "--port-image", str(ports.image)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"tuichat: port {ports.send} on 127.0.0.1 is in use: ")
    assert fake_app.made == []


def test_host_server_serves_on_free_ports_and_the_host_is_admin(
    host: HostFactory, tmp_path: Path
) -> None:
    settings = Settings(host="far.example", port_send=0, port_recv=0, port_image=0)
    hosted = host(settings)
    ports = hosted.server.ports
    assert (settings.host, settings.port_send, settings.port_recv, settings.image_port) == (
        "127.0.0.1", ports.send, ports.recv, ports.image)
    token = (tmp_path / "data-0" / "admin.token").read_text().strip()
    assert settings.admin_password == hosted.admin_password == token
    conn = _join(settings)
    try:
        assert conn.welcome["admin"] is True
    finally:
        conn.bye()


def test_a_given_admin_password_rules_the_hosted_server(host: HostFactory) -> None:
    settings = Settings(port_send=0, port_recv=0, port_image=0, admin_password="given")
    assert host(settings).admin_password == "given"
    assert settings.admin_password == "given"


def test_a_second_host_on_the_same_ports_says_how_to_join(host: HostFactory) -> None:
    ports = host().server.ports
    busy = Settings(port_send=ports.send, port_recv=ports.recv, port_image=ports.image)
    with pytest.raises(HostingError) as caught:
        host(busy)
    assert str(caught.value) == (
        f"port {ports.send} on 127.0.0.1 is in use: is a tuichat server already running? "
        f"Join it with: tuichat --name NAME --port-send {ports.send} "
        f"--port-recv {ports.recv} --port-image {ports.image}"
    )


def test_an_unusable_data_dir_is_a_hosting_error(host: HostFactory, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(HostingError, match="cannot use the data dir"):
        host(data_dir=blocker / "data")


def test_the_server_logs_to_its_file_not_the_terminal(
    host: HostFactory, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    server_log = logging.getLogger("tuichat.server")
    caplog.set_level(logging.DEBUG)
    settings = Settings(port_send=0, port_recv=0, port_image=0)
    hosted = host(settings)
    _join(settings).bye()
    hosted.stop()
    log = hosted.log_path.read_text()
    assert "hosted by tuichat on 127.0.0.1" in log and "alice" in log
    assert hosted.admin_password not in log
    assert capfd.readouterr().err == ""
    assert [r for r in caplog.records if r.name.startswith("tuichat.server")] == []
    assert server_log.handlers == [] and server_log.propagate is True


def test_stop_tells_everyone_the_host_left(host: HostFactory) -> None:
    settings = Settings(port_send=0, port_recv=0, port_image=0)
    hosted = host(settings)
    inbox = Inbox()
    conn = _join(settings, inbox)
    hosted.stop()
    inbox.wait_for(matching("shutdown", text=HOST_CLOSED))
    inbox.wait_closed()
    assert conn.close_reason == HOST_CLOSED
    assert hosted.server.wait(0)


def test_hosting_with_tls_pins_its_own_certificate(host: HostFactory) -> None:
    settings = Settings(port_send=0, port_recv=0, port_image=0, tls=True)
    hosted = host(settings)
    fingerprint = hosted.server.tls_fingerprint
    assert fingerprint is not None and fingerprint.startswith("SHA256:")
    known = KnownHosts()  # the config dir under tmp_path (XDG_CONFIG_HOME)
    assert known.get("127.0.0.1", settings.port_recv) == fingerprint

    def never_asked(host: str, port: int, shown: str) -> bool:
        raise AssertionError("the host was asked to trust its own server")

    conn = Connection.open(
        settings.host, "alice", port_send=settings.port_send, port_recv=settings.port_recv,
        port_image=settings.image_port, admin_password=settings.admin_password, timeout=WAIT,
        tls=TlsClientConfig(known_hosts=known, ask=never_asked),
    )
    try:
        assert conn.welcome["admin"] is True
    finally:
        conn.bye()
