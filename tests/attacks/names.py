"""The look-alike names attack of issue 12: hellos under copies of a present user's name
and of ``Console`` that look the same, while that user chats.

The copies: invisible marks (U+034F, U+200B, ...) and Hangul fillers at every place,
Cyrillic and Greek homoglyphs (every combination, in both cases), fullwidth letters and
every mix of case. Each must be refused (``name_taken`` or ``bad_name``), none admitted.
``tests/test_names.py`` pins the rules one by one.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tests.attacks.common import SAMPLES, Attackers, Outcome, RssWatch, against, attacker_main
from tests.conftest import RawChannel
from tests.faultkit import GENEROUS_FLAGS, Latency, Probe, ServerProcess
from tuichat.net.frames import CONSOLE, Frame

PRESENT = "alice"
"""The probe's own name: the present user the attack copies."""
INVISIBLE = ["\u034f", "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff"]
HANGUL_FILLERS = ["\u115f", "\u1160", "\u3164", "\uffa0"]
HOMOGLYPHS = {
    "a": "\u0430\u0251\u03b1", "c": "\u0441\u03f2", "e": "\u0435", "i": "\u0456\u03b9",
    "o": "\u043e\u03bf", "s": "\u0455", "C": "\u0421\u03f9",
}
"""Cyrillic and Greek look-alikes of Latin letters (TS #39 maps each to the letter), tried
in every combination, in lower and upper case."""
LATIN = {"o": "0", "l": "1"}
"""Digit look-alikes (TS #39 maps these too), mixed in with the others in lower-case names
only: upper case would make them unlike (``A1ICE`` is no ``ALICE``). Capital I for l is not
tried: case is folded first, so ``I`` counts as ``i``, as docs/SECURITY.md says."""


def _fullwidth(char: str) -> str:
    return chr(ord(char) + 0xFEE0)


def _mixes(name: str, change: dict[int, list[str]]) -> Iterator[str]:
    """``name`` with each combination of the ``change`` alternatives at its places, except
    ``name`` itself."""
    choices = [[char, *change.get(place, [])] for place, char in enumerate(name)]
    for letters in itertools.product(*choices):
        copy = "".join(letters)
        if copy != name:
            yield copy


def look_alikes(target: str) -> list[str]:
    """Every copy of ``target`` this attack tries, ``target`` itself first."""
    places = range(len(target) + 1)
    copies = [target]
    copies += [target[:at] + mark + target[at:] for mark in INVISIBLE for at in places]
    copies += [target[:at] + fill + target[at:] for fill in HANGUL_FILLERS for at in places]
    copies += [fill * count for fill in HANGUL_FILLERS for count in (1, 2, 3)]
    greek = list(_mixes(target, {at: list(HOMOGLYPHS.get(char, ""))
                                 for at, char in enumerate(target)}))
    copies += list(_mixes(target, {at: list(HOMOGLYPHS.get(char, "") + LATIN.get(char, ""))
                                   for at, char in enumerate(target)}))
    copies += [copy.upper() for copy in greek]
    copies += list(_mixes(target, {at: [_fullwidth(char)] for at, char in enumerate(target)}))
    copies += list(_mixes(target, {at: [char.swapcase()] for at, char in enumerate(target)}))
    return copies


COPIES = {name: target for target in (PRESENT, CONSOLE) for name in look_alikes(target)}
"""Every name the attack tries, with the name it copies."""
NAMES = list(COPIES)


def leaks(admitted: set[str]) -> list[str]:
    """The substitutions (U+03F2 for ``c``) found in admitted copies and in no refused
    one: what the name check misses. Changes of case alone are not counted."""
    def substitutions(name: str) -> set[tuple[str, str]]:
        target = COPIES[name]
        if len(name) != len(target):
            return set()
        return {(old.lower(), new) for old, new in zip(target, name, strict=True)
                if new.lower() != old.lower()}

    passed = set().union(*map(substitutions, admitted))
    refused = set().union(*(substitutions(name) for name in NAMES if name not in admitted))
    return [f"{new!r} (U+{ord(new):04X}) for {old!r}" for old, new in sorted(passed - refused)]


def _hello(port: int, name: str) -> Frame:
    """The server's answer to one ``hello`` as ``name``."""
    raw = RawChannel(port)
    try:
        raw.send({"type": "hello", "version": 1, "name": name})
        return raw.read_frame()
    finally:
        raw.sock.close()


def answer(name: str, frame: Frame) -> str:
    """``bad_name``, or ``name_taken`` by the user it copies: refused as it should be;
    ``admitted:<name>`` for a welcome, ``copied:<name>`` for a refusal only because an
    admitted copy (not yet gone) looks like it; else the error's code."""
    code = str(frame.get("code"))
    if frame.get("type") == "welcome":
        return f"admitted:{name}"
    if code != "name_taken":
        return code
    text = str(frame.get("text"))
    by_present = (name.casefold() == PRESENT.casefold()
                  or f"looks like {PRESENT!r}, who is already here" in text)
    return code if by_present else f"copied:{name}"


def send_hellos(first: int, stride: int, port: str) -> Counter[str]:
    """One attacker process: hellos as ``NAMES[first::stride]``, counted by ``answer``."""
    return Counter(answer(name, _hello(int(port), name)) for name in NAMES[first::stride])


def look_alike_names(data_dir: Path) -> Outcome:
    """Every copy in ``NAMES`` says hello while the user it copies chats."""

    def attack(server: ServerProcess, watch: RssWatch) -> Outcome:
        probe = Probe(server.ports, name=PRESENT)
        try:
            normal = probe.sample(SAMPLES)
            started = time.monotonic()
            attackers = Attackers(__name__, [str(server.ports.recv)])
            round_trips: list[float] = []
            while attackers.running() or len(round_trips) < SAMPLES:
                round_trips.append(probe.round_trip())
            answers = attackers.answers()
            elapsed = time.monotonic() - started
            rss = watch.settled()
        finally:
            probe.close()
        admitted = {key.split(":", 1)[1] for key in answers if key.startswith("admitted:")}
        copied = {key.split(":", 1)[1] for key in answers if key.startswith("copied:")}
        missed = leaks(admitted | copied)
        refused = answers["name_taken"] + answers["bad_name"]
        return Outcome(
            "look-alike names",
            f"{len(NAMES):,} look-alike hellos of {PRESENT!r} and {CONSOLE!r} in "
            f"{elapsed:.1f} s: {answers['name_taken']:,} name_taken, "
            f"{answers['bad_name']:,} bad_name, {len(admitted):,} admitted"
            + (f", {len(copied):,} refused only as copies of those" if copied else "")
            + (f" (they hold {', '.join(missed)})" if missed else ""),
            refused == len(NAMES), Latency(tuple(round_trips)), rss,
            figures={"latency_normal": normal.row(), "hellos": len(NAMES),
                     "answers": {key: count for key, count in answers.items()
                                 if ":" not in key},
                     "admitted": sorted(admitted), "copied": sorted(copied),
                     "leaks": missed})

    return against(data_dir, GENEROUS_FLAGS, attack)


if __name__ == "__main__":
    attacker_main(send_hellos)
