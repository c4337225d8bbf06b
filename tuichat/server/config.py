"""Everything the server can be told, with defaults that work on one machine."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from tuichat.files import write_private
from tuichat.net.frames import DEFAULT_PORT_RECV, DEFAULT_PORT_SEND, text_problem
from tuichat.net.rooms import DEFAULT_ROOM

log = logging.getLogger("tuichat.server")

ADMIN_TOKEN_FILE = "admin.token"


def default_data_dir() -> Path:
    """The platform's user data directory for tuichat."""
    return platformdirs.user_data_path("tuichat", appauthor=False)


@dataclass
class ServerConfig:
    """Settings of one server; ports of 0 ask the system for free ones (tests)."""

    host: str = "0.0.0.0"
    port_send: int = DEFAULT_PORT_SEND
    port_recv: int = DEFAULT_PORT_RECV
    port_image: int | None = None
    """None means recv + 1 (or any free port when recv is 0)."""
    data_dir: Path = field(default_factory=default_data_dir)
    sde: bool = False
    """Whether ``admin -sd`` may shut the server down."""
    admin_password: str | None = None
    """None: a random token kept in ``<data_dir>/admin.token``."""
    password: str | None = None
    """The join password every ``hello`` must carry, if set."""
    max_clients: int = 1_000
    queue_limit: int = 4 * 1024 * 1024
    """Bytes a client may have waiting to be sent before it is cut off."""
    max_queued_bytes: int = 256 * 1024 * 1024
    """Bytes waiting to be sent to all clients together; beyond it the clients holding the
    most are cut off (issue 12); 0: no limit."""
    replay_limit: int = 2 * 1024 * 1024
    """Bytes of history sent at most on joining."""
    ping_interval: float = 30.0
    ping_timeout: float = 90.0
    countdown_step: float = 1.0
    """Seconds per step of the ``admin -sd`` countdown (shortened in tests)."""
    console_avatar: Path | None = None
    motd: str | None = None
    """The message of the day, stored in ``<data_dir>/motd.txt`` at start; None: keep the
    stored one (if any); empty: none (the stored one is removed)."""
    # -- encryption (issue 4) --
    tls: bool = False
    """Wrap all three channels in TLS."""
    tls_cert: Path | None = None
    tls_key: Path | None = None
    """With ``tls`` and no cert/key: a self-signed certificate made in the data dir."""
    # -- flood control and resource limits (issue 4); 0 means "no limit" where it applies --
    rate_burst: int = 10
    """``say``/``command`` frames a session may send at once (token bucket size)."""
    rate_per_second: float = 5.0
    """How fast the bucket refills."""
    rate_abuse_limit: int = 50
    """Refused frames within a minute after which the session is disconnected."""
    setup_timeout: float = 10.0
    """Seconds a connection has to send hello/attach; a half-attached session expires too."""
    max_per_address: int = 64
    """Open connections from one address (3 per user); 0: no limit."""
    max_connections: int = 3_100
    """Open connections in total; 0: no limit."""
    max_handshakes_per_address: int = 32
    """TLS handshakes under way from one address; more connections are closed at once."""
    max_handshakes: int = 256
    """TLS handshakes under way in all; more connections are closed at once."""
    auth_max_failures: int = 5
    """Wrong join/admin passwords for one name from one address before that name is refused
    there for a while; ``limits.ADDRESS_FACTOR`` times as many, under any names, refuse the
    whole address."""
    auth_lockout: float = 600.0
    """Seconds a name (or an address) is refused after too many wrong passwords."""
    auth_budget: float = 10.0
    """Wrong passwords of each kind (join, admin) checked per minute from all addresses
    together, after a burst of ten minutes' worth; 0: no such budget."""
    avatar_store_limit: int = 256 * 1024 * 1024
    """Bytes of stored avatars; the least recently used are dropped beyond it."""
    # -- rooms (issue 13) --
    default_room: str = DEFAULT_ROOM
    """The room everyone is put in on arrival; its history is ``history.sqlite3``."""
    room_creation: str = "open"
    """Who may make a room by joining it: ``open`` (anyone) or ``admin``."""
    topic_setting: str = "open"
    """Who may set a room's topic: ``open`` (any member) or ``admin``."""
    max_rooms: int = 100
    """Rooms in all, the default room included; 0: no limit."""
    max_rooms_per_user: int = 20
    """Rooms one user may be in at once, the default room included; 0: no limit."""
    max_room_members: int = 0
    """Members of one room; 0: no limit beyond ``max_clients``."""
    # -- the SSH and browser doors (issue 14) --
    ssh_port: int | None = None
    """Serve the SSH door on this port (0: any free port, for tests); None: no SSH door."""
    ssh_keys_only: bool = False
    """Refuse SSH logins without a public key."""
    admin_keys: Path | None = None
    """An authorized_keys file: SSH logins with these keys are admins on joining."""
    web_port: int | None = None
    """Serve the browser door on this port (0: any free port); None: no browser door."""
    web_trust_proxy: bool = False
    """The browser door is behind a proxy of ours: a browser's address is the last one of
    ``X-Forwarded-For`` (else its connection's, as any other door's)."""
    # -- the IRC door (issue 15) --
    irc_port: int | None = None
    """Serve the IRC door on this port (0: any free port); None: no IRC door."""
    irc_tls_port: int | None = None
    """Serve the IRC door over TLS on this port (needs ``tls``); None: not over TLS."""
    irc_name: str | None = None
    """The server's name on IRC (``PONG``, numerics' source); None: the host name."""

    @property
    def image_port(self) -> int:
        """The image port actually asked for."""
        if self.port_image is not None:
            return self.port_image
        return self.port_recv + 1 if self.port_recv else 0

    @property
    def history_path(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def rooms_dir(self) -> Path:
        """Where the histories of rooms other than the default room are kept."""
        return self.data_dir / "rooms"

    @property
    def ssh_dir(self) -> Path:
        """The SSH door's host key and the names claimed by keys."""
        return self.data_dir / "ssh"

    @property
    def saves_dir(self) -> Path:
        return self.data_dir / "saves"

    @property
    def tls_dir(self) -> Path:
        return self.data_dir / "tls"

    @property
    def avatars_dir(self) -> Path:
        return self.data_dir / "avatars"

    @property
    def admin_token_path(self) -> Path:
        return self.data_dir / ADMIN_TOKEN_FILE

    @property
    def motd_path(self) -> Path:
        return self.data_dir / "motd.txt"

    @property
    def bans_path(self) -> Path:
        return self.data_dir / "bans.json"


def ensure_admin_password(config: ServerConfig) -> tuple[str, str]:
    """The admin password in force and where it came from, for the start-up log.

    Without a configured password the token in ``admin.token`` (mode 0600) is used, made
    at random on the first start. The token itself is never logged.
    """
    if config.admin_password:
        return config.admin_password, "given on the command line or in the environment"
    path = config.admin_token_path
    if path.exists() and not path.is_symlink():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            path.chmod(0o600)
            return token, f"the token in {path}"
    token = secrets.token_urlsafe(24)
    write_private(path, (token + "\n").encode())
    return token, f"a new random token written to {path}"


def initial_motd(config: ServerConfig) -> str | None:
    """The message of the day at start: ``config.motd`` (stored, so it outlasts the run;
    ValueError when it breaks the text rules), else the stored one (ignored, with a
    warning, when it breaks them)."""
    path = config.motd_path
    if config.motd is not None:
        problem = text_problem(config.motd) if config.motd else None
        if problem is not None:
            raise ValueError(f"the message of the day (--motd): {problem}")
        store_motd(path, config.motd or None)
        return config.motd or None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring the message of the day in %s: %s", path, exc)
        return None
    problem = text_problem(text)
    if problem is not None:
        log.warning("ignoring the message of the day in %s: %s", path, problem)
        return None
    return text


def store_motd(path: Path, text: str | None) -> None:
    """Keep ``text`` as the message of the day in ``path`` (mode 0600), or remove it."""
    if text is None:
        path.unlink(missing_ok=True)
    else:
        write_private(path, text.encode())
