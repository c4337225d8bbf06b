"""Names and nicks: which IRC nicks an IRC user may take, and the one nick shown for
every tuichat name.

An IRC user's nick is its tuichat name, so it must be both: a valid IRC nick (RFC 2812:
a letter or one of ``[]\\`_^{|}`` first, then those, digits and ``-``) made only of what
a tuichat name may hold (letters, digits, ``_``, ``-``). A tuichat name that is not a valid
IRC nick (``José``, ``1up``, ``a.b``) is shown under one mapping: every character but
ASCII letters, digits, ``_`` and ``-`` becomes ``_``, a leading digit or ``-`` gets a
``_`` before it, and ``|`` and four hex digits of the name's SHA-256 follow, so two
such names never show as one nick: ``José`` is ``Jos_|1b4f``. IRC users reach those
members by that nick.
"""

from __future__ import annotations

import hashlib
import re

from tuichat.net.frames import MAX_NAME_CHARS

_NICK = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
"""What is both an IRC nick and a tuichat name."""
_NOT_NICK_CHAR = re.compile(r"[^A-Za-z0-9_-]")


def nick_problem(nick: str) -> str | None:
    """Why an IRC user may not take ``nick``, or None."""
    if not 1 <= len(nick) <= MAX_NAME_CHARS:
        return f"a nick is 1 to {MAX_NAME_CHARS} characters"
    if _NICK.fullmatch(nick) is None:
        return "a nick here is a letter or _ and then letters, digits, _ or -"
    return None


def nick_of(name: str) -> str:
    """The nick IRC users see for the tuichat name ``name`` (itself when it is one)."""
    if _NICK.fullmatch(name) is not None:
        return name
    mark = hashlib.sha256(name.encode()).hexdigest()[:4]
    plain = _NOT_NICK_CHAR.sub("_", name)
    if not plain[0].isalpha() and plain[0] != "_":
        plain = "_" + plain
    return f"{plain}|{mark}"
