"""``tuichat``: options, config and remembered values, ``--serve``, then the Textual app;
and ``run_served``, the same app as the server's SSH door runs it for one session."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tuichat import __version__
from tuichat.net.frames import PROTOCOL_VERSION
from tuichat.net.names import name_problem, normalize_name
from tuichat.server.config import default_data_dir
from tuichat.tui.settings import (
    ConfigError,
    Settings,
    default_config_path,
    load_settings,
    remember,
    state_path,
)

if TYPE_CHECKING:
    from tuichat.tui.hosting import HostedServer

PASSWORD_ENV = "TUICHAT_PASSWORD"
ADMIN_PASSWORD_ENV = "TUICHAT_ADMIN_PASSWORD"
DEFAULT_LISTEN = "127.0.0.1"
_SERVE_ONLY = {"listen": "--listen", "sde": "--sde", "data_dir": "--data-dir"}


class UsageError(Exception):
    """A command-line value that cannot be used; one line to show."""


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``tuichat``."""
    parser = argparse.ArgumentParser(
        prog="tuichat",
        description="The tuichat chat client. Without --name it opens a connect screen "
        "filled in from the command line, the config file and the values used last time.",
        epilog=f"Values are taken from the command line, then ${PASSWORD_ENV} and "
        f"${ADMIN_PASSWORD_ENV}, then the config file, then the values remembered in "
        f"{state_path()}.",
    )
    add = parser.add_argument
    add("--name", help="join at once under this name (else the connect screen opens)")
    add("--host", help="server address (default: 127.0.0.1)")
    add("--port-send", type=port, metavar="PORT", help="server's send port (default: 49153)")
    add("--port-recv", type=port, metavar="PORT", help="server's recv port (default: 49154)")
    add("--port-image", type=port, metavar="PORT",
        help="server's image port (default: recv port + 1)")
    add("--avatar", type=Path, metavar="PATH", help="your profile picture (an image file)")
    add("--password", metavar="PASSWORD",
        help=f"the server's join password, if it has one (also ${PASSWORD_ENV})")
    add("--admin-password", metavar="PASSWORD",
        help=f"become admin on joining (also ${ADMIN_PASSWORD_ENV})")
    add("--tls", action="store_true", default=None,
        help="speak TLS to the server (with --serve: the hosted server speaks TLS too)")
    add("--tls-ca", type=Path, metavar="PEM",
        help="trust certificates signed by this CA (default: the system's CAs; a "
        "self-signed server is trusted on first use, like SSH)")
    add("--config", type=Path, metavar="PATH",
        help=f"config file in TOML (default: {default_config_path()})")
    add("--no-remember", action="store_true",
        help="do not save the name, host, ports and avatar used for next time")
    serve = parser.add_argument_group("hosting (--serve)")
    serve.add_argument("--serve", action="store_true",
                       help="run a tuichat server inside this program and join it; it "
                       "stops when you quit, and you are its admin")
    serve.add_argument("--listen", metavar="ADDR",
                       help=f"address the hosted server listens on (default: {DEFAULT_LISTEN}; "
                       "0.0.0.0 lets other machines join)")
    serve.add_argument("--sde", action="store_true",
                       help="let an admin shut the hosted server down with 'admin -sd'")
    serve.add_argument("--data-dir", type=Path, metavar="DIR",
                       help="the hosted server's history, avatars, admin token and "
                       f"server.log (default: {default_data_dir()})")
    guest = parser.add_argument_group("browser door (--guest)")
    guest.add_argument("--guest", action="store_true",
                       help="the client the server's browser door runs: the connect screen "
                       "with --host and the ports fixed; no config file, nothing remembered")
    guest.add_argument("--tls-pin", metavar="FINGERPRINT",
                       help="with --guest --tls: trust the server's certificate of this "
                       "SHA-256 fingerprint without asking")
    add("--version", action="version",
        version=f"tuichat {__version__} (protocol {PROTOCOL_VERSION})")
    return parser


