"""Room names: the one rule both sides check, and the form a name is kept in.

A room name is ``#`` and then 1 to 31 characters of ``a``-``z``, ``0``-``9``, ``-`` and
``_``, starting with a letter or a digit. Case does not matter: ``#Dev`` is ``#dev``, and
the lower-case form is the one on the wire, in the store and on screen. Typed without
the ``#`` (``/join dev``) the ``#`` is added; white space around it is trimmed. Only
ASCII letters are lower-cased: a letter of another script whose lower case is ASCII (the
Kelvin sign is a "k") stays itself, and is refused. The rule is narrow on purpose: it is the
same in every door (IRC channel names, SSH, file names of the rooms' stores), and no two
room names can look alike.
"""

from __future__ import annotations

import re
import string

ROOM_PREFIX = "#"
MAX_ROOM_CHARS = 32
"""Longest room name, ``#`` included."""
DEFAULT_ROOM = "#lobby"
"""The room everyone joins on arrival, unless the server names another."""

_ROOM = re.compile(r"#[a-z0-9][a-z0-9_-]{0,30}")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def normalize_room(text: str) -> str:
    """A room name as typed, in its kept form: trimmed, ASCII letters lower-cased, ``#``
    added if missing (the result may still break the rule: check it with
    ``room_problem``)."""
    name = text.strip().translate(_ASCII_LOWER)
    return name if name.startswith(ROOM_PREFIX) else ROOM_PREFIX + name


def room_problem(name: object) -> str | None:
    """Why ``name`` is not a room name in its kept form, or None when it is."""
    if not isinstance(name, str):
        return "the room name must be a string"
    if _ROOM.fullmatch(name) is not None:
        return None
    if not name.startswith(ROOM_PREFIX) or len(name) == 1:
        return "a room name is # and then letters, digits, - or _ (e.g. #dev)"
    if len(name) > MAX_ROOM_CHARS:
        return f"a room name is at most {MAX_ROOM_CHARS} characters long, # included"
    if not name[1].isascii() or not name[1].isalnum() or name[1].isupper():
        return "a room name starts with a lower-case letter or a digit after the #"
    return "a room name holds only a-z, 0-9, - and _ after the #"


def room_stem(name: str) -> str:
    """The room's name without ``#``: its store's file name and its saves' prefix.
    ValueError for a name that breaks the rule (a stem must never hold a path)."""
    problem = room_problem(name)
    if problem is not None:
        raise ValueError(f"{name!r} is not a room name: {problem}")
    return name[1:]
