"""``tuichat-server``: options, logging, signals, and the exit code."""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.logging import RichHandler

from tuichat import __version__
from tuichat.net.frames import PROTOCOL_VERSION
from tuichat.net.rooms import normalize_room, room_problem
from tuichat.server.app import Server, StartupError
from tuichat.server.config import ServerConfig, default_data_dir
from tuichat.server.logs import queued_logging

log = logging.getLogger("tuichat.server")

PASSWORD_ENV = "TUICHAT_ADMIN_PASSWORD"
MIB = 1024 * 1024
_IRC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,62}")


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``tuichat-server``."""
    parser = argparse.ArgumentParser(
        prog="tuichat-server",
        description="The tuichat chat server: three TCP ports (send, recv, image), "
        "history on disk, admin commands typed by users with the admin password.",
    )
    add = parser.add_argument
    # Defaults come from ServerConfig, so the command line and the library cannot disagree.
    defaults = ServerConfig(data_dir=Path())
    add("--host", default=defaults.host, help="address to listen on (default: %(default)s)")
    add("--port-send", type=_port, default=defaults.port_send, metavar="PORT",
        help="port for the send channel (default: %(default)s)")
    add("--port-recv", type=_port, default=defaults.port_recv, metavar="PORT",
        help="port for the recv channel (default: %(default)s)")
    add("--port-image", type=_port, default=None, metavar="PORT",
        help="port for the image channel (default: recv port + 1)")
    add("--sde", action="store_true",
        help="allow remote shutdown with 'admin -sd' (off by default)")
    add("--data-dir", type=Path, default=None, metavar="DIR",
        help=f"history, saves, avatars and admin token (default: {default_data_dir()})")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--admin-password", metavar="PASSWORD",
                        help=f"admin password (also ${PASSWORD_ENV}; default: a random token "
                        "kept in DATA_DIR/admin.token)")
    secret.add_argument("--admin-password-file", type=Path, metavar="FILE",
                        help="read the admin password from the first line of FILE")
    add("--password", metavar="PASSWORD", help="join password every client must give")
    add("--motd", metavar="TEXT",
        help="message of the day, shown to everyone who joins; kept in DATA_DIR/motd.txt "
        "(admin -m changes it; '' removes it)")
    add("--max-clients", type=_positive_int, default=defaults.max_clients, metavar="N",
        help="most users at once (default: %(default)s)")
    tls = parser.add_argument_group("encryption")
    tls.add_argument("--tls", action="store_true",
                     help="wrap all three channels in TLS (TLS 1.2 or later)")
    tls.add_argument("--tls-cert", type=Path, metavar="PEM",
                     help="certificate chain (default with --tls: a self-signed certificate "
                     "made in DATA_DIR/tls on first start; its fingerprint is logged)")
    tls.add_argument("--tls-key", type=Path, metavar="PEM", help="private key of --tls-cert")
    limits = parser.add_argument_group("limits (0 means no limit)")
    limits.add_argument("--rate-burst", type=_non_negative_int, default=defaults.rate_burst,
                        metavar="N",
                        help="chat lines and commands a user may send at once "
                        "(default: %(default)s)")
    limits.add_argument("--rate-per-second", type=float, default=defaults.rate_per_second,
                        metavar="R",
                        help="sustained lines and commands per second (default: %(default)s)")
    limits.add_argument("--rate-abuse-limit", type=_non_negative_int,
                        default=defaults.rate_abuse_limit, metavar="N",
                        help="refused lines within a minute after which a user is "
                        "disconnected (default: %(default)s)")
    limits.add_argument("--auth-max-failures", type=_non_negative_int,
                        default=defaults.auth_max_failures, metavar="N",
                        help="wrong passwords for one name from one address before that "
                        "name is locked out there; 10 times as many under any names lock "
                        "out the address (default: %(default)s)")
    limits.add_argument("--auth-lockout", type=float, default=defaults.auth_lockout,
                        metavar="SECONDS",
                        help="how long a locked-out name or address waits "
                        "(default: %(default)s)")
    limits.add_argument("--auth-budget", type=_non_negative_float,
                        default=defaults.auth_budget, metavar="N",
                        help="wrong passwords of each kind checked per minute from all "
                        "addresses together, after a burst of ten minutes' worth; 0: no "
                        "such budget (default: %(default)s)")
    limits.add_argument("--setup-timeout", type=float, default=defaults.setup_timeout,
                        metavar="SECONDS",
                        help="time a connection has to say hello or attach "
                        "(default: %(default)s)")
    limits.add_argument("--max-per-address", type=_non_negative_int,
                        default=defaults.max_per_address, metavar="N",
                        help="open connections from one address, 3 per user "
                        "(default: %(default)s)")
    limits.add_argument("--max-connections", type=_non_negative_int,
                        default=defaults.max_connections,
                        metavar="N", help="open connections in total (default: %(default)s)")
    limits.add_argument("--max-handshakes-per-address", type=_non_negative_int,
                        default=defaults.max_handshakes_per_address, metavar="N",
                        help="TLS handshakes under way from one address; more connections "
                        "are closed at once (default: %(default)s)")
    limits.add_argument("--max-handshakes", type=_non_negative_int,
                        default=defaults.max_handshakes, metavar="N",
                        help="TLS handshakes under way in all (default: %(default)s)")
    limits.add_argument("--max-queued-mb", type=_non_negative_int,
                        default=defaults.max_queued_bytes // MIB, metavar="MB",
                        help="output waiting for all clients together; beyond it those "
                        "holding the most are cut off (default: %(default)s)")
    limits.add_argument("--avatar-store-mb", type=_non_negative_int,
                        default=defaults.avatar_store_limit // MIB, metavar="MB",
                        help="size of the avatar store; least recently used dropped beyond "
                        "it (default: %(default)s)")
    rooms = parser.add_argument_group("rooms")
    rooms.add_argument("--default-room", type=_room, default=defaults.default_room,
                       metavar="#NAME", help="the room everyone joins on arrival "
                       "(default: %(default)s)")
    rooms.add_argument("--rooms", choices=["open", "admin"], default=defaults.room_creation,
                       help="who may make a room by joining it (default: %(default)s)")
    rooms.add_argument("--topics", choices=["open", "admin"], default=defaults.topic_setting,
                       help="who may set a room's topic: any member, or admins "
                       "(default: %(default)s)")
    limits.add_argument("--max-rooms", type=_non_negative_int, default=defaults.max_rooms,
                        metavar="N", help="rooms in all (default: %(default)s)")
    limits.add_argument("--max-rooms-per-user", type=_non_negative_int,
                        default=defaults.max_rooms_per_user, metavar="N",
                        help="rooms one user may be in at once (default: %(default)s)")
    limits.add_argument("--max-room-members", type=_non_negative_int,
                        default=defaults.max_room_members, metavar="N",
                        help="members of one room (default: %(default)s)")
    doors = parser.add_argument_group("more ways in")
    doors.add_argument("--ssh-port", type=_port, default=None, metavar="PORT",
                       help="serve the chat over SSH on PORT: ssh -p PORT NAME@HOST")
    doors.add_argument("--ssh-keys-only", action="store_true",
                       help="refuse SSH logins without a public key")
    doors.add_argument("--admin-keys", type=Path, default=None, metavar="FILE",
                       help="authorized_keys file of SSH keys that are admins on joining")
    doors.add_argument("--web-port", type=_port, default=None, metavar="PORT",
                       help="serve the client in a browser on PORT")
    doors.add_argument("--web-trust-proxy", action="store_true",
                       help="the browser door is behind your reverse proxy: take a browser's "
                       "address from the last X-Forwarded-For entry")
    doors.add_argument("--irc-port", type=_port, default=None, metavar="PORT",
                       help="serve the chat to IRC clients on PORT (rooms are channels)")
    doors.add_argument("--irc-tls-port", type=_port, default=None, metavar="PORT",
                       help="serve the IRC door over TLS on PORT (needs --tls)")
    doors.add_argument("--irc-name", default=None, metavar="NAME",
                       help="the server's name on IRC (default: the host name)")
    add("--console-avatar", type=Path, metavar="PNG",
        help="avatar of Console, the server's voice (default: the shipped Cons.png)")
    add("--log-level", default="info", choices=["debug", "info", "warning", "error"],
        help="'debug' also logs every frame (default: %(default)s)")
    add("--version", action="version",
        version=f"tuichat-server {__version__} (protocol {PROTOCOL_VERSION})")
    # Knobs for tests and operators who know why; not shown in --help.
    add("--ping-interval", type=float, default=defaults.ping_interval, help=argparse.SUPPRESS)
    add("--ping-timeout", type=float, default=defaults.ping_timeout, help=argparse.SUPPRESS)
    add("--countdown-step", type=float, default=defaults.countdown_step, help=argparse.SUPPRESS)
    return parser


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """Turn parsed options (and the environment) into a ServerConfig."""
    admin_password = args.admin_password or os.environ.get(PASSWORD_ENV) or None
    if args.admin_password_file is not None:
        try:
            text = args.admin_password_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise StartupError(
                f"cannot read the admin password file {args.admin_password_file}: "
                f"{exc.strerror}"
            ) from None
        admin_password = text.splitlines()[0].strip() if text.strip() else None
        if admin_password is None:
            raise StartupError(f"the admin password file {args.admin_password_file} is empty")
    config = ServerConfig(
        host=args.host,
        port_send=args.port_send,
        port_recv=args.port_recv,
        port_image=args.port_image,
        sde=args.sde,
        admin_password=admin_password,
        password=args.password,
        max_clients=args.max_clients,
        ping_interval=args.ping_interval,
        ping_timeout=args.ping_timeout,
        countdown_step=args.countdown_step,
        console_avatar=args.console_avatar,
        motd=args.motd,
        tls=args.tls,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        rate_burst=args.rate_burst,
        rate_per_second=args.rate_per_second,
        rate_abuse_limit=args.rate_abuse_limit,
        auth_max_failures=args.auth_max_failures,
        auth_lockout=args.auth_lockout,
        auth_budget=args.auth_budget,
        setup_timeout=args.setup_timeout,
        max_per_address=args.max_per_address,
        max_connections=args.max_connections,
        max_handshakes_per_address=args.max_handshakes_per_address,
        max_handshakes=args.max_handshakes,
        max_queued_bytes=args.max_queued_mb * MIB,
        avatar_store_limit=args.avatar_store_mb * MIB,
        default_room=args.default_room,
        room_creation=args.rooms,
        topic_setting=args.topics,
        max_rooms=args.max_rooms,
        max_rooms_per_user=args.max_rooms_per_user,
        max_room_members=args.max_room_members,
        ssh_port=args.ssh_port,
        ssh_keys_only=args.ssh_keys_only,
        admin_keys=args.admin_keys,
        web_port=args.web_port,
        web_trust_proxy=args.web_trust_proxy,
        irc_port=args.irc_port,
        irc_tls_port=args.irc_tls_port,
        irc_name=args.irc_name,
    )
    if (args.tls_cert is None) != (args.tls_key is None):
        raise StartupError("--tls-cert and --tls-key go together")
    if args.irc_tls_port is not None and not args.tls:
        raise StartupError("--irc-tls-port needs --tls")
    if args.irc_name is not None and not _IRC_NAME.fullmatch(args.irc_name):
        raise StartupError("--irc-name is a host name: letters, digits, '.' and '-'")
    if args.tls_cert is not None and not args.tls:
        raise StartupError("--tls-cert and --tls-key need --tls")
    if args.data_dir is not None:
        config.data_dir = args.data_dir
    return config


def log_handler() -> logging.Handler:
    """Rich logging to stderr: the handler the log queue's listener writes through."""
    handler = RichHandler(
        console=Console(stderr=True), show_path=False, rich_tracebacks=True, markup=False
    )
    handler.setFormatter(logging.Formatter("%(message)s", datefmt="[%X]"))
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until a signal or ``admin -sd``; 0 on a clean stop."""
    args = build_parser().parse_args(argv)
    # Configured once, here: records go through a queue, so the loop never waits on the
    # terminal; leaving the block writes whatever is still queued.
    with queued_logging(log_handler(), args.log_level):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Start the server, wait for a signal or ``admin -sd``, return the exit code."""
    try:
        config = config_from_args(args)
        server = Server(config)
        server.start()
    except StartupError as exc:
        print(f"tuichat-server: {exc}", file=sys.stderr)
        return 2
    _log_banner(server)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: shutting down", signal.Signals(signum).name)
        server.stop("The server is shutting down.")

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not server.wait(0.5):
        pass
    return server.exit_code