def settings_from_args(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[Settings, bool]:
    """The settings to start with, and whether to connect at once (``--name`` given).

    Command line beats environment beats config file beats remembered values beats
    defaults. Raises ConfigError or UsageError.
    """
    settings = load_settings(args.config)
    for key in ("host", "port_send", "port_recv", "port_image", "avatar", "tls", "tls_ca"):
        if getattr(args, key) is not None:
            setattr(settings, key, getattr(args, key))
    if args.avatar is not None and not args.avatar.is_file():
        raise UsageError(f"--avatar: no such file: {args.avatar}")
    if args.tls_ca is not None:
        if not args.tls_ca.is_file():
            raise UsageError(f"--tls-ca: no such file: {args.tls_ca}")
        settings.tls = True
    settings.password = args.password or env.get(PASSWORD_ENV) or settings.password
    settings.admin_password = (
        args.admin_password or env.get(ADMIN_PASSWORD_ENV) or settings.admin_password
    )
    if args.name is not None:
        settings.name = normalize_name(args.name)
        problem = name_problem(settings.name)
        if problem:
            raise UsageError(f"bad --name: {problem}")
    elif not settings.name:
        settings.name = default_name()
    return settings, args.name is not None


def default_name() -> str:
    """The login name if it is a valid chat name, else ""."""
    try:
        name = normalize_name(getpass.getuser())
    except (OSError, KeyError):  # no login name in the environment or the password file
        return ""
    return "" if name_problem(name) else name


def main(argv: list[str] | None = None) -> int:
    """Start the client (and with ``--serve`` a server); the app's exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.serve:
        for key, option in _SERVE_ONLY.items():
            if getattr(args, key) not in (None, False):
                parser.error(f"{option} only goes with --serve")
    if args.tls_pin is not None and not args.guest:
        parser.error("--tls-pin only goes with --guest")
    if args.guest:
        if args.serve or args.name is not None:
            parser.error("--guest goes with neither --serve nor --name")
        from tuichat.tui.guest import run_guest

        return run_guest(args)
    try:
        settings, connect_now = settings_from_args(args, os.environ)
    except (ConfigError, UsageError) as exc:
        return _fail(exc, 2)
    from tuichat.tui.app import TuichatApp  # only now: the app is a heavy import

    hosted: HostedServer | None = None
    if args.serve:
        from tuichat.tui.hosting import HostingError, host_server  # the server, only now

        try:
            hosted = host_server(settings, args.listen or DEFAULT_LISTEN, args.sde,
                                 args.data_dir)
        except HostingError as exc:
            return _fail(exc, 1)
    try:
        app = TuichatApp(settings, connect_now=connect_now, hosted=hosted)
        code = app.run()
    except KeyboardInterrupt:
        return 130
    finally:
        if hosted is not None:
            hosted.stop()
    if not args.no_remember and app.connected_once:
        remember(app.settings)
    return code or 0


def run_served(name: str, host: str, ports: tuple[int, int, int], ticket: str,
               tls_fingerprint: str | None, home: Path, avatar_cache: Path,
               picture: Path | None = None, turns: Path | None = None) -> int:
    """Join ``host`` at once as ``name`` with the SSH door's ``ticket`` (send, recv and
    image ``ports``) and run the app until the session ends; its exit code.

    No connect screen, no config file read, nothing remembered: the app's own files
    (known hosts, the ignore list) live in ``home``, which the caller removes after.
    With TLS the server's certificate is pinned (``tls_fingerprint``), so nobody is
    asked to trust it; ``avatar_cache`` is shared by every session the door runs;
    ``picture``: the user's picture (set with ``ssh … avatar``), else their identicon;
    ``turns``: where the sessions' turns at drawing are kept (``render_turns``). The
    client starts at the server's priority (a new user waits for nobody's redraws) and
    runs below it once its chat screen is drawn."""
    from tuichat.net.tls import KnownHosts
    from tuichat.priority import run_below_server
    from tuichat.tui.app import TuichatApp
    from tuichat.tui.avatars import AvatarDiskCache
    from tuichat.tui.render_turns import RenderTurns

    send, recv, image = ports
    settings = Settings(name=name, host=host, port_send=send, port_recv=recv,
                        port_image=image, tls=tls_fingerprint is not None, ticket=ticket,
                        avatar=picture)
    known = KnownHosts(home / "known_hosts")
    if tls_fingerprint is not None:
        known.pin(host, recv, tls_fingerprint)
    app = TuichatApp(settings, connect_now=True, avatar_cache=AvatarDiskCache(avatar_cache),
                     cwd=home, known_hosts=known, ignore_file=home / "ignored.json",
                     served=True, render_turns=RenderTurns(turns) if turns else None,
                     on_shown=run_below_server)
    return app.run() or 0


def port(text: str) -> int:
    """A TCP port from the command line (1 to 65535)."""
    value = int(text)
    if not 1 <= value <= 65_535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1 to 65535)")
    return value


def _fail(exc: Exception, code: int) -> int:
    print(f"tuichat: {exc}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
