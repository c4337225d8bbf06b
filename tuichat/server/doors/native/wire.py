"""Writing one frame to one connection, and the error codes of the core's refusals."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tuichat.net.codec import encode
from tuichat.net.frames import ErrorCode, Frame, FrameType
from tuichat.server.core.events import RefusalKind
from tuichat.server.doors.native.brief import Brief

if TYPE_CHECKING:
    from tuichat.server.doors.native.peer import Peer

frame_log = logging.getLogger("tuichat.server.frames")

ERROR_CODES = {
    RefusalKind.BANNED: ErrorCode.BANNED,
    RefusalKind.BAD_NAME: ErrorCode.BAD_NAME,
    RefusalKind.BAD_PASSWORD: ErrorCode.BAD_PASSWORD,
    RefusalKind.NAME_TAKEN: ErrorCode.NAME_TAKEN,
    RefusalKind.FULL: ErrorCode.SERVER_FULL,
    RefusalKind.KICKED: ErrorCode.KICKED,
}
"""The ``error`` code of each refusal of the core's."""


def write(peer: Peer, frame: Frame) -> None:
    """Encode ``frame`` and queue it on ``peer``."""
    peer.write(encode(frame))
    frame_log.debug("-> %s %s %s", peer.channel, peer.address, Brief(frame))


def send_error(peer: Peer, code: ErrorCode, text: str, **extra: Any) -> None:
    """An ``error`` frame on ``peer`` (``extra`` keys with None values left out)."""
    frame: Frame = {"type": FrameType.ERROR, "code": code.value, "text": text}
    frame.update({key: value for key, value in extra.items() if value is not None})
    write(peer, frame)
