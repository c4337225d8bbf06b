"""The errors a client meets: the contract's ``error`` codes as exception types, and the
end of a session.

``ServerError.from_frame`` picks the type by code, so callers catch ``NameTaken`` or
``Banned`` rather than compare strings.
"""

from __future__ import annotations

from tuichat.net.frames import ErrorCode, Frame


class ServerError(Exception):
    """An ``error`` frame from the server; ``code`` is the contract's error code."""

    code: str = ""

    def __init__(self, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.text = text
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"

    @staticmethod
    def from_frame(frame: Frame) -> ServerError:
        """The typed exception for an ``error`` frame."""
        return ServerError.of(str(frame.get("code", "")), str(frame.get("text", "") or ""))

    @staticmethod
    def of(code: str, text: str) -> ServerError:
        """The typed exception for an error ``code`` (``text`` defaults to the code)."""
        kind = _ERROR_TYPES.get(code, ServerError)
        return kind(text or code, code)


class BadVersion(ServerError):
    """The server speaks none of our protocol versions."""

    code = ErrorCode.BAD_VERSION


class BadName(ServerError):
    """The name breaks the name rules."""

    code = ErrorCode.BAD_NAME


class NameTaken(ServerError):
    """Someone present has the name, or one like it."""

    code = ErrorCode.NAME_TAKEN


class BadPassword(ServerError):
    """The join password is missing or wrong."""

    code = ErrorCode.BAD_PASSWORD


class ServerFull(ServerError):
    """The server takes nobody more now."""

    code = ErrorCode.SERVER_FULL


class BadSession(ServerError):
    """An ``attach`` named no live session."""

    code = ErrorCode.BAD_SESSION


class BadFrame(ServerError):
    """The server could not read a frame of ours."""

    code = ErrorCode.BAD_FRAME


class UnknownType(ServerError):
    """The server does not take that frame type (there)."""

    code = ErrorCode.UNKNOWN_TYPE


class BadImage(ServerError):
    """An avatar upload was refused."""

    code = ErrorCode.BAD_IMAGE


class NotFound(ServerError):
    """The server has no avatar with that hash."""

    code = ErrorCode.NOT_FOUND


class Kicked(ServerError):
    """An admin ended the session (extension ``moderation``)."""

    code = ErrorCode.KICKED


class Banned(ServerError):
    """The address or the name is banned: at ``hello``, or when an admin banned it
    (``moderation``)."""

    code = ErrorCode.BANNED


_ERROR_TYPES: dict[str, type[ServerError]] = {
    kind.code: kind
    for kind in (BadVersion, BadName, NameTaken, BadPassword, ServerFull, BadSession,
                 BadFrame, UnknownType, BadImage, NotFound, Kicked, Banned)
}
ENDING_ERRORS = (ErrorCode.KICKED, ErrorCode.BANNED)
"""Error codes after which the server closes the session (their text is the reason)."""


class ConnectionClosed(ConnectionError):
    """The session is over; nothing more can be sent."""
