"""Wiring: listeners, the rooms' stores, avatars, the chat, its native door and the
reactor, started and stopped as one."""

from __future__ import annotations

import contextlib
import logging
import resource
import selectors
import socket
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from tuichat.net.frames import Channel
from tuichat.server.avatars import AvatarStore, console_avatar
from tuichat.server.bans import BanList
from tuichat.server.config import ServerConfig, ensure_admin_password, initial_motd
from tuichat.server.core.chat import Chat
from tuichat.server.doors.irc.door import IrcDoor
from tuichat.server.doors.native.door import NativeDoor
from tuichat.server.doors.ssh.claims import Claims
from tuichat.server.doors.ssh.door import SshDoor
from tuichat.server.doors.ssh.terminals import WILDCARDS, Terminals
from tuichat.server.doors.web.door import NativeTarget, WebDoor, door_for
from tuichat.server.doors.web.vouchers import Vouchers
from tuichat.server.reactor import Reactor
from tuichat.server.store.room_stores import RoomStores
from tuichat.server.store.saves import SaveDir
from tuichat.server.tls import server_context
from tuichat.server.workers import Workers

log = logging.getLogger("tuichat.server")

LISTEN_BACKLOG = 1024
ACCEPTS_PER_EVENT = 16
"""Connections taken per listener per loop pass: a connection flood waits in the kernel's
backlog instead of filling a pass (256 here let a ClientHello flood push a chatting
client's p99 to 208 ms; 16 kept it near 30 ms)."""
SHUTDOWN_GRACE = 2.0
"""Seconds the server waits for clients to read ``shutdown`` before it closes them."""


class StartupError(Exception):
    """The server cannot start (a port in use, an unreadable data dir); one line to show."""


@dataclass(frozen=True)
class Ports:
    """The ports the server actually listens on."""

    send: int
    recv: int
    image: int
    ssh: int | None = None
    """The SSH door's port, when it is on."""
    web: int | None = None
    """The browser door's port, when it runs."""
    irc: int | None = None
    """The IRC door's port, when it is on."""
    irc_tls: int | None = None
    """The IRC door's TLS port, when it is on."""


