"""A room: its name, its members, and its history with the topic and message of the day."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tuichat.server.core.members import Member
    from tuichat.server.store.history import History


class Room:
    """One room; members are kept by key, in the order they joined."""

    __slots__ = ("__weakref__", "file_work", "history", "members", "motd", "name")

    def __init__(self, name: str, history: History, motd: str | None) -> None:
        self.name = name
        self.history = history
        self.members: dict[str, Member] = {}
        self.motd = motd
        """The message of the day shown on joining the room."""
        self.file_work: str | None = None
        """The usage of the admin file command at work on the room (``admin -s``), if one is."""

    def __repr__(self) -> str:
        return f"<Room {self.name} ({len(self.members)} members)>"

    @property
    def topic(self) -> str | None:
        """The room's topic, kept with its history."""
        return self.history.topic

    @property
    def unused(self) -> bool:
        """True when nothing keeps the room: no member, no message, no topic, no motd."""
        return (not self.members and self.topic is None and self.motd is None
                and not self.history.has_messages)
