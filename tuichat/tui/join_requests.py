"""The rooms the user asked to join that the server has not answered yet, oldest first.

The server answers each ``join_room`` in the order it came: with that room's
``room_joined``, or with one ``error`` notice ``Room not joined: <reason>.`` that does not
always name the room (``you are in 20 rooms, ...``). So a refusal answers the oldest join
still waiting. (The client asks only for rooms it is not in, so "You are already in"
does not answer one.) A new session forgets them all: each join asked on the lost
connection was answered there or never will be, and the refusals of the rooms a hello
asks for again answer none of them.
"""

from __future__ import annotations

REFUSAL_LEAD = "Room not joined:"
"""How every refusal of a join starts."""


class JoinRequests:
    """The joins asked for and not answered, in the order they were sent."""

    def __init__(self) -> None:
        self._waiting: list[str] = []

    @property
    def waiting(self) -> tuple[str, ...]:
        return tuple(self._waiting)

    def ask(self, room: str) -> None:
        """A ``join_room`` for ``room`` was sent."""
        self._waiting.append(room)

    def joined(self, room: str) -> bool:
        """The server says we are in ``room``: True if it answers a join we asked for
        (the user wants it shown), False if the server put us there (a rejoin)."""
        if room not in self._waiting:
            return False
        self._waiting.remove(room)
        return True

    def refused(self, text: str) -> str | None:
        """An error notice ``text`` came: the room it refuses, or None if it refuses no
        join of ours."""
        if not text.startswith(REFUSAL_LEAD) or not self._waiting:
            return None
        return self._waiting.pop(0)

    def forget(self) -> None:
        """A new session began: nothing asked before is waiting any more."""
        self._waiting.clear()