class Server:
    """A running tuichat server. ``start`` returns once it listens; ``wait`` until it ends."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.reactor = Reactor()
        self._listeners: dict[Channel, socket.socket] = {}
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tuichat-check")
        self._stopped = threading.Event()
        self._stopping = False
        self.exit_code = 0
        self.admin_password_source = ""
        self.chat: Chat | None = None
        self.door: NativeDoor | None = None
        self.ssh: SshDoor | None = None
        self.stores: RoomStores | None = None
        self.avatars: AvatarStore | None = None
        self.tls_fingerprint: str | None = None
        """The SHA-256 fingerprint of the TLS certificate (after ``start`` with TLS)."""
        self.web: WebDoor | None = None
        """The browser door (after ``start`` with ``web_port``)."""
        self.irc: IrcDoor | None = None
        """The IRC door (after ``start`` with ``irc_port``)."""
        self._irc_listener: socket.socket | None = None
        self._irc_tls_listener: socket.socket | None = None

    @property
    def ports(self) -> Ports:
        """Where the server listens (after ``start``)."""
        ssh = self.ssh.port if self.ssh is not None else None
        web = self.web.port if self.web is not None else None
        irc, irc_tls = (listener.getsockname()[1] if listener is not None else None
                        for listener in (self._irc_listener, self._irc_tls_listener))
        send, recv, image = (self._listeners[c].getsockname()[1] for c in Channel)
        return Ports(send, recv, image, ssh=ssh, web=web, irc=irc, irc_tls=irc_tls)

    def start(self) -> None:
        """Bind the three ports, open the stores, and run the loop in its own thread."""
        config = self.config
        raise_open_file_limit()
        self._bind()
        try:
            config.data_dir.mkdir(parents=True, exist_ok=True)
            admin_password, self.admin_password_source = ensure_admin_password(config)
            tls: ssl.SSLContext | None = None
            if config.tls:
                tls, self.tls_fingerprint = server_context(config)
            avatars = AvatarStore(config.avatars_dir, config.avatar_store_limit)
            console_sha = avatars.put(console_avatar(config.console_avatar))
            motd = initial_motd(config)
            self.stores = stores = RoomStores.from_config(config)
            stores.open(config.default_room)
            if config.web_port is not None:
                self.web = self._web_door(config.web_port, tls)
        except Exception as exc:
            self._close_listeners()
            raise StartupError(str(exc)) from exc
        self.avatars = avatars
        self.reactor.before_flush.append(stores.commit)
        workers = Workers(self.reactor, self._executor)
        claims = Claims(config.ssh_dir / "claims.json")
        self.chat = Chat(
            config, stores, workers, bans=BanList(config.bans_path),
            saves=SaveDir(config.saves_dir, config.default_room), console_avatar=console_sha,
            admin_password=admin_password, motd=motd, stop=self._shut_down_from_admin,
            claims=claims,
        )
        self.door = NativeDoor(config, self.reactor, self.chat, workers, avatars, console_sha,
                               tls)
        for channel, listener in self._listeners.items():
            self.reactor.register(
                listener, selectors.EVENT_READ, partial(self._accept, channel, listener)
            )
        if self._irc_listener is not None or self._irc_tls_listener is not None:
            self.irc = IrcDoor(config, self.chat, self.reactor,
                               config.irc_name or socket.gethostname(), tls)
        for irc_listener, encrypted in ((self._irc_listener, False),
                                        (self._irc_tls_listener, True)):
            if irc_listener is not None:
                self.reactor.register(irc_listener, selectors.EVENT_READ,
                                      partial(self._accept_irc, irc_listener, encrypted))
        if config.ssh_port is not None:
            native = self.ports
            terminals = Terminals(config, self.chat, self.reactor,
                                  (native.send, native.recv, native.image), self.tls_fingerprint)
            self.ssh = SshDoor(config, self.chat, self.reactor, terminals, claims=claims,
                               avatars=avatars)
            try:
                self.ssh.start()
            except Exception as exc:
                self.ssh.stop()
                self._close_listeners()
                stores.close()
                raise StartupError(f"cannot start the SSH door: {exc}") from exc
        tick = min(1.0, config.ping_interval / 4, config.ping_timeout / 4)
        self._schedule_tick(tick)
        thread = self.reactor.start()
        threading.Thread(target=self._finish_when_done, args=(thread,), daemon=True).start()
        if self.web is not None:
            self.web.start(Vouchers(self.chat, self.reactor))

    def stop(self, text: str = "The server is shutting down.") -> None:
        """Tell every client ``shutdown``, close everything, flush history (any thread)."""
        self.reactor.call_soon_threadsafe(lambda: self._begin_stop(text))

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server has stopped; False on time-out."""
        return self._stopped.wait(timeout)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        self.wait(10)

    # -- internals -------------------------------------------------------------------------

    def _bind(self) -> None:
        config = self.config
        wanted = {
            Channel.SEND: config.port_send,
            Channel.RECV: config.port_recv,
            Channel.IMAGE: config.image_port,
        }
        for channel, port in wanted.items():
            self._listeners[channel] = self._listen(port, f"{channel} channel")
        if config.irc_port is not None:
            self._irc_listener = self._listen(config.irc_port, "IRC door")
        if config.irc_tls_port is not None and config.tls:
            self._irc_tls_listener = self._listen(config.irc_tls_port, "IRC door over TLS")

    def _listen(self, port: int, what: str) -> socket.socket:
        """A non-blocking listener on ``port``; StartupError (all closed) if it cannot be."""
        host = self.config.host
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            listener = socket.socket(infos[0][0], socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(infos[0][4])
            listener.listen(LISTEN_BACKLOG)
            listener.setblocking(False)
        except OSError as exc:
            self._close_listeners()
            reason = exc.strerror or str(exc)
            raise StartupError(f"cannot listen on {host} port {port} ({what}): {reason}") from None
        return listener

    def _web_door(self, port: int, tls: ssl.SSLContext | None) -> WebDoor:
        """The browser door, bound (its sessions join the native door on loopback)."""
        config, ports = self.config, self.ports
        target = NativeTarget(WILDCARDS.get(config.host, config.host), ports.send, ports.recv,
                              ports.image, self.tls_fingerprint)
        try:
            return door_for(config.host, port, target, tls, config.max_clients,
                            config.max_per_address, config.web_trust_proxy)
        except OSError as exc:
            raise StartupError(f"cannot listen on {config.host} port {port} (browser door): "
                               f"{exc.strerror or exc}") from None

    def _close_listeners(self) -> None:
        listeners = list(self._listeners.values())
        listeners += [listener for listener in (self._irc_listener, self._irc_tls_listener)
                      if listener is not None]
        for listener in listeners:
            self.reactor.unregister(listener)
            listener.close()

    def _accept(self, channel: Channel, listener: socket.socket, _events: int) -> None:
        assert self.door is not None
        for _ in range(ACCEPTS_PER_EVENT):
            try:
                sock, _address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("accept on the %s port failed: %s", channel, exc)
                return
            if self._stopping:
                sock.close()
                continue
            self.door.accept(sock, channel)

    def _accept_irc(self, listener: socket.socket, tls: bool, _events: int) -> None:
        assert self.irc is not None
        for _ in range(ACCEPTS_PER_EVENT):
            try:
                sock, _address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("accept on the IRC port failed: %s", exc)
                return
            if self._stopping:
                sock.close()
                continue
            self.irc.accept(sock, tls=tls)

    def _schedule_tick(self, interval: float) -> None:
        def tick() -> None:
            assert self.door is not None
            self.door.tick()
            if self.irc is not None:
                self.irc.tick()
            self.reactor.call_later(interval, tick)

        self.reactor.call_later(interval, tick)

    def _shut_down_from_admin(self, text: str) -> None:
        log.info("shutting down on an admin's request")
        self._begin_stop(text)

    def _begin_stop(self, text: str) -> None:
        if self._stopping:
            return
        self._stopping = True
        assert self.chat is not None and self.door is not None
        self._close_listeners()
        self.chat.close(text)
        self.door.close_everyone()
        self._wait_for_flush(SHUTDOWN_GRACE)

    def _wait_for_flush(self, remaining: float) -> None:
        """Stop the loop once every client has its last bytes, or the grace time is up."""
        assert self.door is not None
        self.door.tick()
        if self.door.open_peers == 0 or remaining <= 0:
            self.door.abort_all()
            if self.irc is not None:
                self.irc.close_everyone()
            self.reactor.stop()
            return
        self.reactor.call_later(0.05, lambda: self._wait_for_flush(remaining - 0.05))

    def _finish_when_done(self, thread: threading.Thread) -> None:
        thread.join()
        if self.ssh is not None:
            self.ssh.stop()
        if self.web is not None:
            self.web.stop()
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self.stores is not None:
            self.stores.close()
        log.info("server stopped; history is on disk")
        self._stopped.set()


def raise_open_file_limit() -> int:
    """Raise the soft open-file limit to the hard one; 1,000 clients need 3,000 sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65_536)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return target
    return soft
