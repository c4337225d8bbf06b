"""Who a user is when a door vouches for them (the SSH door, after its login; the browser
door, for the address it saw): a name, an address, a key, rights. The core admits a
ticket for one (``tickets``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Identity:
    """An authenticated SSH user: the chat name it asked for, its key, its rights; or a
    browser, known by its address alone."""

    name: str
    """The SSH user name, which is the chat name (normalized, checked by the name rule);
    empty for a browser, which picks its name on the connect screen."""
    address: str
    """The user's own address, without the port: what address limits and bans count."""
    fingerprint: str | None
    """``SHA256:...`` of the public key it logged in with, as ``ssh-keygen -l`` prints it;
    None for a keyless login (keyboard-interactive with the join password, or none)."""
    admin: bool = False
    """Its key is in ``--admin-keys``: admin on joining, no password typed."""
    door: str = "ssh"
    """The door that vouches, as shown after the address (``203.0.113.7 (ssh)``)."""
    checked: bool = True
    """The door let it in (its key, or the join password): none is asked again. False
    for a browser: only its address is vouched for, and it types the join password."""
