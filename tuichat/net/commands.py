"""The admin commands described once, for the server and the client.

``ADMIN_COMMANDS`` is the one description of each command: its flag, argument, help and
whether it needs rights. The server's command table (``server.core.admin``) is built from
these rows, each with its handler (and refuses to start when the two differ); its usage
notice, and the client's ``/help`` and command palette, read the same rows, so none can
disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ADMIN_PREFIX = "admin"
ADMIN_LINE = re.compile(r"\s*admin(?:\s+(?P<flag>-\S*))?(?:\s+(?P<rest>.*?))?\s*", re.DOTALL)
"""An admin line: ``admin``, then a flag, then the rest (the server's one reading of it)."""


@dataclass(frozen=True, slots=True)
class AdminCommand:
    """One admin command: its flag, argument form and what it does."""

    flag: str
    argument: str
    summary: str
    needs_rights: bool = True

    @property
    def usage(self) -> str:
        """The command as a user types it, e.g. ``admin -l FILE.txt``."""
        return f"{ADMIN_PREFIX} {self.flag} {self.argument}".rstrip()


ADMIN_COMMANDS: tuple[AdminCommand, ...] = (
    AdminCommand("-a", "PASSWORD", "become admin with the server's admin password", False),
    AdminCommand("-s", "", "save this room's history to a file and reply with its name"),
    AdminCommand("-l", "FILE.txt", "load a saved history file into this room (replaces its "
                 "history); alone: list the files"),
    AdminCommand("-c", "", "clear this room's history, keeping the last 10 messages"),
    AdminCommand("-t", ": TEXT", "say TEXT in this room as Console"),
    AdminCommand("-k", "NAME [REASON]",
                 "disconnect NAME from the server, with REASON shown to everyone"),
    AdminCommand("-b", "NAME [MINUTES]",
                 "ban NAME's address, or only the name if others share the address "
                 "(name:NAME or ip:ADDRESS to choose), for MINUTES or for good; alone: list"),
    AdminCommand("-ub", "ADDRESS", "lift the ban on ADDRESS, or on NAME (name:, ip: as for -b)"),
    AdminCommand("-rk", "NAME", "release the claim an SSH key holds on NAME, so the next key "
                 "to log in as NAME claims it"),
    AdminCommand("-m", "TEXT",
                 "set this room's message of the day; alone: show it; '-': clear it"),
    AdminCommand("-sd", "", "shut the server down after a 10-second countdown (needs --sde)"),
    AdminCommand("-h", "", "list the admin commands", False),
)

ADMIN_BY_FLAG = {command.flag: command for command in ADMIN_COMMANDS}


def usage_text() -> str:
    """The usage notice: every admin command with its summary, one per line."""
    width = max(len(command.usage) for command in ADMIN_COMMANDS)
    lines = [f"  {command.usage:<{width}}  {command.summary}" for command in ADMIN_COMMANDS]
    return "Admin commands:\n" + "\n".join(lines)


def is_admin_line(line: str) -> bool:
    """True when ``line`` is meant as an admin command (``admin`` then a flag or nothing)."""
    words = line.split(maxsplit=1)
    return bool(words) and words[0] == ADMIN_PREFIX and (
        len(words) == 1 or words[1].startswith("-")
    )


def admin_password(line: str) -> str | None:
    """The password of an ``admin -a PASSWORD`` line, as the server reads it; else None."""
    match = ADMIN_LINE.fullmatch(line)
    if match is None or match["flag"] != "-a":
        return None
    return match["rest"] or None
