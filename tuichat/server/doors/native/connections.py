"""The door's open connections: how many per address and in all, and the set-up clock.

Every accepted connection is counted with the host it comes from until it closes; one
over ``max_per_address`` or ``max_connections`` is refused with ``server_full``. A
connection that sends no ``hello`` or ``attach`` within ``setup_timeout`` is closed.
Both are logged as one line a second (``logs.Tally``), however many there are.

The SSH door's clients connect from this machine (loopback) with a ticket: each session
is moved (``rehome``) to the SSH user's key (or, without one, address) once its
connections are bound to it, as the SSH door counts its logins,
and until then a local address may hold ``SESSION_CONNECTIONS`` more connections for each
ticket recently issued (``allowance``), so a hundred SSH sessions starting at once never
count as a hundred users of 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from tuichat.net.frames import ErrorCode
from tuichat.server.bans import canonical_address
from tuichat.server.doors.native.wire import send_error
from tuichat.server.logs import Tally

if TYPE_CHECKING:
    from tuichat.server.config import ServerConfig
    from tuichat.server.doors.native.peer import Peer
    from tuichat.server.reactor import Reactor

log = logging.getLogger("tuichat.server")
frame_log = logging.getLogger("tuichat.server.frames")

SESSION_CONNECTIONS = 3
"""Connections one session opens (recv, send, image)."""


class Connections:
    """Counts open connections per host; refuses those over the limits."""

    def __init__(self, config: ServerConfig, reactor: Reactor,
                 tickets: Callable[[], int] = lambda: 0) -> None:
        """``tickets()``: how many tickets were issued recently (sessions that may still
        be connecting from this machine)."""
        self._config = config
        self._reactor = reactor
        self._tickets = tickets
        self._peers: dict[Peer, str] = {}
        """Every open connection, joined or not, so a stop can close them all; with the
        host it comes from, for the per-address limit."""
        self._per_host: Counter[str] = Counter()
        self._expiries = Tally(log, partial(_idle_closed, config.setup_timeout),
                               reactor.call_later)
        """Connections closed at the set-up deadline, logged as one line a second."""
        self._refusals = Tally(log, _refused, reactor.call_later)

    def __iter__(self) -> Iterator[Peer]:
        return iter(list(self._peers))

    def peers(self) -> Iterator[Peer]:
        """Every connection counted (for the output budget)."""
        return iter(self._peers)

    def host(self, peer: Peer) -> str:
        """The host ``peer`` comes from."""
        return self._peers[peer]

    @property
    def open_count(self) -> int:
        """Connections not yet closed (some may still be flushing their last bytes)."""
        return sum(1 for peer in self._peers if not peer.closed)

    def admit(self, peer: Peer, host: str,
              setup_expired: Callable[[weakref.ref[Peer]], None]) -> bool:
        """Count a new connection; over a limit refuse it (False), else start its set-up
        clock (``setup_expired`` is called with a weak reference to the peer)."""
        self._peers[peer] = host
        self._per_host[host] += 1
        refusal = self._refusal(host)
        if refusal is not None:
            frame_log.debug("refused %s on %s: %s", peer.address, peer.channel, refusal)
            self._refusals.add(host)
            send_error(peer, ErrorCode.SERVER_FULL, refusal)
            peer.close_soon()
            return False
        if self._config.setup_timeout > 0:
            self._reactor.call_later(self._config.setup_timeout,
                                     partial(setup_expired, weakref.ref(peer)))
        return True

    def _refusal(self, host: str) -> str | None:
        """Why one more connection from ``host`` (already counted) is too many, if it is."""
        per_host, total = self._config.max_per_address, self._config.max_connections
        if (per_host and self._per_host[host] > per_host) or (total and len(self._peers) > total):
            self.forget_closed()  # recount: some may have closed since the last tick
        if per_host and self._per_host[host] > per_host + self.allowance(host):
            return f"too many connections from your address (at most {per_host:,}); try later"
        if total and len(self._peers) > total:
            return f"the server is full ({total:,} connections); try again later"
        return None

    def allowance(self, host: str) -> int:
        """Connections ``host`` may hold over the per-address limit: for a local address,
        those of the sessions recent tickets may still be opening."""
        if not self._is_local(host):
            return 0
        return SESSION_CONNECTIONS * self._tickets()

    def _is_local(self, host: str) -> bool:
        """True for the addresses the SSH door's clients connect from."""
        if host == self._config.host:
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def rehome(self, peer: Peer, host: str) -> None:
        """Count ``peer`` against ``host`` from now on (a ticketed session's connection,
        counted against its SSH user's address rather than loopback)."""
        old = self._peers.get(peer)
        if old is None or old == host:
            return
        self._peers[peer] = host
        self._per_host[host] += 1
        self._per_host[old] -= 1
        if not self._per_host[old]:
            del self._per_host[old]

    def expired(self, peer: Peer) -> None:
        """``peer`` is closed for sending no ``hello`` or ``attach`` in time (counted)."""
        self._expiries.add(self._peers[peer])
        peer.close_soon()

    def forget_closed(self) -> None:
        """Stop counting connections that have closed."""
        for peer in [peer for peer in self._peers if peer.closed]:
            self.forget(peer)

    def forget(self, peer: Peer) -> None:
        """Stop counting one connection (harmless to repeat)."""
        host = self._peers.pop(peer, None)
        if host is None:
            return
        self._per_host[host] -= 1
        if not self._per_host[host]:
            del self._per_host[host]

    def close_all(self) -> None:
        """Close every connection now, sent or not, and log what the tallies hold."""
        self._expiries.flush()
        self._refusals.flush()
        for peer in self._peers:
            peer.close()
        self._peers.clear()
        self._per_host.clear()


def socket_host(sock: socket.socket) -> str:
    """The address a connection comes from, without the port: what per-address limits count."""
    try:
        host = str(sock.getpeername()[0])
    except OSError:
        return "?"
    return canonical_address(host) or host


def _idle_closed(timeout: float, count: int) -> str:
    """The log line for ``count`` connections closed at the set-up deadline."""
    return (f"closed {count:,} idle connection{'' if count == 1 else 's'} "
            f"(no hello or attach within {timeout:g} s)")


def _refused(count: int) -> str:
    """The log line for ``count`` connections refused over the connection limits."""
    return f"refused {count:,} connection{'' if count == 1 else 's'} over the connection limits"
