"""Fitting long lists (users, history) into frames of at most 64 KiB.

A ``welcome`` or ``history`` frame carries as much of its list as fits; what does not fit
follows as ordinary frames (``join`` with ``present``, ``message`` with ``replay``), so a
client that knows only the contract still ends up with the full, ordered picture.
"""

from __future__ import annotations

from collections.abc import Sequence

from tuichat.net.codec import json_length
from tuichat.net.frames import MAX_FRAME_BYTES, Frame


def pack_list(
    frame: Frame, key: str, items: Sequence[Frame], budget: int = MAX_FRAME_BYTES
) -> tuple[Frame, list[Frame]]:
    """Put the longest prefix of ``items`` under ``frame[key]`` that keeps the frame within
    ``budget`` bytes (newline included); return the frame and the items left over."""
    packed = {**frame, key: list(items)}
    if json_length(packed) + 1 <= budget:  # the common case: one encode, no counting
        return packed, []
    packed[key] = []
    used = json_length(packed) + 1
    count = 0
    for item in items:
        cost = json_length(item) + (1 if count else 0)
        if used + cost > budget:
            break
        used += cost
        count += 1
    packed[key] = list(items[:count])
    return packed, list(items[count:])


def newest_within(frames: Sequence[Frame], limit: int) -> tuple[list[Frame], bool]:
    """The newest frames (oldest first) whose encoded size adds up to at most ``limit``
    bytes, and whether older ones had to be left out."""
    total = 0
    start = len(frames)
    while start > 0:
        cost = json_length(frames[start - 1]) + 1
        if total + cost > limit:
            break
        total += cost
        start -= 1
    return list(frames[start:]), start > 0
