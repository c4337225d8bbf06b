"""IRC lines, sans-IO: one read of a raw line into a typed ``Line``, and the one way
lines are written (``encode``).

A line is ``[@tags] [:source] COMMAND params... [:trailing]`` (RFC 1459 §2.3, with the
IRCv3 message-tags prefix). Input is decoded as UTF-8 (bad bytes replaced), so a client
in another encoding still gets through with a visible mark instead of an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_TAGS_BYTES = 8_191
"""The most tags a line may take (IRCv3 message-tags), the ``@`` and space included."""
MAX_CLIENT_TAGS_BYTES = 4_096
"""The most tags a client may send (4,094 bytes, with the ``@`` and the space)."""
MAX_BODY_BYTES = 512
"""The most the rest of a line may take, CR LF included (RFC 1459)."""
MAX_LINE_BYTES = MAX_TAGS_BYTES + MAX_BODY_BYTES
"""A line longer than this is refused unread (``ERR_INPUTTOOLONG``)."""
MAX_PARAMS = 15

_TAG_ESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}
_TAG_UNESCAPE = str.maketrans({";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r",
                               "\n": "\\n"})


class LineError(ValueError):
    """A line that is not an IRC message (no command)."""


@dataclass(frozen=True, slots=True)
class Line:
    """One message from a client: its command (upper-cased), parameters and tags."""

    command: str
    params: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)

    def param(self, index: int, default: str = "") -> str:
        """The parameter at ``index``, or ``default`` when there are fewer."""
        return self.params[index] if index < len(self.params) else default


def too_long(raw: bytes) -> bool:
    """True when a client's line breaks the limits: its tags, or the rest of it."""
    if raw.startswith(b"@"):
        space = raw.find(b" ")
        tags = space + 1 if space >= 0 else len(raw)
        return tags > MAX_CLIENT_TAGS_BYTES or len(raw) - tags > MAX_BODY_BYTES
    return len(raw) > MAX_BODY_BYTES


def parse(raw: bytes) -> Line:
    """Read one line (without its CR LF); LineError when it holds no command."""
    text = raw.decode("utf-8", "replace").rstrip("\r").lstrip(" ")
    tags: dict[str, str] = {}
    if text.startswith("@"):
        head, _, text = text.partition(" ")
        tags = _parse_tags(head[1:])
        text = text.lstrip(" ")
    if text.startswith(":"):  # a client's own source prefix is ignored
        _, _, text = text.partition(" ")
        text = text.lstrip(" ")
    body, sep, trailing = text.partition(" :")
    if text.startswith(":"):
        body, sep, trailing = "", ":", text[1:]
    words = [word for word in body.split(" ") if word]  # IRC splits on spaces only
    if not words:
        raise LineError("no command")
    params = words[1:]
    if sep:
        params.append(trailing)
    if len(params) > MAX_PARAMS:
        params = [*params[:MAX_PARAMS - 1], " ".join(params[MAX_PARAMS - 1:])]
    return Line(words[0].upper(), tuple(params), tags)


def _parse_tags(text: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in text.split(";"):
        if not item:
            continue
        key, _, value = item.partition("=")
        tags[key] = _unescape(value)
    return tags


def _unescape(value: str) -> str:
    out: list[str] = []
    chars = iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append(_TAG_ESCAPES.get(following, following))
        else:
            out.append(char)
    return "".join(out)


def tag_text(tags: dict[str, str]) -> str:
    """``@key=value;...`` and a space, for the front of a line; empty without tags."""
    if not tags:
        return ""
    items = [key if not value else f"{key}={value.translate(_TAG_UNESCAPE)}"
             for key, value in tags.items()]
    return "@" + ";".join(items) + " "


def encode(source: str | None, command: str, *params: str,
           tags: dict[str, str] | None = None) -> bytes:
    """One line for the wire: the last parameter goes after ``:`` when it must (empty,
    holding a space, or starting with ``:``). Line breaks inside a parameter become
    spaces, so no line can smuggle in another."""
    words = [f":{source}"] if source else []
    words.append(command)
    for index, param in enumerate(params):
        param = param.replace("\r", " ").replace("\n", " ").replace("\0", " ")
        last = index == len(params) - 1
        if last and (not param or " " in param or param.startswith(":")):
            param = ":" + param
        words.append(param)
    return (tag_text(tags or {}) + " ".join(words) + "\r\n").encode("utf-8", "replace")
