"""irctest, a suite written by others, on the IRC door: the must-pass list of issue 15
runs in one irctest subprocess (``scripts/irctest.sh``) and every case must pass."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUST_PASS = {
    "connection_registration": ["testConnectionRegistration", "testQuitDisconnects",
                                "testQuitErrors", "testNickCollision"],
    "pingpong": ["testPing", "testPingNoToken"],
    "join": ["testJoinNamreply", "testJoinTwice"],
    "part": ["testBasicPart", "testPartNotInNonEmptyChannel", "testPartMessage"],
    "messages": ["testPrivmsg", "testPrivmsgToUser", "testPrivmsgNonexistentUser",
                 "testNotice"],
    "names": ["testNames2812"],
    "topic": ["testTopicRfc"],
    "away": ["testAway", "testAwayPrivmsg"],
    "who": ["testWhoChan"],
    "whois": ["testWhoisUser"],
    "kick": ["testKickSendsMessages", "testKickPrivileges"],
    "quit": ["testQuit"],
    "isupport": ["testParameters"],
    "cap": ["testNoReq"],
}
"""By irctest module: the cases that must pass (and every case of echo_message)."""


def node_ids() -> list[str]:
    """The must-pass cases as pytest node-id prefixes of irctest's server tests."""
    ids = [f"irctest/server_tests/{module}.py" for module in ("echo_message",)]
    for module, names in MUST_PASS.items():
        path = ROOT / "tests/vendor/irctest/irctest/server_tests" / f"{module}.py"
        text = path.read_text(encoding="utf-8")
        for name in names:
            at = text.find(f"def {name}(")
            assert at >= 0, f"{name} not found in {module}"
            [*_, owner] = re.findall(r"^class (\w+)\(", text[:at], re.MULTILINE)
            ids.append(f"irctest/server_tests/{module}.py::{owner}::{name}")
    return ids


def test_the_must_pass_list_passes_in_irctest() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "--controller", "tests.irctest_controller", "-m",
         "not services and not implementation-specific and not deprecated and not strict",
         *node_ids()],
        cwd=ROOT / "tests/vendor/irctest", env=env, capture_output=True, text=True,
        timeout=600, check=False)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary, summary
