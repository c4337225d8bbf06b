"""Guessing stays slow however many addresses: lockouts that outlive a flood, /64 keys,
and the server-wide budget of password checks (issue 12, defect 2).

The throttle and the budget are tested on a stepped clock; the last test floods a real
server from many loopback addresses (127.0.0.N) and counts the guesses it checked.
"""

from __future__ import annotations

import logging
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import RawChannel, ServerFactory
from tests.test_limits import Clock
from tuichat.net.frames import Frame
from tuichat.server.addresses import address_key
from tuichat.server.check_budget import BURST_MINUTES, CheckBudget, PasswordKind
from tuichat.server.config import ServerConfig
from tuichat.server.limits import AuthThrottle, Scope, Wait
from tuichat.server.passwords import PasswordGate

JOIN, ADMIN = PasswordKind.JOIN, PasswordKind.ADMIN

# -- what counts as one address ----------------------------------------------------------------


@pytest.mark.parametrize(("host", "key"), [
    ("127.0.0.5", "127.0.0.5"),
    ("::ffff:10.0.0.1", "10.0.0.1"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ("2001:db8:1:2::9", "2001:db8:1:2::/64"),
    ("2001:db8:1:3::9", "2001:db8:1:3::/64"),
    ("fe80::1%eth0", "fe80::/64"),
    ("not-an-ip", "not-an-ip"),
])
def test_an_ipv6_64_is_one_address_and_a_mapped_ipv4_is_its_ipv4(host: str, key: str) -> None:
    assert address_key(host) == key


def test_guesses_from_one_ipv6_64_share_one_count() -> None:
    """An attacker with a /64 cannot get a fresh count per address inside it."""
    gate = PasswordGate(2, 600.0, clock=Clock())
    for host in ("2001:db8::1", "2001:db8::2"):
        assert not gate.check(host, "bob", "guess", "sesame", JOIN)
    assert gate.refusal("2001:db8::ffff:3", "bob", JOIN) == (
        "too many wrong passwords for 'bob' from your address; try again in 600 s")
    assert gate.refusal("2001:db8:0:1::1", "bob", JOIN) is None, "another /64"
    assert not gate.check("::ffff:127.0.0.9", "bob", "guess", "sesame", JOIN)
    assert gate.refusal("127.0.0.9", "bob", JOIN) is not None


# -- lockouts outlive failures elsewhere -------------------------------------------------------


def test_a_lockout_outlives_any_number_of_failures_elsewhere() -> None:
    """Issue 12: once 10,000 others had failed, a locked-out address was forgotten."""
    clock = Clock()
    throttle = AuthThrottle(3, 600.0, clock, capacity=20)
    for _ in range(3):
        throttle.fail("10.0.0.1", "admin")
    for number in range(1_000):
        throttle.fail(f"10.1.{number // 250}.{number % 250}", "admin")
        clock.advance(0.5)  # each back-off (1 s) outlives the next failure
    wait = throttle.wait("10.0.0.1", "admin")
    assert wait is not None and wait.scope is Scope.NAME
    assert wait.seconds == pytest.approx(100.0)


def test_a_full_table_refuses_new_counts_unchecked_until_a_wait_ends() -> None:
    clock = Clock()
    throttle = AuthThrottle(1, 600.0, clock, capacity=4, address_factor=1)
    throttle.fail("10.0.0.1", "bob")  # locks out the name's count and the address's
    clock.advance(10)
    throttle.fail("10.0.0.2", "bob")
    assert throttle.wait("10.0.0.3", "bob") == Wait(590.0, Scope.SERVER)
    assert throttle.wait("10.0.0.2", "bob") == Wait(600.0, Scope.ADDRESS), "its own"
    clock.advance(590)
    assert throttle.wait("10.0.0.3", "bob") is None, "10.0.0.1's lockout is over"
    throttle.fail("10.0.0.3", "bob")
    assert throttle.wait("10.0.0.2", "bob") == Wait(10.0, Scope.ADDRESS)


_ADDRESSES = [f"10.0.0.{number}" for number in range(6)]


@given(st.lists(st.tuples(st.sampled_from(_ADDRESSES), st.sampled_from(["ann", "bob"]),
                          st.floats(0.0, 5.0)), max_size=60))
def test_no_failure_elsewhere_shortens_a_wait(failures: list[tuple[str, str, float]]) -> None:
    """Whatever the order and pace of failures in a small table, a wait ends only by
    time passing: it never drops below what it was minus the time since."""
    clock = Clock()
    throttle = AuthThrottle(3, 30.0, clock, capacity=5, address_factor=2)
    ends: dict[tuple[str, str], float] = {}
    for address, name, step in failures:
        clock.advance(step)
        if throttle.wait(address, name) is None:  # as the gate does: only checked ones count
            throttle.fail(address, name)
        for key in [(a, n) for a in _ADDRESSES for n in ("ann", "bob")]:
            wait = throttle.wait(*key)
            seconds = 0.0 if wait is None else wait.seconds
            assert seconds >= ends.get(key, 0.0) - clock.now - 1e-6, key
            if wait is not None and wait.scope is not Scope.SERVER:
                ends[key] = max(ends.get(key, 0.0), clock.now + seconds)


# -- the server-wide budget --------------------------------------------------------------------


def test_the_budget_checks_a_burst_then_its_rate_per_minute() -> None:
    clock = Clock()
    budget = CheckBudget(6.0, clock)
    for _ in range(6 * BURST_MINUTES):
        assert budget.wait(JOIN, "10.0.0.1") == 0.0
        budget.spend(JOIN)
    assert budget.wait(JOIN, "10.0.0.2") == pytest.approx(10.0)
    assert budget.wait(ADMIN, "10.0.0.2") == 0.0, "each kind has its own budget"
    clock.advance(10.0)
    assert budget.wait(JOIN, "10.0.0.2") == 0.0
    budget.spend(JOIN)
    assert budget.wait(JOIN, "10.0.0.2") == pytest.approx(10.0)


def test_an_address_that_gave_the_password_right_is_exempt_for_that_kind_only() -> None:
    clock = Clock()
    budget = CheckBudget(1.0, clock)
    budget.trust(JOIN, "10.0.0.1")
    for _ in range(BURST_MINUTES):
        budget.spend(JOIN)
        budget.spend(ADMIN)
    assert budget.wait(JOIN, "10.0.0.1") == 0.0
    assert budget.wait(ADMIN, "10.0.0.1") > 0, "knowing the join password is no admin right"
    assert budget.wait(JOIN, "10.0.0.2") > 0


def test_a_zero_budget_is_off() -> None:
    budget = CheckBudget(0.0, Clock())
    for _ in range(1_000):
        budget.spend(ADMIN)
    assert budget.wait(ADMIN, "10.0.0.1") == 0.0


def test_guesses_from_any_number_of_addresses_are_checked_at_the_budgets_rate() -> None:
    """One fresh address and name per guess, a guess every 0.1 s for an hour: the gate
    checks the burst and then 10 a minute (before the budget: all 36,000)."""
    clock = Clock()
    gate = PasswordGate(5, 600.0, 10.0, clock)
    checked = 0
    for number in range(36_000):
        host, name = f"10.{number // 65_536}.{number // 256 % 256}.{number % 256}", f"g{number}"
        if gate.refusal(host, name, ADMIN) is None:
            assert not gate.check(host, name, f"guess{number}", "sesame", ADMIN)
            checked += 1
        clock.advance(0.1)
    assert checked == pytest.approx(10 * BURST_MINUTES + 10 * 60, abs=2)


# -- end to end: a flood from many loopback addresses ------------------------------------------

WRONG = "this server needs the right join password"
SPENT = "too many wrong passwords from everywhere; the server is refusing password checks"


def _hello(server_port: int, name: str, source: str, password: str) -> Frame:
    raw = RawChannel(server_port, source)
    try:
        raw.send({"type": "hello", "version": 1, "name": name, "password": password})
        return raw.read_frame()
    finally:
        raw.sock.close()


def test_a_flood_from_many_addresses_is_checked_at_the_budgets_rate(
    make_server: ServerFactory,
) -> None:
    """Issue 12: one process with many 127.x source addresses had 8,500-13,000 admin
    guesses a minute checked. With the default budget at most its burst (and its rate
    meanwhile) are checked; a user whose address gave the password before still gets in,
    a new one is told to wait."""
    budget = ServerConfig.auth_budget
    server = make_server(password="sesame", auth_max_failures=5, auth_lockout=600.0,
                         auth_budget=budget)
    port = server.ports.recv
    assert _hello(port, "alice", "127.0.0.1", "sesame")["type"] == "welcome"
    started = time.monotonic()
    answers: list[str] = []
    for number in range(400):
        source = f"127.0.{1 + number // 200}.{2 + number % 200}"
        answers.append(str(_hello(port, f"guess{number}", source, f"try{number}")["text"]))
    minutes = (time.monotonic() - started) / 60
    checked = answers.count(WRONG)
    unchecked = sum(answer.startswith(SPENT) for answer in answers)
    assert checked + unchecked == len(answers), set(answers)
    assert checked <= budget * BURST_MINUTES + budget * minutes + 1, checked
    assert _hello(port, "bob", "127.0.0.1", "sesame")["type"] == "welcome"
    newcomer = _hello(port, "carol", "127.0.9.9", "sesame")
    assert str(newcomer["text"]).startswith(SPENT), newcomer
    assert str(newcomer["text"]).endswith("(the password was not checked)")


def test_a_spent_budget_is_warned_about_once_a_minute_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    budget = CheckBudget(1.0, clock)
    for _ in range(BURST_MINUTES):
        budget.spend(ADMIN)
    with caplog.at_level(logging.WARNING, logger="tuichat.server"):
        for _ in range(30):
            assert budget.wait(ADMIN, "10.0.0.9") > 0
            clock.advance(1.0)
            budget.spend(ADMIN)  # the attacker takes each token as it comes
        clock.advance(30.0)
        budget.spend(ADMIN)
        budget.wait(ADMIN, "10.0.0.9")
    assert [record.getMessage() for record in caplog.records] == [
        "too many wrong admin passwords from everywhere: 1 refused unchecked since the last "
        "such warning (none from addresses that gave it right are)",
        "too many wrong admin passwords from everywhere: 30 refused unchecked since the last "
        "such warning (none from addresses that gave it right are)",
    ]
