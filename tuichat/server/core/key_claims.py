"""``admin -rk NAME``: release the claim an SSH key holds on a name, so the next key to
log in under it claims it. The claims themselves are the SSH door's (``doors.ssh.claims``);
the core sees them through ``NameClaims``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from tuichat.net.names import normalize_name

if TYPE_CHECKING:
    from tuichat.server.core.admin_call import AdminCall


class ReleasedClaim(Protocol):
    """A claim that was released: the name as claimed and the key that held it."""

    @property
    def name(self) -> str:
        """The name as it was claimed."""

    @property
    def fingerprint(self) -> str:
        """``SHA256:...`` of the key that held it."""


class NameClaims(Protocol):
    """Names held by SSH keys."""

    def holder(self, name: str) -> ReleasedClaim | None:
        """The claim on ``name`` (or a look-alike of it), if a key holds it."""

    def release(self, name: str) -> ReleasedClaim | None:
        """Drop the claim on ``name`` (or a look-alike); the claim it was, if any."""


def claim_problem(claims: NameClaims | None, name: str, fingerprint: str | None) -> str | None:
    """Why someone coming with the key ``fingerprint`` (None: no key, as through the
    three-socket door) may not be ``name``: a key holds it, and not theirs."""
    claim = claims.holder(name) if claims is not None else None
    if claim is None or claim.fingerprint == fingerprint:
        return None
    return (f"{claim.name!r} is held by an SSH key: only that key may use it (log in with "
            f"it over SSH), unless an admin frees it with admin -rk")


class ClaimRelease:
    """The handler of ``admin -rk``."""

    def __init__(self, claims: NameClaims | None) -> None:
        """``claims``: None when the server keeps none (no SSH door was ever wired)."""
        self._claims = claims

    def __call__(self, call: AdminCall) -> None:
        """``admin -rk NAME``: release NAME's claim and say so."""
        name = normalize_name(call.rest.strip())
        if not name:
            call.usage("admin -rk needs the name whose SSH key claim to release.\n")
            return
        claim = self._claims.release(name) if self._claims is not None else None
        if claim is None:
            call.reply(f"No SSH key holds a claim on {name[:40]!r}.", "error")
            return
        call.reply(f"Released the claim of the SSH key {claim.fingerprint} on "
                   f"{claim.name!r}: the next key to log in as {claim.name!r} claims it.")
        call.log(f"released the SSH key claim on {claim.name!r} ({claim.fingerprint})")
