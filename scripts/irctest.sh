#!/bin/sh
# Run irctest (vendored in tests/vendor/irctest) against tuichat's IRC door.
#   scripts/irctest.sh                 the whole selection the issue compares with ngircd's
#                                      (485 tests: server tests, irctest's self-tests and
#                                      its client tests, which skip for a server)
#   scripts/irctest.sh -k EXPR         a part of it (any pytest options go on)
#   scripts/irctest.sh irctest/server_tests/who.py   one module
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-"$root/.venv/bin/python"}
cd "$root/tests/vendor/irctest"
PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" exec "$python" -m pytest -p no:cacheprovider \
    --controller tests.irctest_controller \
    -m "not services and not implementation-specific and not deprecated and not strict" \
    "$@"
