"""The chat screen's words for what happened: durations, departures, why a session ended,
a room's topic."""

from __future__ import annotations

from tuichat.net.updates import UserLeft
from tuichat.tui.conversations import Conversation

LEAVE_WORDS = {
    "quit": "left",
    "timeout": "timed out",
    "error": "was disconnected by an error",
    "kicked": "was kicked",
    "shutdown": "left (server shutting down)",
}


def ago(seconds: float) -> str:
    """A duration in the largest whole units that matter: "3 h 5 min", "40 s"."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{secs} s"


def leave_words(left: UserLeft) -> str:
    """What happened to a user who left, e.g. "was kicked by alice: spam"."""
    if left.parted:
        return "left the room"
    words = LEAVE_WORDS.get(left.reason, f"left ({left.reason})")
    if left.reason == "kicked" and left.by is not None:
        words = f"was {'banned' if left.banned else 'kicked'} by {left.by}"
        if left.text:
            words += f": {left.text}"
    return words


def end_words(reason: str) -> str:
    """Why the session ended, for the status line: "kicked by alice: spam"."""
    reason = reason.rstrip(".")
    for lead in ("You were ", "Your address is "):
        if reason.startswith(lead):
            return reason.removeprefix(lead)
    return reason


def delay_words(delay: float) -> str:
    """A back-off delay in words: whole seconds, never "0 s"."""
    return f"{max(1, round(delay))} s"


def topic_words(item: Conversation) -> str:
    """A room's topic and who set it, as ``/topic`` alone and joining it say."""
    if not item.topic:
        return f"{item.key} has no topic (/topic TEXT sets one)."
    by = f" (set by {item.topic_by})" if item.topic_by else ""
    return f"The topic of {item.key}: {item.topic}{by}"
