"""User names: what a name may hold, and the key two names are compared by.

One rule for both sides: the client checks a name before it connects, the server at
``hello`` and ``nick``. Two names are the same name when their keys (``name_key``) are
equal: case, width and look-alike letters (Unicode TS #39 confusables) are ignored, so
``alice`` spelled with a Cyrillic ``a`` (U+0430) cannot stand beside ``alice``, nor
``C0nsole`` pass for Console.
"""

from __future__ import annotations

import bisect
import functools
import unicodedata
from importlib import resources

from tuichat.net.frames import CONSOLE, MAX_NAME_CHARS

DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
"""Inclusive ranges of Default_Ignorable_Code_Point, from Unicode 15.0's
DerivedCoreProperties.txt (adjacent lines merged). Python's ``unicodedata`` lacks the
property. These draw nothing, or nothing of their own (fillers, joiners, variation
selectors), so a name holding one looks like a name without it."""
_IGNORABLE_STARTS = [start for start, _ in DEFAULT_IGNORABLE]


def is_default_ignorable(char: str) -> bool:
    """True for a default-ignorable code point (drawn as nothing)."""
    code = ord(char)
    index = bisect.bisect_right(_IGNORABLE_STARTS, code) - 1
    return index >= 0 and code <= DEFAULT_IGNORABLE[index][1]


@functools.cache
def _confusables() -> dict[str, str]:
    """The look-alike table (``confusables.txt`` beside this module, made by
    ``scripts/make_confusables.py`` from Unicode's file): character → its skeleton."""
    table: dict[str, str] = {}
    text = resources.files("tuichat.net").joinpath("confusables.txt").read_text("utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            source, target = line.split(";")
            table[chr(int(source, 16))] = "".join(chr(int(code, 16)) for code in target.split())
    return table


def _skeleton(text: str) -> str:
    """TS #39's skeleton: NFD, each character mapped to its prototype, NFD again."""
    table = _confusables()
    mapped = "".join(table.get(char, char) for char in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


def name_key(name: str) -> str:
    """What names are compared by: casefold and the TS #39 skeleton, then NFKC and
    casefold, then the skeleton again, casefolded once more.

    Case is always folded first, so ``ALICE`` is ``alice`` (and ``I`` is ``i``, not the
    ``l`` it can resemble); the first skeleton sees characters that NFKC would turn into
    others before the table could map them (the lunate sigma U+03F2 looks like ``c``, but
    NFKC makes it U+03C2); the table maps ``0`` to ``o``, ``1`` to ``l``, ``rn`` and ``m``
    to one key, and Cyrillic or Greek look-alikes (U+0430, U+03BF) to their Latin prototypes.
    """
    folded = unicodedata.normalize("NFKC", _skeleton(name.casefold())).casefold()
    return unicodedata.normalize("NFD", _skeleton(folded).casefold())


CONSOLE_KEY = name_key(CONSOLE)


def normalize_name(name: str) -> str:
    """The canonical (NFC) form of a name, so two encodings of one name are one."""
    return unicodedata.normalize("NFC", name)


def name_problem(name: object) -> str | None:
    """Why ``name`` is not a valid user name, or None when it is.

    Valid: 1 to 32 characters, letters of any script, digits, ``_``, ``-``, ``.``; not
    starting with ``.``; no default-ignorable code point (invisible joiners, fillers,
    variation selectors); not ``Console`` or a look-alike of it. Expects the NFC form.
    Combining marks may follow a letter, since many scripts (Devanagari, Thai) cannot
    spell a name without them.
    """
    if not isinstance(name, str):
        return "the name must be a string"
    if not 1 <= len(name) <= MAX_NAME_CHARS:
        return f"the name must be 1 to {MAX_NAME_CHARS} characters"
    if name.startswith("."):
        return "the name must not start with '.'"
    previous = ""
    for char in name:
        if is_default_ignorable(char):
            return f"the name must not hold the invisible character U+{ord(char):04X}"
        category = unicodedata.category(char)
        base = char in "_-." or category.startswith("L") or category == "Nd"
        mark = category in ("Mn", "Mc") and previous[:1] in ("L", "M")
        if not (base or mark):
            return f"the name may hold only letters, digits, '_', '-' and '.', not {char!r}"
        previous = category
    if name_key(name) == CONSOLE_KEY:
        if unicodedata.normalize("NFKC", name).casefold() == CONSOLE.casefold():
            return f"the name {CONSOLE!r} is reserved for the server"
        return f"the name {name!r} looks like {CONSOLE!r}, which is reserved for the server"
    return None
