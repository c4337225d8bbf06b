"""Who a user is when a door vouches for them (the SSH door, after its login): a name, an
address, a key, rights. The core admits a ticket for one (``tickets``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Identity:
    """An authenticated SSH user: the chat name it asked for, its key, its rights."""

    name: str
    """The SSH user name, which is the chat name (normalized, checked by the name rule)."""
    address: str
    """The SSH client's address, without the port: what address limits and bans count."""
    fingerprint: str | None
    """``SHA256:...`` of the public key it logged in with, as ``ssh-keygen -l`` prints it;
    None for a keyless login (keyboard-interactive with the join password, or none)."""
    admin: bool = False
    """Its key is in ``--admin-keys``: admin on joining, no password typed."""
