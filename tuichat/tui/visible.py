"""Untrusted text made safe to draw: no character in it can steer the terminal."""

from __future__ import annotations

_PICTURES = {code: chr(0x2400 + code) for code in range(0x20) if code != 0x0A}
_PICTURES |= {0x7F: "\u2421"} | {code: "\ufffd" for code in range(0x80, 0xA0)}
_BIDI_CONTROLS = (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
"""Embeddings, overrides and isolates: in a terminal that reorders right-to-left text,
an unclosed one reverses whatever else is drawn on the row (another user's name, the
user list). The marks U+200E and U+200F only nudge neutral characters and stay."""
_PICTURES |= {code: "\ufffd" for code in _BIDI_CONTROLS}


def visible(text: str) -> str:
    """``text`` with control characters (newlines aside) shown as their Unicode pictures
    and bidi controls as U+FFFD, one character for one, so offsets into it still hold."""
    return text.translate(_PICTURES)
