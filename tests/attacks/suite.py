"""Every attack of issue 12, each against a fresh server process, with a well-behaved
client's round trips and the server's memory during each. ``bench/faults.py`` runs them
all and prints one row per attack."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from tests.attacks.avatars import avatar_flood
from tests.attacks.common import Outcome
from tests.attacks.expiry import mass_expiry
from tests.attacks.lockout import lockout_eviction
from tests.attacks.names import look_alike_names
from tests.attacks.queues import pinned_queues
from tests.attacks.tls import handshake_flood

ATTACKS: dict[str, Callable[[Path], Outcome]] = {
    "avatars-new": partial(avatar_flood, same=False),
    "avatars-same": partial(avatar_flood, same=True),
    "lockout": lockout_eviction,
    "names": look_alike_names,
    "pinned-1": partial(pinned_queues, pictures=1),
    "pinned-24": pinned_queues,
    "tls": handshake_flood,
    "expiry": mass_expiry,
}
"""Every attack by a short name (its scratch directory), in the order they run."""
