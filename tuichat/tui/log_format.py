"""How the chat log turns an entry into styled lines of text, and counts them.

``EntryFormat`` holds what the drawing depends on (my name, the Markdown, emoji and time
settings, the layout and its width, the search's pattern) and the lookups worth caching
(component styles, name colours, rendered Markdown). Its row counts and its drawing agree
by construction: ``count_rows`` wraps the same text ``body_lines`` draws. Where entries go
is ``log_layout``'s job; this module only formats one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rich._wrap import divide_line
from rich.cells import cell_len
from rich.emoji import Emoji
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.widget import Widget

from tuichat.net.frames import CONSOLE
from tuichat.tui import compact_layout
from tuichat.tui.log_entries import (
    ACTION_MARK,
    AVATAR_ROWS,
    EVENT_MARK,
    GUTTER,
    LINE_KINDS,
    LOCAL_MARK,
    PEOPLE_KINDS,
    EntryKind,
    LogEntry,
    local_datetime,
)
from tuichat.tui.log_markdown import looks_like_markdown, markdown_lines
from tuichat.tui.log_search import LogSearch
from tuichat.tui.name_colours import NameColours
from tuichat.tui.visible import visible

COMPONENTS = ("name", "console", "time", "event", "notice", "error", "local", "local-error",
              "mention", "url", "action", "private", "motd", "match", "match-current",
              "marker")
"""The parts of an entry styled apart: the owner's ``message-log--*`` component classes."""
MOTD_TITLE = "Message of the day"
PROFILE_TITLE = "· whois"
"""After the name in the header of a ``whois`` answer."""
MARKER_LABEL = " new messages "
"""The unread marker's words, centred in a rule across the text column."""
_URL = re.compile(r"(?:https?|ftp)://[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]}]", re.IGNORECASE)
_LONG_TITLES = frozenset({EntryKind.PRIVATE, EntryKind.PROFILE, EntryKind.MOTD})
"""Kinds whose title is more than the sender's name."""
_MARKDOWN_KINDS = frozenset({EntryKind.MESSAGE, EntryKind.PRIVATE, EntryKind.MOTD})
_EMOJI_KINDS = PEOPLE_KINDS | {EntryKind.MOTD}
_KIND_STYLES = {EntryKind.NOTICE: "notice", EntryKind.ERROR: "error", EntryKind.MOTD: "motd",
                EntryKind.PROFILE: "notice", EntryKind.LOCAL: "local",
                EntryKind.LOCAL_ERROR: "local-error"}
"""Component styles of the whole text of notices, the server's and the client's."""