def _log_banner(server: Server) -> None:
    config, ports = server.config, server.ports
    log.info("tuichat-server %s, protocol %d", __version__, PROTOCOL_VERSION)
    log.info("data dir: %s", config.data_dir)
    log.info("admin password: %s", server.admin_password_source)
    log.info(
        "remote shutdown (admin -sd): %s; join password: %s; max clients: %d",
        "on" if config.sde else "off",
        "required" if config.password else "none",
        config.max_clients,
    )
    if server.chat is not None:
        hub = server.chat.hub
        log.info("default room: %s; message of the day: %s; bans: %d", hub.lobby.name,
                 "set" if hub.lobby.motd else "none", len(server.chat.bans.active()))
    if server.tls_fingerprint is not None:
        log.info("TLS on all three channels; certificate fingerprint %s",
                 server.tls_fingerprint)
    log.info("listening on %s: send %d, recv %d, image %d",
             config.host, ports.send, ports.recv, ports.image)


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65_535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0 to 65535)")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _room(text: str) -> str:
    """A room name from the command line, in its kept form."""
    name = normalize_room(text)
    problem = room_problem(name)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return name


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} must be 0 (no limit) or more")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} must be 0 (no limit) or more")
    return value


if __name__ == "__main__":
    sys.exit(main())
