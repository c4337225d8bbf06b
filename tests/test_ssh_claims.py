"""The store of names claimed by SSH keys: kept private and whole, read back as written,
and never brought down by a damaged file."""

from __future__ import annotations

import base64
import json
import logging
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuichat.server.doors.ssh.claims import Claim, Claims

FINGERPRINT_A = "SHA256:" + base64.b64encode(b"a" * 32).decode().rstrip("=")
FINGERPRINT_B = "SHA256:" + base64.b64encode(b"b" * 32).decode().rstrip("=")
SHA = "ab" * 32


def test_the_first_claim_holds_and_a_second_key_gets_the_first(tmp_path: Path) -> None:
    claims = Claims(tmp_path / "claims.json", clock=lambda: 100.0)
    assert claims.claim("Alice", FINGERPRINT_A) == Claim("Alice", FINGERPRINT_A, 100.0)
    assert claims.claim("alice", FINGERPRINT_B).fingerprint == FINGERPRINT_A
    assert claims.holder("ALICE") == Claim("Alice", FINGERPRINT_A, 100.0)
    assert stat.S_IMODE((tmp_path / "claims.json").stat().st_mode) == 0o600


def test_a_release_frees_the_name_for_good(tmp_path: Path) -> None:
    path = tmp_path / "claims.json"
    claims = Claims(path)
    claims.claim("alice", FINGERPRINT_A)
    assert claims.release("Alice") is not None
    assert claims.release("alice") is None
    assert Claims(path).holder("alice") is None


def test_an_avatar_is_kept_only_for_the_key_that_holds_the_name(tmp_path: Path) -> None:
    path = tmp_path / "claims.json"
    claims = Claims(path)
    claims.claim("alice", FINGERPRINT_A)
    assert not claims.set_avatar("alice", FINGERPRINT_B, SHA)
    assert claims.set_avatar("alice", FINGERPRINT_A, SHA)
    held = Claims(path).holder("alice")
    assert held is not None and held.avatar == SHA


def test_a_malformed_entry_is_skipped_and_the_others_kept(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "claims.json"
    good = {"name": "bob", "fingerprint": FINGERPRINT_A, "claimed": 1.0}
    path.write_text(json.dumps({"claims": {
        "bob": good,
        "x": {"name": "eve", "fingerprint": "MD5:00", "claimed": 1},
        "y": {"name": ".bad", "fingerprint": FINGERPRINT_B, "claimed": 1},
        "z": "not an entry",
    }}))
    with caplog.at_level(logging.WARNING, "tuichat.server"):
        claims = Claims(path)
    assert claims.holder("bob") == Claim("bob", FINGERPRINT_A, 1.0)
    assert [claim.name for claim in claims] == ["bob"]
    assert sum("skipping a malformed SSH name claim" in r.getMessage()
               for r in caplog.records) == 3


@pytest.mark.parametrize("text", ["", "{", "[]", '{"claims": []}', "\udcff"])
def test_an_unreadable_file_means_no_claims(tmp_path: Path, text: str) -> None:
    path = tmp_path / "claims.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert list(Claims(path)) == []


JSON = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
NAMES = st.text(alphabet="abcdefghij_-.", min_size=1, max_size=8).filter(
    lambda name: not name.startswith("."))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.dictionaries(st.text(max_size=8), JSON | st.fixed_dictionaries({
    "name": NAMES, "fingerprint": st.sampled_from([FINGERPRINT_A, "SHA256:short"]),
    "claimed": st.floats(allow_nan=False) | st.text(max_size=3)}), max_size=5))
def test_any_json_loads_without_crashing_and_only_valid_claims_survive(
        tmp_path: Path, entries: dict[str, Any]) -> None:
    path = tmp_path / "claims.json"
    path.write_text(json.dumps({"claims": entries}))
    for claim in Claims(path):
        assert claim.fingerprint == FINGERPRINT_A
        assert not claim.name.startswith(".")


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(NAMES, st.sampled_from([FINGERPRINT_A, FINGERPRINT_B])),
                max_size=8))
def test_claims_read_back_as_written(tmp_path: Path, wanted: list[tuple[str, str]]) -> None:
    path = tmp_path / "claims.json"
    path.unlink(missing_ok=True)
    claims = Claims(path, clock=lambda: 5.0)
    for name, fingerprint in wanted:
        claims.claim(name, fingerprint)
    assert sorted(Claims(path), key=str) == sorted(claims, key=str)
