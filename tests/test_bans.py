"""BanList on its own: address and name bans, expiry on a stepped clock, lifting, and the
file across restarts (old files too)."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from tuichat.net.names import name_key
from tuichat.server.bans import MAX_BAN_MINUTES, Ban, BanKind, BanList, canonical_address

T0 = 1_795_000_000.0
"""2026-11-18 11:06:40 UTC."""


class Clock:
    """Unix time that moves only when a test steps it."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def step(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bans.json"


@pytest.fixture
def bans(path: Path, clock: Clock) -> BanList:
    return BanList(path, clock)


def test_a_timed_ban_holds_until_its_minutes_are_up(bans: BanList, clock: Clock) -> None:
    ban = bans.ban_address("127.0.0.2", "bob", "root", 30)
    assert ban == Ban(BanKind.ADDRESS, "127.0.0.2", "bob", "root", T0 + 1800)
    clock.step(1799)
    assert bans.on_address("127.0.0.2") == ban
    assert bans.active() == [ban]
    clock.step(1)
    assert bans.on_address("127.0.0.2") is None
    assert bans.active() == []


def test_a_ban_without_minutes_lasts_until_lifted(bans: BanList, clock: Clock) -> None:
    ban = bans.ban_address("10.0.0.1", None, "root", None)
    clock.step(MAX_BAN_MINUTES * 60 * 10)
    assert bans.on_address("10.0.0.1") == ban
    bans.lift(ban)
    assert bans.on_address("10.0.0.1") is None


def test_banning_again_replaces_the_ban_as_the_newest(bans: BanList, clock: Clock) -> None:
    bans.ban_address("127.0.0.2", "bob", "root", 5)
    other = bans.ban_address("127.0.0.3", "bob", "root", None)
    again = bans.ban_address("127.0.0.2", "bob", "alice", None)
    assert bans.aimed_at("bob") == again
    clock.step(600)
    assert bans.active() == [other, again]


def test_a_name_ban_matches_the_name_as_names_are_compared(bans: BanList) -> None:
    ban = bans.ban_name("Zoe\u0301", "root", None)  # a decomposed é: stored in NFC
    assert ban == Ban(BanKind.NAME, name_key("Zo\u00e9"), "Zo\u00e9", "root", None)
    assert bans.on_name("ZO\u00c9") == ban
    assert bans.on_name("zoe") is None
    assert bans.on_address("127.0.0.1") is None, "a name ban holds no address"


def test_a_name_and_an_address_ban_are_apart(bans: BanList) -> None:
    by_address = bans.ban_address("127.0.0.2", "bob", "root", None)
    by_name = bans.ban_name("bob", "root", 10)
    assert bans.active() == [by_address, by_name]
    bans.lift(by_name)
    assert bans.active() == [by_address]


def test_aimed_at_finds_the_newest_address_ban_set_on_a_name(bans: BanList) -> None:
    first = bans.ban_address("127.0.0.2", "bob", "root", None)
    second = bans.ban_address("127.0.0.3", "Bob", "root", None)
    bans.ban_name("bob", "root", None)
    assert bans.aimed_at("BOB") == second
    bans.lift(second)
    assert bans.aimed_at("bob") == first
    assert bans.aimed_at("zed") is None


def test_what_is_not_banned_is_not_found(bans: BanList, clock: Clock) -> None:
    bans.ban_address("127.0.0.2", "bob", "root", 1)
    bans.ban_name("carol", "root", 1)
    assert bans.on_address("127.0.0.9") is None
    assert bans.on_name("zed") is None
    clock.step(60)
    assert bans.on_address("127.0.0.2") is None  # expired already
    assert bans.on_name("carol") is None


def test_bans_are_kept_in_a_private_file(path: Path, clock: Clock, bans: BanList) -> None:
    timed = bans.ban_address("127.0.0.2", "bob", "root", 10)
    lasting = bans.ban_address("::1", None, "root", None)
    named = bans.ban_name("Carol", "root", None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8"))["bans"][2] == {
        "kind": "name", "target": "carol", "name": "Carol", "by": "root", "until": None}
    assert BanList(path, clock).active() == [timed, lasting, named]
    clock.step(600)
    assert BanList(path, clock).active() == [lasting, named]


def test_a_file_from_before_ban_kinds_still_loads(path: Path, clock: Clock) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"bans": [
        {"address": "127.0.0.2", "name": "bob", "by": "root", "until": None},
        {"address": "::1", "name": None, "by": "root", "until": T0 + 60},
    ]}), encoding="utf-8")
    assert BanList(path, clock).active() == [
        Ban(BanKind.ADDRESS, "127.0.0.2", "bob", "root", None),
        Ban(BanKind.ADDRESS, "::1", None, "root", T0 + 60),
    ]


