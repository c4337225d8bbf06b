"""The client's settings: precedence, the config file, and the remembered values."""

from __future__ import annotations

import getpass
import logging
import os
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tuichat.tui.main import UsageError, build_parser, default_name, settings_from_args
from tuichat.tui.settings import (
    ConfigError,
    Settings,
    default_config_path,
    load_settings,
    remember,
    state_path,
)


@pytest.fixture(autouse=True)
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every platform dir under ``tmp_path``, and a login name that is a valid chat name."""
    for kind in ("CONFIG", "STATE", "DATA", "CACHE"):
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / kind.lower()))
    monkeypatch.setattr(getpass, "getuser", lambda: "login")


def _from_argv(*argv: str, env: dict[str, str] | None = None) -> tuple[Settings, bool]:
    return settings_from_args(build_parser().parse_args(list(argv)), env or {})


def _write_config(text: str) -> Path:
    path = default_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_platform_dirs_follow_the_xdg_variables(tmp_path: Path) -> None:
    assert default_config_path() == tmp_path / "config" / "tuichat" / "config.toml"
    assert state_path() == tmp_path / "state" / "tuichat" / "last.toml"


def test_defaults_without_any_file_open_the_connect_screen() -> None:
    settings, connect_now = _from_argv()
    assert settings == Settings(name="login")
    assert connect_now is False
    assert settings.image_port == settings.port_recv + 1


def test_name_on_the_command_line_connects_at_once() -> None:
    settings, connect_now = _from_argv("--name", "bob")
    assert (settings.name, connect_now) == ("bob", True)


def test_command_line_name_is_normalized() -> None:
    settings, _ = _from_argv("--name", "Jose\u0301")
    assert settings.name == "Jos\u00e9"


@pytest.mark.parametrize("name", ["bad name!", "Console", ""])
def test_bad_command_line_name_is_refused(name: str) -> None:
    with pytest.raises(UsageError, match=r"^bad --name: "):
        _from_argv("--name", name)


@pytest.mark.parametrize("login", ["has space", ".hidden", "Console"])
def test_invalid_login_name_prefills_nothing(monkeypatch: pytest.MonkeyPatch,
                                             login: str) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: login)
    assert default_name() == ""


def test_unknown_login_prefills_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_user() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_user)
    assert _from_argv()[0].name == ""


def test_precedence_defaults_remembered_config_env_command_line() -> None:
    remember(Settings(name="remembered", host="remembered.example", port_send=1001,
                      port_recv=1002, port_image=1003))
    _write_config('host = "config.example"\nport_recv = 2002\nport_image = 2003\n'
                  'password = "config-join"\nadmin_password = "config-admin"\n')
    env = {"TUICHAT_PASSWORD": "env-join", "TUICHAT_ADMIN_PASSWORD": "env-admin"}
    settings, connect_now = _from_argv("--port-image", "3003", "--admin-password", "cli",
                                       env=env)
    assert settings == Settings(
        name="remembered",  # remembered beats the default (and the login name)
        host="config.example",  # config beats remembered
        port_send=1001,  # remembered beats the default
        port_recv=2002,
        port_image=3003,  # command line beats config
        password="env-join",  # environment beats config
        admin_password="cli",  # command line beats environment
    )
    assert connect_now is False
    assert _from_argv("--password", "cli", env=env)[0].password == "cli"
    assert _from_argv()[0].password == "config-join"


@pytest.mark.parametrize("choice", [True, False, None])
def test_the_layout_choice_is_remembered_and_no_choice_stays_none(choice: bool | None) -> None:
    remember(Settings(compact=choice))
    assert ("compact" in tomllib.loads(state_path().read_text())) is (choice is not None)
    assert load_settings(None).compact is choice
    _write_config("compact = false\n")  # the config file beats what was remembered
    assert load_settings(None).compact is False


def test_missing_default_config_is_fine() -> None:
    assert load_settings(None) == Settings()


def test_config_given_by_name_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match="no such file") as caught:
        _from_argv("--config", str(missing))
    assert str(missing) in str(caught.value)


def test_config_given_by_name_is_read(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text('name = "carol"\nport_send = 4000\n')
    assert load_settings(path) == Settings(name="carol", port_send=4000)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('name = "unterminated', "not valid TOML"),
        ("\xff", "not valid TOML"),
        ('colour = "red"', "unknown key 'colour'"),
        ("[server]\nport = 1", "unknown key 'server'"),
        ("port_send = 0", "port_send = 0 is not a port (1 to 65535)"),
        ("port_recv = 70000", "port_recv = 70000 is not a port (1 to 65535)"),
        ('port_image = "x"', "port_image must be an integer, not 'x'"),
        ("port_send = true", "port_send must be an integer, not True"),
        ("host = 1", "host must be a string, not 1"),
        ('compact = "auto"', "compact must be true or false, not 'auto'"),
        ('avatar = "missing.png"', "avatar: no such file"),
    ],
)
def test_config_errors_name_the_file_and_the_problem(text: str, problem: str) -> None:
    path = default_config_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_settings(None)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert problem in message
    assert "\n" not in message


def test_config_avatar_is_relative_to_the_config_file() -> None:
    path = _write_config('avatar = "me.png"\n')
    (path.parent / "me.png").write_bytes(b"png")
    assert load_settings(None).avatar == path.parent / "me.png"


def test_broken_remembered_file_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    state_path().parent.mkdir(parents=True)
    state_path().write_text('password = "how did this get here"\nhost = "h"\n')
    with caplog.at_level(logging.WARNING):
        assert load_settings(None) == Settings()
    assert "ignoring the remembered values" in caplog.text


def test_remembered_avatar_that_is_gone_is_dropped(tmp_path: Path) -> None:
    avatar = tmp_path / "me.png"
    avatar.write_bytes(b"png")
    remember(Settings(host="kept.example", avatar=avatar))
    assert load_settings(None).avatar == avatar
    avatar.unlink()
    assert load_settings(None) == Settings(host="kept.example")


def test_remember_stores_the_avatar_as_an_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("me.png").write_bytes(b"png")
    settings, _ = _from_argv("--avatar", "me.png")
    remember(settings)
    assert tomllib.loads(state_path().read_text())["avatar"] == str(tmp_path / "me.png")


def test_missing_command_line_avatar_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--avatar: no such file"):
        _from_argv("--avatar", str(tmp_path / "missing.png"))


def test_remember_never_writes_passwords() -> None:
    remember(Settings(name="dave", password="join-secret", admin_password="admin-secret"))
    text = state_path().read_text()
    assert "secret" not in text
    assert "password" not in text
    assert load_settings(None) == Settings(name="dave")


def test_remembered_file_is_private_even_if_it_was_not() -> None:
    state_path().parent.mkdir(parents=True)
    state_path().write_text('name = "old"\n')
    state_path().chmod(0o644)
    remember(Settings(name="erin"))
    assert state_path().stat().st_mode & 0o777 == 0o600
    assert load_settings(None).name == "erin"
    assert os.listdir(state_path().parent) == ["last.toml"]  # no temp file left behind


def test_remember_in_an_unusable_state_dir_only_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    with caplog.at_level(logging.WARNING):
        remember(Settings(name="frank"))
    assert "could not remember" in caplog.text
    assert load_settings(None) == Settings()


_TEXT = st.text(st.characters(exclude_categories=["Cs"]))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(name=_TEXT, host=_TEXT)
@example(name='"quoted" \\back\\slash\\', host="\\u0041 \\n not escapes")
@example(name="\x00\x01\x08\t\n\x0b\x0c\r\x1b\x1f\x7f\x80", host='"""\'\'\'')
@example(name="Zoë 名前 😀 \u200b\u2028\ufeff\U0010ffff", host="# not a comment = 1")
def test_any_text_round_trips_through_the_remembered_file(name: str, host: str) -> None:
    remember(Settings(name=name, host=host, port_image=7))
    loaded = load_settings(None)
    assert (loaded.name, loaded.host, loaded.port_image) == (name, host, 7)
