"""The largest screen a door's session may ask for: a client draws every cell it is given,
so a window of 10,000 by 10,000 (an SSH window change, a browser's resize) would cost its
machine gigabytes and flood the connection."""

from __future__ import annotations

MAX_COLUMNS = 1000
MAX_ROWS = 500
"""Beyond an 8K display at a small font; larger asks are drawn at this size."""


def bounded(columns: int, rows: int) -> tuple[int, int]:
    """``columns`` and ``rows`` within 1 and the largest screen; 0 (not given) is 80x24."""
    return (min(max(columns, 1), MAX_COLUMNS) if columns else 80,
            min(max(rows, 1), MAX_ROWS) if rows else 24)
