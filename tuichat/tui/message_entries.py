"""Log entries for the server's chat lines: a room's messages and private messages."""

from __future__ import annotations

from tuichat.net.updates import ChatMessage, PrivateMessage
from tuichat.tui.log_entries import EntryKind, LogEntry


def message_entry(message: ChatMessage) -> LogEntry:
    """The log entry of a room's message (an action's for an emote)."""
    kind = EntryKind.ACTION if message.action else EntryKind.MESSAGE
    return LogEntry(kind, message.text, message.ts, sender=message.sender,
                    avatar=message.avatar, seq=message.seq)


def private_entry(message: PrivateMessage) -> LogEntry:
    """The log entry of a private message, to us or our own copy."""
    return LogEntry(EntryKind.PRIVATE, message.text, message.ts, sender=message.sender,
                    avatar=message.avatar, peer=message.to)
