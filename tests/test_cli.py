"""Command-line options of tuichat-server, and the placeholder tuichat command."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import ClientFactory, ServerFactory
from tuichat.server.app import StartupError
from tuichat.server.cli import build_parser, config_from_args, main
from tuichat.server.config import ServerConfig


def _config(*argv: str) -> ServerConfig:
    return config_from_args(build_parser().parse_args(list(argv)))


def test_defaults_match_the_original_ports() -> None:
    config = _config()
    assert (config.port_send, config.port_recv, config.image_port) == (49153, 49154, 49155)
    assert config.sde is False
    assert config.host == "0.0.0.0"


def test_image_port_follows_recv_port() -> None:
    assert _config("--port-recv", "6000").image_port == 6001
    assert _config("--port-recv", "6000", "--port-image", "7000").image_port == 7000


def test_admin_password_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUICHAT_ADMIN_PASSWORD", "from-env")
    assert _config().admin_password == "from-env"
    assert _config("--admin-password", "flag").admin_password == "flag"


def test_admin_password_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("  file-password \nignored\n")
    assert _config("--admin-password-file", str(secret)).admin_password == "file-password"
    with pytest.raises(StartupError, match="cannot read"):
        _config("--admin-password-file", str(tmp_path / "missing"))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(StartupError, match="empty"):
        _config("--admin-password-file", str(tmp_path / "empty"))


@pytest.mark.parametrize("argv", [["--port-send", "70000"], ["--max-clients", "0"],
                                  ["--log-level", "loud"]])
def test_bad_options_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(argv)
    assert caught.value.code == 2


def test_version_names_the_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert "protocol 1" in capsys.readouterr().out


def test_console_avatar_can_be_replaced(make_server: ServerFactory, join: ClientFactory,
                                        tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 12), "purple").save(buffer, format="PNG")
    custom = tmp_path / "me.png"
    custom.write_bytes(buffer.getvalue())
    server = make_server(console_avatar=custom)
    welcome = join("alice", server).conn.welcome
    assert welcome["console_avatar"] == hashlib.sha256(buffer.getvalue()).hexdigest()


def test_bad_console_avatar_fails_start(make_server: ServerFactory, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.png"
    bogus.write_text("not an image")
    with pytest.raises(StartupError, match=r"bogus\.png"):
        make_server(console_avatar=bogus)
