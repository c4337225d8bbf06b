"""Who is in the room, kept up to date from welcome, join, leave and change frames."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tuichat.net.frames import Frame, FrameType


@dataclass
class Member:
    """One user present: name, avatar hash (None: none uploaded), admin badge, away text."""

    name: str
    avatar: str | None = None
    admin: bool = False
    away: str | None = None
    """Why the user is away (``/away``), or None while they are here."""


def _member(frame: Frame) -> Member | None:
    name = frame.get("name")
    if not isinstance(name, str) or not name:
        return None
    avatar, away = frame.get("avatar"), frame.get("away")
    return Member(name, avatar if isinstance(avatar, str) else None, frame.get("admin") is True,
                  away if isinstance(away, str) and away else None)


class Roster:
    """The users present, in the order they joined; names compare case-insensitively."""

    def __init__(self) -> None:
        self._members: dict[str, Member] = {}

    def __len__(self) -> int:
        return len(self._members)

    def __iter__(self) -> Iterator[Member]:
        return iter(list(self._members.values()))

    def get(self, name: str) -> Member | None:
        return self._members.get(name.casefold())

    @property
    def names(self) -> list[str]:
        return [member.name for member in self._members.values()]

    def reset(self, users: object) -> None:
        """Replace everyone with the ``users`` list of a welcome frame."""
        self._members.clear()
        for user in users if isinstance(users, list) else []:
            member = _member(user) if isinstance(user, dict) else None
            if member is not None:
                self._members[member.name.casefold()] = member

    def apply(self, frame: Frame) -> Member | None:
        """Apply a presence frame; the member it concerned, or None if nothing changed."""
        kind = frame.get("type")
        member = _member(frame)
        if member is None:
            return None
        key = member.name.casefold()
        if kind == FrameType.JOIN:
            self._members[key] = member
            return member
        if kind == FrameType.LEAVE:
            return self._members.pop(key, None)
        known = self._members.get(key)
        if known is None:
            return None
        if kind == FrameType.AVATAR_CHANGED:
            known.avatar = member.avatar
            return known
        if kind == FrameType.USER_CHANGED:
            known.avatar, known.admin, known.away = member.avatar, member.admin, member.away
            return known
        return None
