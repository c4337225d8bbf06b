"""``tuichat --guest``: the client a browser door runs for each browser session.

It opens the connect screen on the server it was pointed at (its address, ports and TLS
fixed), reads no config file and no remembered values, takes no password from the
environment (only the door's ticket, ``TICKET_ENV``, which tells the server the
browser's address and vouches for nothing else), and keeps whatever it writes (fetched
avatars, ignored names, the pinned certificate) in a temporary directory removed when it
ends.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

from tuichat.net.guest_ticket import TICKET_ENV
from tuichat.net.tls import KnownHosts
from tuichat.priority import run_below_server
from tuichat.tui.settings import Settings


def guest_settings(args: argparse.Namespace,
                   environ: MutableMapping[str, str] | None = None) -> Settings:
    """The server from the command line, the ticket from ``environ`` (removed from it),
    everything else the defaults, no name."""
    settings = Settings(ticket=(environ or {}).pop(TICKET_ENV, None) or None)
    for key in ("host", "port_send", "port_recv", "port_image"):
        if getattr(args, key) is not None:
            setattr(settings, key, getattr(args, key))
    settings.tls = bool(args.tls)
    return settings


def run_guest(args: argparse.Namespace) -> int:
    """Run the app as a guest until it quits; its exit code."""
    from tuichat.tui.app import TuichatApp  # the app is a heavy import
    from tuichat.tui.avatars import AvatarDiskCache

    run_below_server()  # one process per browser session, on the server's machine
    settings = guest_settings(args, os.environ)
    with tempfile.TemporaryDirectory(prefix="tuichat-guest-") as temp:
        root = Path(temp)
        known_hosts = KnownHosts(root / "known_hosts")
        if args.tls_pin is not None:  # the server's own certificate: trusted, not asked
            for port in (settings.port_send, settings.port_recv, settings.image_port):
                known_hosts.pin(settings.host, port, args.tls_pin)
        app = TuichatApp(settings, connect_now=False, cwd=root, guest=True,
                         avatar_cache=AvatarDiskCache(root / "avatars"),
                         known_hosts=known_hosts, ignore_file=root / "ignored.json")
        return app.run() or 0
