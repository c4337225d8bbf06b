"""The history a joining client is sent, chosen and encoded once, not once per join.

A join asks for the newest messages, or those after its ``since``, within the replay
limit. Choosing them costs a query and a JSON encoding of every message, several times
over (to measure them, to pack the welcome, to send the rest): about 45 ms of the loop for
a full 2 MiB replay. So each message's frame, its size and its encoded ``replay`` line are
kept per seq (a stored message never changes), up to ``CACHE_BYTES``, and the last few
selections are kept per (``since``, history version): a burst of joins with the same
``since`` costs one query, and each message is encoded once while it stays in the cache.
Each room has its own cache (its own history and seqs); outside the default room the
replay lines carry the room's name.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from tuichat.net.codec import encode, json_length
from tuichat.net.frames import SINCE_HISTORY, WELCOME_HISTORY, Frame, Message
from tuichat.server.core.requests import Resume
from tuichat.server.doors.native.packing import newest_within
from tuichat.server.store.history import History

CACHE_BYTES = 8 * 1024 * 1024
"""Encoded replay lines kept at most (four full replays at the default limit)."""
SELECTIONS = 4
"""Selections kept: the welcome's newest, ``since=0`` and a few reconnects' ``since``."""


@dataclass(frozen=True, slots=True)
class Replayed:
    """One stored message as a joining client gets it."""

    frame: Frame
    """Its ``message`` frame, to go into the welcome's ``history``."""
    length: int
    """``json_length(frame)``: its size inside the welcome."""
    line: bytes
    """The frame with ``replay`` set, encoded: what is sent when the welcome is full."""


@dataclass(frozen=True, slots=True)
class Selection:
    """The messages a join gets, oldest first, and whether older ones were left out."""

    messages: tuple[Replayed, ...]
    truncated: bool

    @property
    def frames(self) -> list[Frame]:
        """The messages' frames, oldest first."""
        return [message.frame for message in self.messages]

    @property
    def lengths(self) -> list[int]:
        """The frames' sizes, as ``packing`` takes them."""
        return [message.length for message in self.messages]


class ReplayCache:
    """Chooses and encodes the replay of a join; used from the reactor thread only."""

    def __init__(self, history: History, replay_limit: int,
                 cache_bytes: int = CACHE_BYTES, *, room: str | None = None) -> None:
        """``room``: the name replay lines carry (None in the default room)."""
        self._history = history
        self._room = room
        self._replay_limit = replay_limit
        self._cache_bytes = cache_bytes
        self._messages: OrderedDict[int, Replayed] = OrderedDict()
        self._bytes = 0
        self._selections: OrderedDict[tuple[int | None, int], Selection] = OrderedDict()

    def select(self, resume: Resume) -> Selection:
        """What a join whose log ends at ``resume`` gets: the newest after its ``since``
        when that is a seq of this history (0 included) and its epoch, if given, is this
        history's; else the newest. ``truncated`` also when a ``since`` was given that is
        not such a seq (the client cannot rely on it)."""
        history = self._history
        since = resume.since
        valid = (since is not None and 0 <= since <= history.last_seq
                 and (resume.epoch is None or resume.epoch == history.epoch))
        selection = self._selection(since if valid else None)
        given = since is not None or resume.unusable
        if not valid and given and not selection.truncated:
            return Selection(selection.messages, True)
        return selection

    def _selection(self, after: int | None) -> Selection:
        key = (after, self._history.changes)
        selection = self._selections.get(key)
        if selection is None:
            if after is None:
                stored, truncated = self._history.recent(WELCOME_HISTORY), False
            else:
                stored, truncated = self._history.since(after, SINCE_HISTORY)
            messages = [self._replayed(message) for message in stored]
            kept, capped = newest_within(messages, self._replay_limit,
                                         [message.length for message in messages])
            selection = Selection(tuple(kept), truncated or capped)
            self._selections[key] = selection
            while len(self._selections) > SELECTIONS:
                self._selections.popitem(last=False)
        self._selections.move_to_end(key)
        return selection

    def _replayed(self, message: Message) -> Replayed:
        """``message`` as a join gets it, from the cache or encoded now (and kept)."""
        cached = self._messages.get(message.seq)
        if cached is not None:
            self._messages.move_to_end(message.seq)
            return cached
        frame = message.to_frame()
        line = ({**frame, "replay": True} if self._room is None
                else {"type": frame["type"], "room": self._room, **frame, "replay": True})
        replayed = Replayed(frame, json_length(frame), encode(line))
        self._messages[message.seq] = replayed
        self._bytes += len(replayed.line)
        while self._bytes > self._cache_bytes and len(self._messages) > 1:
            _, dropped = self._messages.popitem(last=False)
            self._bytes -= len(dropped.line)
        return replayed
