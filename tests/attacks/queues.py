"""Pinned queues of issue 12: never-readers asking for large avatars, again and again.

In-process, ``tests/test_output_budget.py`` pins the total bound, the heaviest cut first
and a repeated request not queued twice.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

from tests.attacks.common import SAMPLES, Outcome, RssWatch, against
from tests.faultkit import GENEROUS_FLAGS, WAIT, Latency, Probe, ServerProcess, read_until
from tests.test_avatars import noisy_png
from tuichat.net.codec import encode
from tuichat.server.app import Ports
from tuichat.server.avatars import AvatarStore
from tuichat.server.config import ServerConfig

REPEATS = 15
"""Times each never-reader asks again for the same avatar (as in the issue)."""
PICTURE_MB = 0.23
"""About the size of each picture (noisy PNGs of 267 to 290 pixels a side)."""
RSS_BOUND_MB = 400.0
"""The server's peak RSS must stay under this: the 256 MiB output budget and the rest."""


def _never_reader(ports: Ports, name: str, wanted: list[str]) -> list[socket.socket]:
    """A session that asks for every avatar in ``wanted`` and reads nothing more."""
    sockets = []
    token = ""
    for port in (ports.recv, ports.send, ports.image):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(WAIT)
        sock.connect(("127.0.0.1", port))
        if port == ports.recv:
            sock.sendall(encode({"type": "hello", "version": 1, "name": name}))
            token = read_until(sock, "welcome", chunk=4096)["session"]
        else:
            sock.sendall(encode({"type": "attach", "session": token}))
            read_until(sock, "attached", chunk=4096)
        sockets.append(sock)
    sockets[2].sendall(b"".join(encode({"type": "get_avatar", "sha256": sha})
                                for sha in wanted))
    return sockets


def pinned_queues(data_dir: Path, sessions: int = 200, pictures: int = 24,
                  seconds: float = 10.0) -> Outcome:
    """``sessions`` never-readers each asking for ``pictures`` avatars of about 230 kB
    and for the first one ``REPEATS`` times more, against a server process with default
    limits (but generous rates). With one picture it is the issue's attack (3.8 MB asked
    per session, under the 4 MiB a connection may queue); 24 pictures ask 5.5 MB, of
    which the kernel takes some 2.5 MB."""
    # stored before the server starts: uploads have a budget of their own
    store = AvatarStore(ServerConfig(data_dir=data_dir / "server").avatars_dir)
    shas = [store.put(noisy_png(side)) for side in range(290, 290 - pictures, -1)]

    def attack(server: ServerProcess, watch: RssWatch) -> Outcome:
        held: list[socket.socket] = []
        probe = Probe(server.ports, name="patient")
        try:
            normal = probe.sample(SAMPLES)
            watch.mark()
            started = time.monotonic()
            round_trips: list[float] = []
            for number in range(sessions):
                held += _never_reader(server.ports, f"pinned{number}",
                                      shas + [shas[0]] * REPEATS)
                round_trips.append(probe.round_trip())
            while time.monotonic() - started < seconds or len(round_trips) < SAMPLES:
                round_trips.append(probe.round_trip())
            cut = probe.leaves["error"]
            for sock in held:
                sock.close()
            rss = watch.settled()
        finally:
            for sock in held:
                sock.close()
            probe.close()
        asked = round(sessions * (pictures + REPEATS) * PICTURE_MB)
        return Outcome(
            f"pinned queues, {pictures} avatar{'s' if pictures > 1 else ''} + {REPEATS} "
            "repeats",
            f"{sessions} never-readers ask {asked:,} MB; {cut} cut off; peak RSS under "
            f"{RSS_BOUND_MB:g} MB",
            rss[1] < RSS_BOUND_MB, Latency(tuple(round_trips)), rss,
            figures={"latency_normal": normal.row(), "sessions": sessions,
                     "requested_mb": asked, "cut_off": cut})

    return against(data_dir / "server", GENEROUS_FLAGS, attack)
