"""Who is in a room, kept up to date from the welcome (or ``room_joined``) and presence."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tuichat.net.updates import AvatarChanged, UserChanged, UserJoined, UserLeft, UserRecord

Presence = UserJoined | UserLeft | AvatarChanged | UserChanged


@dataclass
class Member:
    """One user present: name, avatar hash (None: none uploaded), admin badge, away text."""

    name: str
    avatar: str | None = None
    admin: bool = False
    away: str | None = None
    """Why the user is away (``/away``), or None while they are here."""

    @classmethod
    def of(cls, user: UserRecord) -> Member:
        return cls(user.name, user.avatar, user.admin, user.away)


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

    def reset(self, users: Iterable[UserRecord]) -> None:
        """Replace everyone with the users of a welcome (or ``room_joined``)."""
        self._members = {user.name.casefold(): Member.of(user) for user in users}

    def hold(self, members: Iterable[Member]) -> None:
        """Replace everyone with these members (a private conversation's two)."""
        self._members = {member.name.casefold(): member for member in members}

    def apply(self, update: Presence) -> Member | None:
        """Apply a presence update; the member it concerned, or None if nothing changed."""
        if isinstance(update, UserJoined):
            member = Member.of(update.user)
            self._members[member.name.casefold()] = member
            return member
        if isinstance(update, UserLeft):
            return self._members.pop(update.name.casefold(), None)
        if isinstance(update, AvatarChanged):
            known = self.get(update.name)
            if known is not None:
                known.avatar = update.avatar
            return known
        known = self.get(update.user.name)
        if known is not None:
            known.avatar, known.admin, known.away = (update.user.avatar, update.user.admin,
                                                     update.user.away)
        return known
