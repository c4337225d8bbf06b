"""Fitting long lists (users, history) into frames of at most 64 KiB.

A ``welcome`` or ``history`` frame carries as much of its list as fits; what does not fit
follows as ordinary frames (``join`` with ``present``, ``message`` with ``replay``), so a
client that knows only the contract still ends up with the full, ordered picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate
from typing import TypeVar

from tuichat.net.codec import json_length
from tuichat.net.frames import MAX_FRAME_BYTES, Frame

T = TypeVar("T")


def pack_list(
    frame: Frame, key: str, items: Sequence[Frame], budget: int = MAX_FRAME_BYTES,
    lengths: Sequence[int] | None = None,
) -> tuple[Frame, list[Frame]]:
    """Put the longest prefix of ``items`` under ``frame[key]`` that keeps the frame within
    ``budget`` bytes (newline included); return the frame and the items left over.
    ``lengths``: each item's ``json_length``, when the caller knows them already."""
    packed = {**frame, key: list(items)}
    if lengths is None and json_length(packed) + 1 <= budget:  # often: one encode, no count
        return packed, []
    packed[key] = []
    used = json_length(packed) + 1
    count = 0
    costs = lengths if lengths is not None else (json_length(item) for item in items)
    for cost in accumulate(costs, lambda total, length: total + length + 1):
        if used + cost > budget:
            break
        count += 1
    packed[key] = list(items[:count])
    return packed, list(items[count:])


def newest_within(frames: Sequence[T], limit: int,
                  lengths: Sequence[int] | None = None) -> tuple[list[T], bool]:
    """The newest frames (oldest first) whose encoded size adds up to at most ``limit``
    bytes, and whether older ones had to be left out; ``lengths`` as for ``pack_list``."""
    total = 0
    start = len(frames)
    while start > 0:
        length = lengths[start - 1] if lengths is not None else json_length(frames[start - 1])
        cost = length + 1
        if total + cost > limit:
            break
        total += cost
        start -= 1
    return list(frames[start:]), start > 0