class EntryFormat:
    """The styled text of log entries for one widget's settings, styles and width."""

    def __init__(self, owner: Widget, time_format: Callable[[float], str], me: str,
                 search: LogSearch) -> None:
        self._owner = owner
        """The widget whose ``message-log--*`` component styles and console are used."""
        self._time_format = time_format
        self._me = me
        self._mention = _mention_pattern(me)
        self.markdown = True
        self.emoji = True
        self.time_mode = "time"
        self.compacted = False
        """The layout drawn: ``compact`` chosen, or picked by the terminal's size."""
        self.width = 0
        """The content width the layout is for; 0 until the widget has a size."""
        self._search = search
        """Whose pattern is highlighted."""
        self._styles: dict[str, Style] = {}
        self._names: NameColours | None = None
        self._rendered: LRUCache[tuple[str, int], list[Text]] = LRUCache(256)
        """Markdown bodies rendered by rich, keyed by (source, width); their row counts."""

    @property
    def me(self) -> str:
        """The user's name; others' messages mentioning it are highlighted."""
        return self._me

    @me.setter
    def me(self, name: str) -> None:
        self._me = name
        self._mention = _mention_pattern(name)

    @property
    def gutter_width(self) -> int:
        """The cells left of the text: the avatar's, or the compact cue's."""
        return compact_layout.GUTTER if self.compacted else GUTTER

    @property
    def text_width(self) -> int:
        """The cells of the text column."""
        return max(1, self.width - self.gutter_width)

    def clear(self) -> None:
        """Forget the looked-up styles, name colours and rendered Markdown."""
        self._styles.clear()
        self._names = None
        self._rendered.clear()

    def is_me(self, sender: str) -> bool:
        """True if ``sender`` is the user."""
        return sender.casefold() == self._me.casefold()

    def mentions_me(self, entry: LogEntry) -> bool:
        """True if ``entry`` is a message, action or private message of another naming me."""
        return (
            self._mention is not None
            and entry.kind in PEOPLE_KINDS
            and not self.is_me(entry.sender)
            and self._mention.search(entry.text) is not None
        )

    def count_rows(self, entry: LogEntry) -> int:
        """Rows of the entry's body, as it will be drawn (a compact card: beside its
        picture)."""
        rows = self._count_body_rows(entry)
        return max(rows, AVATAR_ROWS) if self.is_card(entry) else rows

    def _count_body_rows(self, entry: LogEntry) -> int:
        """Rows of the entry's text.

        Most chat lines fit and take the short path. Others are counted with the line
        breaker that ``Text.wrap`` itself uses, without building Text objects: a third
        faster, which matters when every entry is laid out again on a resize. Markdown is
        rendered, and its lines kept for drawing.
        """
        text = self.display(entry)
        width = self.body_width(entry)
        if self._is_markdown(entry, text):
            return len(self._markdown_lines(text, width))
        plain = text
        if entry.kind in LINE_KINDS:
            prefix, suffix = self._affixes(entry)
            plain = f"{prefix}{text}{suffix}"
        if "\n" not in plain and cell_len(plain) <= width:
            return 1
        return sum(len(divide_line(line, width, fold=True)) + 1 for line in plain.split("\n"))

    def display(self, entry: LogEntry) -> str:
        """The entry's text as shown: control characters pictured, shortcodes as emoji."""
        text = visible(entry.text)
        if self.emoji and text.count(":") > 1 and entry.kind in _EMOJI_KINDS:
            return Emoji.replace(text)
        return text

    def _is_markdown(self, entry: LogEntry, text: str) -> bool:
        return self.markdown and entry.kind in _MARKDOWN_KINDS and looks_like_markdown(text)

    def _affixes(self, entry: LogEntry) -> tuple[str, str]:
        """What a line kind's body has before and after its text (nothing for others)."""
        if entry.kind is EntryKind.EVENT:
            prefix = f"{EVENT_MARK} "
        elif entry.kind is EntryKind.ACTION:
            prefix = f"{ACTION_MARK} {visible(entry.sender)} "
        elif entry.kind in (EntryKind.LOCAL, EntryKind.LOCAL_ERROR):
            prefix = f"{LOCAL_MARK} "
        else:
            return "", ""
        when = "" if self.compacted else self._time(entry.ts)  # compact: it leads the row
        return prefix, f"  {when}" if when else ""

    def _time(self, ts: float) -> str:
        if self.time_mode == "off":
            return ""
        return local_datetime(ts) if self.time_mode == "datetime" else self._time_format(ts)

    def body_lines(self, entry: LogEntry, *, current: bool) -> list[Text]:
        """The entry's body wrapped to its width, styled; ``current`` if it holds the
        current search match."""
        text = self.display(entry)
        width = self.body_width(entry)
        body: list[Text] = []
        if self._is_markdown(entry, text):
            for line in self._markdown_lines(text, width):
                line = line.copy()
                self._decorate(line, 0, len(line), entry, current)
                body.append(line)
        else:
            console = self._owner.app.console
            body += self._body(entry, text, current).wrap(console, width, overflow="fold")
        return body

    def is_card(self, entry: LogEntry) -> bool:
        """True for a whois card in the compact layout: drawn beside the full picture,
        which is what the card is for."""
        return self.compacted and entry.kind is EntryKind.PROFILE

    def body_width(self, entry: LogEntry) -> int:
        """The cells a body wraps at: the text column, less the lead when compact."""
        if not self.compacted:
            return self.text_width
        if entry.kind in LINE_KINDS:
            title = 0
        elif entry.kind in _LONG_TITLES:
            title = self._title(entry).cell_len
        else:  # the common case, kept cheap: laying out counts every entry
            title = cell_len(visible(entry.sender))
        lead = compact_layout.lead_width(title, cell_len(self._time(entry.ts)),
                                         compact_layout.lead_limit(self.text_width))
        picture = GUTTER if self.is_card(entry) else 0
        return max(1, self.text_width - lead - picture)

    def lead(self, entry: LogEntry, *, continued: bool) -> Text:
        """The compact row's time and title, before the text."""
        title = Text() if entry.kind in LINE_KINDS else self._title(entry)
        limit = compact_layout.lead_limit(self.text_width)
        return compact_layout.lead(title, self._time(entry.ts), self._style("time"),
                                   continued=continued, limit=limit)

    def marker_line(self) -> Text:
        """The unread marker: a rule across the text column."""
        rule = MARKER_LABEL.center(self.text_width, "─")[: self.text_width]
        return Text.assemble((rule, self._style("marker")))

    def header(self, entry: LogEntry) -> Text:
        """The row above a run: who it is from and when."""
        header = self._title(entry)
        when = self._time(entry.ts)
        if when:
            header.append(" ")
            header.append(when, self._style("time"))
        header.truncate(self.text_width, overflow="ellipsis")
        return header

    def _title(self, entry: LogEntry) -> Text:
        """Who an entry is from, styled: the header's start, the compact row's name."""
        header = Text()
        if entry.kind is EntryKind.MOTD:
            header.append(MOTD_TITLE, self._style("name") + self._style("motd"))
        elif entry.sender == CONSOLE:
            header.append(entry.sender, self._style("console"))
        else:
            header.append(*self._coloured(entry.sender))
            if entry.kind is EntryKind.PROFILE:
                header.append(f" {PROFILE_TITLE}", self._style("notice"))
            if entry.kind is EntryKind.PRIVATE:
                private = self._style("private")
                header.append(" → ", private)
                header.append(*self._coloured(entry.peer or self._me or "you"))
                header.append(" · private", private)
        return header

    def _coloured(self, name: str) -> tuple[str, Style]:
        """A user's name in its colour."""
        name = visible(name)
        return name, self._style("name") + self._name_colours.style(name)

    def _body(self, entry: LogEntry, text: str, current: bool) -> Text:
        """The plain body with its styles: kind, URLs, mentions of me, search matches."""
        prefix, suffix = self._affixes(entry)
        body = Text(f"{prefix}{text}{suffix}")
        start, end = len(prefix), len(prefix) + len(text)
        if entry.kind is EntryKind.EVENT:
            body.stylize(self._style("event"))
        elif entry.kind is EntryKind.ACTION:
            name_end = len(prefix) - 1
            body.stylize(self._style("name") + self._name_colours.style(entry.sender), 2,
                         name_end)
            body.stylize(self._style("action"), start, end)
        elif entry.kind in _KIND_STYLES:
            body.stylize(self._style(_KIND_STYLES[entry.kind]))
        if suffix:
            body.stylize(self._style("time"), end + 2)
        self._decorate(body, start, end, entry, current)
        return body

    def _decorate(self, text: Text, start: int, end: int, entry: LogEntry, current: bool) -> None:
        """Style URLs, mentions of me and search matches between ``start`` and ``end``."""
        plain = text.plain
        if entry.kind is not EntryKind.EVENT:
            url_style = self._style("url")
            for match in _URL.finditer(plain, start, end):
                text.stylize(url_style + Style(link=match.group()), match.start(), match.end())
        if self._mention and entry.kind in PEOPLE_KINDS and not self.is_me(entry.sender):
            mention_style = self._style("mention")
            for match in self._mention.finditer(plain, start, end):
                text.stylize(mention_style, match.start(), match.end())
        search = self._search.pattern
        if search is not None:
            match_style = self._style("match-current" if current else "match")
            for match in search.finditer(plain, start, end):
                text.stylize(match_style, match.start(), match.end())

    def _markdown_lines(self, text: str, width: int) -> list[Text]:
        """``text`` rendered as Markdown ``width`` cells wide, one Text per row (cached)."""
        lines = self._rendered.get((text, width))
        if lines is None:
            lines = markdown_lines(self._owner.app.console, text, width)
            self._rendered.set((text, width), lines)
        return lines

    @property
    def _name_colours(self) -> NameColours:
        """How names are coloured here, worked out once per theme."""
        if self._names is None:
            self._names = NameColours.of(self._owner)
        return self._names

    def _style(self, component: str) -> Style:
        """A component's style, looked up once per stylesheet (the lookup is slow)."""
        style = self._styles.get(component)
        if style is None:
            style = self._styles[component] = self._owner.get_component_rich_style(
                f"message-log--{component}", partial=True)
        return style


def _mention_pattern(name: str) -> re.Pattern[str] | None:
    """A case-insensitive match of ``name`` as a whole word, or None for no name."""
    if not name:
        return None
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
