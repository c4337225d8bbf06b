"""The client's settings: defaults, remembered last-used values, and the config file.

The config file (``config.toml``) is the user's and is only ever read. What the client
remembers between runs lives apart in ``last.toml`` in the state dir, never with passwords.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import platformdirs
from textual.theme import BUILTIN_THEMES

from tuichat.files import write_private
from tuichat.net.frames import DEFAULT_PORT_RECV, DEFAULT_PORT_SEND

log = logging.getLogger(__name__)

APP_NAME = "tuichat"
KEYS = ("name", "host", "port_send", "port_recv", "port_image", "avatar", "password",
        "admin_password", "tls", "tls_ca", "timestamps", "markdown", "emoji", "bell", "theme",
        "compact")
"""What a config file may set, all in its top-level table."""
PORT_KEYS = ("port_send", "port_recv", "port_image")
BOOL_KEYS = ("tls", "markdown", "emoji", "bell", "compact")
THEMES = tuple(sorted(BUILTIN_THEMES))
DEFAULT_THEME = "textual-dark"
TIME_MODES = ("time", "datetime", "off")
"""How message times are shown: hours and minutes, date and time, or not at all."""
PATH_KEYS = ("avatar", "tls_ca")
"""Paths in a file are read relative to that file's folder."""
REMEMBERED = ("name", "host", "port_send", "port_recv", "port_image", "avatar", "tls", "tls_ca",
              "timestamps", "markdown", "emoji", "bell", "theme", "compact")
"""The keys written to ``last.toml``: everything but the passwords."""
_TOML_ESCAPES = {code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]} | {
    ord('"'): '\\"',
    ord("\\"): "\\\\",
}


@dataclass
class Settings:
    """What the client connects with; passwords are held in memory only."""

    name: str = ""
    host: str = "127.0.0.1"
    port_send: int = DEFAULT_PORT_SEND
    port_recv: int = DEFAULT_PORT_RECV
    port_image: int | None = None
    """None means recv + 1."""
    avatar: Path | None = None
    password: str | None = None
    """The join password: read from the config file, command line or environment, never
    written to disk."""
    admin_password: str | None = None
    """Like ``password``, never written to disk."""
    tls: bool = False
    """Speak TLS on all three channels."""
    tls_ca: Path | None = None
    """Trust certificates from this CA file (else the system's, then trust on first use)."""
    timestamps: str = "time"
    """One of ``TIME_MODES`` (``/timestamp``)."""
    markdown: bool = True
    """Render Markdown in messages (``/markdown``); the text is stored as typed either way."""
    emoji: bool = True
    """Show ``:smile:`` shortcodes as emoji."""
    bell: bool = True
    """Ring the terminal bell when someone mentions you (``/bell``)."""
    theme: str = DEFAULT_THEME
    """One of Textual's built-in themes (``/theme``, or the palette)."""
    compact: bool | None = None
    """One row per line of text (``/compact``); None: compact on small terminals only."""
    ticket: str | None = None
    """The SSH door's one-time ticket, for a client the server started: in memory only,
    never in a file or on the command line."""

    @property
    def image_port(self) -> int:
        """The image port to connect to."""
        return self.port_image if self.port_image is not None else self.port_recv + 1


class ConfigError(ValueError):
    """A config file cannot be used; the message names the file and the problem."""


def default_config_path() -> Path:
    """The user's hand-written config file, e.g. ``~/.config/tuichat/config.toml``."""
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "config.toml"


def state_path() -> Path:
    """Where the last-used values are kept, e.g. ``~/.local/state/tuichat/last.toml``."""
    return platformdirs.user_state_path(APP_NAME, appauthor=False) / "last.toml"


def load_settings(config: Path | None) -> Settings:
    """Defaults, overlaid by the remembered values, overlaid by the config file.

    ``config`` None means the default config file, which may be missing; a config file
    asked for by name must exist. A broken ``last.toml`` is ignored with a warning (it is
    ours, not the user's), and so is a remembered avatar that is gone.
    """
    try:
        remembered = _read_values(state_path(), REMEMBERED, missing_ok=True)
    except ConfigError as exc:
        log.warning("ignoring the remembered values: %s", exc)
        remembered = {}
    avatar = remembered.get("avatar")
    if isinstance(avatar, Path) and not avatar.is_file():
        del remembered["avatar"]
    path = config if config is not None else default_config_path()
    explicit = _read_values(path, KEYS, missing_ok=config is None)
    avatar = explicit.get("avatar")
    if isinstance(avatar, Path) and not avatar.is_file():
        raise ConfigError(f"{path}: avatar: no such file: {avatar}")
    return replace(Settings(), **(remembered | explicit))


def remember(settings: Settings) -> None:
    """Write the last-used values (never passwords) to ``last.toml``, atomically, mode 0600.

    Failing to remember is not worth a crash: it is logged as a warning.
    """
    path = state_path()
    try:
        write_private(path, _dump(_remembered_values(settings)).encode("utf-8"))
    except (OSError, UnicodeError) as exc:
        log.warning("could not remember the last-used values in %s: %s", path, exc)


def _read_values(path: Path, allowed: tuple[str, ...], *, missing_ok: bool) -> dict[str, Any]:
    """The checked values of one TOML file, as ``Settings`` fields."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in allowed:
            raise ConfigError(f"{path}: unknown key {key!r} (known: {', '.join(allowed)})")
        if key in PORT_KEYS:
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigError(f"{path}: {key} must be an integer, not {value!r}")
            if not 1 <= value <= 65_535:
                raise ConfigError(f"{path}: {key} = {value} is not a port (1 to 65535)")
        elif key in BOOL_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: {key} must be true or false, not {value!r}")
        elif not isinstance(value, str):
            raise ConfigError(f"{path}: {key} must be a string, not {value!r}")
        elif key == "timestamps" and value not in TIME_MODES:
            raise ConfigError(f"{path}: timestamps must be one of {', '.join(TIME_MODES)}, "
                              f"not {value!r}")
        elif key == "theme" and value not in THEMES:
            raise ConfigError(f"{path}: theme must be one of {', '.join(THEMES)}, "
                              f"not {value!r}")
        values[key] = path.parent / Path(value).expanduser() if key in PATH_KEYS else value
    return values


def _remembered_values(settings: Settings) -> dict[str, str | int | bool]:
    values: dict[str, str | int | bool | None] = {
        "name": settings.name,
        "host": settings.host,
        "port_send": settings.port_send,
        "port_recv": settings.port_recv,
        "port_image": settings.port_image,
        "avatar": str(settings.avatar.absolute()) if settings.avatar is not None else None,
        "tls": settings.tls,
        "tls_ca": str(settings.tls_ca.absolute()) if settings.tls_ca is not None else None,
        "timestamps": settings.timestamps,
        "markdown": settings.markdown,
        "emoji": settings.emoji,
        "bell": settings.bell,
        "theme": settings.theme,
        "compact": settings.compact,
    }
    return {key: value for key, value in values.items() if value is not None}


def _dump(values: dict[str, str | int | bool]) -> str:
    """A TOML document of one table of bare keys holding strings, integers and booleans."""
    lines = ["# Last-used values, written by tuichat. Settings go in config.toml instead."]
    for key, value in values.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str):
            text = f'"{value.translate(_TOML_ESCAPES)}"'
        else:
            text = str(value)
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"
