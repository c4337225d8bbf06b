"""The login rules that OpenSSH never exercises: a key offered but never signed with."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncssh

from tests.conftest import ServerFactory
from tuichat.server.core.identity import Identity
from tuichat.server.doors.ssh.auth import Gate, Login
from tuichat.server.doors.ssh.claims import Claims
from tuichat.server.doors.ssh.counts import LoginCounts


async def never_served(_process: asyncssh.SSHServerProcess[bytes], _who: Identity) -> None:
    raise AssertionError("no session is opened here")


def test_a_probed_key_followed_by_a_keyless_login_is_keyless_and_claims_nothing(
        make_server: ServerFactory, tmp_path: Path) -> None:
    admin_key = asyncssh.generate_private_key("ssh-ed25519")
    keys_file = tmp_path / "admin_keys"
    keys_file.write_bytes(admin_key.export_public_key())
    server = make_server(admin_keys=keys_file)
    assert server.chat is not None
    claims = Claims(tmp_path / "claims.json")
    gate = Gate(server.config, server.chat, server.reactor, claims, LoginCounts(0, 0, 0),
                asyncssh.read_authorized_keys(str(keys_file)))
    login = Login(gate, never_served)
    asyncio.run(login.begin_auth("mallory"))
    public = asyncssh.import_public_key(admin_key.export_public_key())
    assert login.validate_public_key("mallory", public)  # the probe: no signature yet
    assert login.get_kbdint_challenge("mallory", "", "") is True
    login.auth_completed()
    assert login.identity == Identity("mallory", "", None, admin=False)
    assert claims.holder("mallory") is None
