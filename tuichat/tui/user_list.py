"""The user list: a small avatar, the name in its colour, an admin badge and away state."""

from __future__ import annotations

from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tuichat.tui.name_colours import NameColours
from tuichat.tui.roster import Member
from tuichat.tui.visible import visible

AVATAR_COLUMNS = 4
ROWS_PER_USER = AVATAR_COLUMNS // 2
ADMIN_BADGE = "@"
AWAY_LABEL = "away"

StripsFor = Callable[[Member, int], list[Strip]]


class UserList(ScrollView, can_focus=False):
    """Everyone present, admins first, then by name; two rows per user; away ones dimmed,
    with their away text on the second row."""

    COMPONENT_CLASSES = {"user-list--admin", "user-list--me", "user-list--away"}

    def __init__(self, avatars: StripsFor, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._avatars = avatars
        self._names: NameColours | None = None
        self._members: list[Member] = []
        self.me = ""

    def show(self, members: list[Member]) -> None:
        """Show these members (sorted here) and repaint."""
        self._members = sorted(members, key=lambda member: (not member.admin,
                                                            member.name.casefold()))
        self.virtual_size = Size(self.size.width, len(self._members) * ROWS_PER_USER)
        self.refresh()

    def notify_style_update(self) -> None:
        """The theme changed: names are coloured for its background again."""
        super().notify_style_update()
        self._names = None

    @property
    def shown_names(self) -> list[str]:
        return [member.name for member in self._members]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index, row = divmod(y + scroll_y, ROWS_PER_USER)
        width = self.size.width
        if index >= len(self._members):
            return Strip.blank(width, self.rich_style)
        member = self._members[index]
        picture = self._avatars(member, AVATAR_COLUMNS)[row]
        segments = [*picture, Segment(" ", self.rich_style)]
        away = Style()
        if member.away:
            away = self.get_component_rich_style("user-list--away", partial=True)
        if row == 0:
            if self._names is None:
                self._names = NameColours.of(self)
            style = self.rich_style + self._names.style(member.name)
            if member.name == self.me:
                style += self.get_component_rich_style("user-list--me", partial=True)
            segments.append(Segment(member.name, style + away))
            if member.admin:
                badge = self.get_component_rich_style("user-list--admin", partial=True)
                segments.append(Segment(f" {ADMIN_BADGE}", self.rich_style + badge))
        elif row == 1 and member.away:
            segments.extend(self._away_note(member.away, width - AVATAR_COLUMNS - 1, away))
        strip = Strip(segments).crop_extend(scroll_x, scroll_x + width, self.rich_style)
        return strip.simplify()

    def _away_note(self, text: str, width: int, away: Style) -> list[Segment]:
        """``away: TEXT`` (or ``away`` alone), cut to ``width`` with an ellipsis."""
        note = Text(AWAY_LABEL if text == AWAY_LABEL else f"{AWAY_LABEL}: {visible(text)}",
                    end="")
        note.truncate(max(1, width), overflow="ellipsis")
        return [Segment(segment.text, self.rich_style + away)
                for segment in note.render(self.app.console)]
