"""Markdown in chat bodies: telling a body that uses it, and rendering it a row at a time.

Chat lines are mostly plain, so a cheap look (``looks_like_markdown``) decides first; the
few bodies that pass are parsed by one shared parser and rendered by rich at the width of
the text column, one Text per row, to be styled further by the log.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.console import Console
from rich.segment import Segment
from rich.text import Text

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from rich.markdown import Markdown

SHRUG = "¯\\_(ツ)_/¯"
"""The shrug as people type it; Markdown would take its backslash for an escape."""
_SHRUG_ESCAPED = SHRUG.replace("\\", "\\\\").replace("_", "\\_")
CODE_THEME = "monokai"
"""Syntax colours of fenced code, on a dark block that stands out from the text."""

_MARKDOWN_HINT = re.compile(r"[*_`>\n]")
"""A character without which a one-line body cannot hold the Markdown looked for."""
_MARKDOWN = re.compile(
    r"^(?:[-*] |\d+[.)] |> |```)"  # a list item, quote or code fence starts a line
    r"|`[^`\n]+`"  # inline code
    r"|(?<![\w*])\*{1,2}(?=[^\s*])[^*\n]*(?<=[^\s*])\*{1,2}(?![\w*])"  # *emphasis*, **strong**
    r"|(?<!\w)_(?=[^\s_])[^_\n]*(?<=[^\s_])_(?!\w)",  # _emphasis_
    re.MULTILINE,
)


def looks_like_markdown(text: str) -> bool:
    """True if ``text`` has emphasis, inline code, a list, a quote or a code fence."""
    hinted = _MARKDOWN_HINT.search(text) or text.startswith("- ") or text[:1].isdigit()
    return bool(hinted) and _MARKDOWN.search(text) is not None


def markdown_lines(console: Console, text: str, width: int) -> list[Text]:
    """``text`` rendered as Markdown ``width`` cells wide, one Text per row, without the
    blank lines rich puts around some blocks."""
    markdown = _parse_markdown(_hard_breaks(text).replace(SHRUG, _SHRUG_ESCAPED))
    rendered = console.render_lines(markdown, console.options.update_width(width), pad=False)
    lines = [segments_text(line) for line in rendered]
    while lines and not lines[-1].plain:
        lines.pop()
    while lines and not lines[0].plain:
        del lines[0]
    return lines


def segments_text(segments: list[Segment]) -> Text:
    """A rendered line as Text, to be styled further (control segments dropped)."""
    text = Text()
    for segment in segments:
        if not segment.control:
            text.append(segment.text, segment.style)
    return text


@lru_cache(maxsize=1)
def _markdown_kit() -> tuple[Markdown, MarkdownIt]:
    """An empty Markdown renderable to copy, and a parser made as rich makes its own.

    Imported and made once, the first time a body needs them: the import takes 0.15 s,
    and making a parser takes four times as long as parsing a chat message with it.
    """
    from markdown_it import MarkdownIt
    from rich.markdown import Markdown

    template = Markdown("", code_theme=CODE_THEME, hyperlinks=True)
    return template, MarkdownIt().enable("strikethrough").enable("table")


def prepare() -> None:
    """Import and make the Markdown kit now, not at the first message (the SSH door's
    zygote does, so that the sessions it forks share it and do not each pay for it)."""
    _markdown_kit()


def _parse_markdown(text: str) -> Markdown:
    """rich's Markdown renderable of ``text``, parsed by the shared parser."""
    template, parser = _markdown_kit()
    markdown = copy.copy(template)
    markdown.markup, markdown.parsed = text, parser.parse(text)
    return markdown


def _hard_breaks(text: str) -> str:
    """``text`` with its line breaks kept by Markdown (outside code fences), as typed."""
    lines = text.split("\n")
    fenced = False
    for number, line in enumerate(lines[:-1]):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and line.strip():
            lines[number] = line + "  "
    return "\n".join(lines)
