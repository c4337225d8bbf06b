"""System programs some tests drive (tmux, ssh, chromium): skip without them, except in CI.

A test that needs a program is marked ``@needs("ssh", "openssh-client")``: where the
program is missing it is skipped with a one-line reason naming the Debian package. CI
(``.ci/run`` sets ``TUICHAT_REQUIRE_SYSTEM=1``) installs every such package first, so
there the skip becomes a failure (``conftest.pytest_runtest_makereport``): a skip would
hide a door that was never tested.
"""

from __future__ import annotations

import shutil

import pytest

REQUIRE_ENV = "TUICHAT_REQUIRE_SYSTEM"
MISSING = "is not installed (Debian package "
"""Part of every reason ``needs`` gives, by which CI knows these skips."""


def needs(program: str, package: str) -> pytest.MarkDecorator:
    """Skip a test when ``program`` is not on the PATH, naming the package to install."""
    return pytest.mark.skipif(shutil.which(program) is None,
                              reason=f"{program} {MISSING}{package})")
