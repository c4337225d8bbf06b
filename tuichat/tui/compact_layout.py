"""The chat log's compact layout: a message of one line takes one row, as in IRC.

A row holds a cue (the sender's picture two columns wide and one row tall: four pixels),
the time, the name, then the text. A longer message wraps under its text's first column.
A message that continues its sender's run leaves blanks where the cue and name were, so
the run reads as one block. ``MessageLog`` decides what an entry says and how it is
styled; this module arranges those parts into rows (and a whois card beside its whole
picture), and says when "auto" means compact.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip

CUE_COLUMNS = 2
"""The picture beside a compact row: two cells of two pixels each."""
GUTTER = CUE_COLUMNS + 1
AUTO_BELOW_COLUMNS = 60
AUTO_BELOW_ROWS = 30
"""With no choice made, a terminal narrower or shorter than this shows the compact layout."""
LEAD_SHARE = 0.6
"""The time and name take at most this share of the text column; the text keeps the rest."""
_SPACE = Strip([Segment(" ", Style.null())], 1)


def auto_compact(terminal: Size) -> bool:
    """True if a terminal of this size should show the compact layout when the user has
    not chosen one."""
    return terminal.width < AUTO_BELOW_COLUMNS or terminal.height < AUTO_BELOW_ROWS


def lead_limit(text_width: int) -> int:
    """The widest the part before the text may be in a text column this wide."""
    return int(text_width * LEAD_SHARE)


def lead_width(title: int, when: int, limit: int) -> int:
    """The cells ``lead`` takes for a title and a time of these widths."""
    return min(limit, (when + 1 if when else 0) + (title + 1 if title else 0))


def lead(title: Text, when: str, time_style: Style, *, continued: bool, limit: int) -> Text:
    """What goes before the text on an entry's first row: the time, the title (blanks as
    wide when ``continued``), and a space; cut with an ellipsis to ``limit`` cells."""
    head = Text()
    if when:
        head.append(when, time_style)
        head.append(" ")
    if title.cell_len:
        head.append(" " * title.cell_len) if continued else head.append_text(title)
        head.append(" ")
    if head.cell_len > limit:
        if limit < 2:  # no room for even an ellipsis and the space after it
            return Text(" " * limit)
        head.truncate(limit - 1, overflow="ellipsis")
        head.append(" " * (limit - head.cell_len))
    return head


def hang(head: Text, lines: list[Text]) -> list[Text]:
    """``lines`` after ``head``: the first beside it, the others indented as far."""
    first, *rest = lines or [Text()]
    indent = " " * head.cell_len
    return [Text.assemble(head, first), *(Text.assemble(indent, line) for line in rest)]


def beside(picture: list[Text], lines: list[Text], columns: int) -> list[Text]:
    """``lines`` to the right of ``picture`` (``columns`` wide) and a space, as many rows
    as the taller of the two."""
    blank = Text(" " * columns)
    return [Text.assemble(picture[row] if row < len(picture) else blank, " ",
                          lines[row] if row < len(lines) else "")
            for row in range(max(len(picture), len(lines)))]


def cue(picture: list[Strip]) -> Strip:
    """The gutter of an entry's first row: the first row of its picture, ``CUE_COLUMNS``
    wide (the provider draws it at that size), and a space."""
    row = picture[0].crop_extend(0, CUE_COLUMNS, None) if picture else Strip.blank(CUE_COLUMNS)
    return Strip.join([row, _SPACE])


def layout_words(choice: bool | None, compacted: bool) -> str:
    """What ``/compact`` says: the layout chosen (``choice``) and the one drawn."""
    drawn = ("Compact layout: one row per line, a small picture beside it." if compacted
             else "Full layout: each run of messages beside its sender's picture.")
    if choice is None:
        return (f"{drawn} It follows the terminal's size: compact below "
                f"{AUTO_BELOW_COLUMNS} columns or {AUTO_BELOW_ROWS} rows.")
    return f"{drawn} /compact auto lets the terminal's size choose."