def test_an_expired_ban_is_not_written_again(path: Path, clock: Clock, bans: BanList) -> None:
    bans.ban_address("127.0.0.2", "bob", "root", 1)
    clock.step(61)
    bans.ban_address("127.0.0.3", "carol", "root", None)
    stored = json.loads(path.read_text(encoding="utf-8"))["bans"]
    assert [entry["target"] for entry in stored] == ["127.0.0.3"]


def test_a_missing_file_is_an_empty_list_without_a_warning(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert BanList(path).active() == []
    assert not caplog.records


@pytest.mark.parametrize("text", ["not json", "[]", '{"bans": 1}', '{"nothing": []}'])
def test_an_unreadable_file_is_ignored_with_a_warning(
    path: Path, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="tuichat.server"):
        assert BanList(path).active() == []
    assert any("unreadable ban list" in record.getMessage() for record in caplog.records)


GOOD_ENTRY = {"kind": "address", "target": "127.0.0.9", "name": None, "by": "r", "until": None}


@pytest.mark.parametrize(
    "entry",
    [
        '{"address": "bob", "name": null, "by": "root", "until": null}',
        '{"address": "127.0.0.2", "name": 1, "by": "root", "until": null}',
        '{"address": "127.0.0.2", "name": null, "by": "root", "until": "soon"}',
        '{"address": "127.0.0.2", "name": null, "by": "root", "until": 1e999}',
        '{"address": "127.0.0.2", "name": null, "by": "root"}',
        '{"kind": "key", "target": "x", "name": null, "by": "root", "until": null}',
        '{"kind": "name", "target": "bo b", "name": "bo b", "by": "r", "until": null}',
        '{"kind": "name", "target": "bob", "name": null, "by": "r", "until": null}',
        '{"kind": "address", "target": "bob", "name": null, "by": "r", "until": null}',
        '"not an object"',
    ],
)
def test_a_malformed_ban_is_skipped_and_the_others_hold(
    path: Path, caplog: pytest.LogCaptureFixture, entry: str
) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(f'{{"bans": [{entry}, {json.dumps(GOOD_ENTRY)}]}}', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="tuichat.server"):
        held = BanList(path).active()
    assert [ban.target for ban in held] == ["127.0.0.9"]
    assert any("skipping a malformed ban" in record.getMessage() for record in caplog.records)


def test_a_stored_name_ban_is_matched_by_the_name_rule_of_today(path: Path) -> None:
    path.parent.mkdir(parents=True)
    stale = {"kind": "name", "target": "stale key", "name": "Zo\u00e9", "by": "r", "until": None}
    path.write_text(json.dumps({"bans": [stale]}), encoding="utf-8")
    bans = BanList(path)
    assert bans.on_name("ZOE\u0301") is not None
    assert [ban.target for ban in bans.active()] == [name_key("Zo\u00e9")]


def test_a_failed_write_is_logged_and_the_ban_holds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    bans = BanList(blocker / "bans.json")
    with caplog.at_level(logging.ERROR, logger="tuichat.server"):
        ban = bans.ban_address("127.0.0.2", "bob", "root", None)
    assert bans.on_address("127.0.0.2") == ban
    assert any("could not store the bans" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.2", "127.0.0.2"),
        (" 10.0.0.1 ", "10.0.0.1"),
        ("::FFFF:127.0.0.2", "127.0.0.2"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("bob", None),
        ("127.0.0.2:5000", None),
        ("", None),
    ],
)
def test_canonical_address(text: str, address: str | None) -> None:
    assert canonical_address(text) == address


def test_until_text_is_utc_to_the_minute() -> None:
    assert Ban(BanKind.ADDRESS, "127.0.0.2", None, "root", T0).until_text == (
        "2026-11-18 11:06 UTC")
    assert Ban(BanKind.ADDRESS, "127.0.0.2", None, "root", None).until_text == "admin -ub"


def test_the_refusal_says_what_is_banned() -> None:
    assert Ban(BanKind.ADDRESS, "127.0.0.2", "bob", "root", None).refusal == (
        "your address (127.0.0.2) is banned")
    assert Ban(BanKind.NAME, "bob", "Bob", "root", T0).refusal == (
        "the name 'Bob' is banned until 2026-11-18 11:06 UTC")
