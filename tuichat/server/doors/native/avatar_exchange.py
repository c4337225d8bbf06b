"""Avatar traffic on the image channel: uploads and downloads.

An upload of the uploader's present picture is a no-op; Console's picture is refused;
the rest spend the upload budget, are checked on a worker thread (the image channel waits
meanwhile), stored, and handed to the chat, which shows the new avatar. Runs on the
reactor thread, for the native door.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Any

from tuichat.net.codec import Decoded, encode
from tuichat.net.frames import ErrorCode, Frame, FrameType, is_sha256
from tuichat.server.avatars import AvatarError, AvatarStore, UploadBudget, validate_avatar

if TYPE_CHECKING:
    from tuichat.server.core.chat import Chat
    from tuichat.server.core.ports import Scheduler
    from tuichat.server.doors.native.peer import Peer
    from tuichat.server.doors.native.session import Session

log = logging.getLogger("tuichat.server")
frame_log = logging.getLogger("tuichat.server.frames")


class AvatarExchange:
    """Handles ``avatar`` and ``get_avatar`` frames; keeps the upload budget. Frames that
    waited for an upload's check go back to ``dispatch``."""

    def __init__(self, avatars: AvatarStore, console_avatar: str, scheduler: Scheduler,
                 chat: Chat, dispatch: Callable[[Peer, Decoded], None]) -> None:
        self._avatars = avatars
        self._console_avatar = console_avatar
        self._scheduler = scheduler
        self._chat = chat
        self._dispatch = dispatch
        self._budget = UploadBudget()

    def forget(self, session: Session) -> None:
        """A session ended: drop its share of the budget."""
        self._budget.forget(session)

    def upload(self, peer: Peer, decoded: Decoded) -> None:
        """An ``avatar`` frame with its bytes: answer at once, or check it off the loop."""
        session: Session = peer.session
        member = session.member
        sha = decoded.frame.get("sha256")
        data = decoded.payload
        if sha == member.avatar and data is not None:  # the same picture again: a no-op
            _send(session.recv, {"type": FrameType.AVATAR_CHANGED, "name": member.name,
                                 "avatar": sha, "unchanged": True})
            return
        if data is None:
            _refuse(peer, ErrorCode.BAD_IMAGE, "an avatar frame needs size and bytes", sha)
            return
        refusal = (
            "that is Console's picture, which only the server may show"
            if sha == self._console_avatar else self._budget.refusal(session)
        )
        if refusal is not None:
            _refuse(peer, ErrorCode.BAD_IMAGE, refusal, sha)
            return
        session.checking_upload = True
        session.image_backlog = deque()
        peer.pause_reading()
        self._scheduler.in_worker(
            partial(validate_avatar, data, sha if isinstance(sha, str) else ""),
            lambda done: self._checked(session, sha, data, done),
        )

    def download(self, peer: Peer, decoded: Decoded) -> None:
        """A ``get_avatar`` frame: the stored bytes (unless they are still queued to this
        peer), or ``not_found``."""
        sha = decoded.frame.get("sha256")
        if isinstance(sha, str) and peer.holds(sha):
            return  # the same picture is still on its way: not queued again
        data = self._avatars.get(sha) if isinstance(sha, str) else None
        if data is None or hashlib.sha256(data).hexdigest() != sha:
            _refuse(peer, ErrorCode.NOT_FOUND, "no avatar with that hash", sha)
            return
        peer.write(encode({"type": FrameType.AVATAR, "sha256": sha}, data), tag=sha)

    def _checked(self, session: Session, sha: Any, data: bytes, done: Future[None]) -> None:
        """Back on the loop: store and announce a good upload, refuse a bad one, then go
        on with the image frames that waited for it."""
        image = session.image
        if session.ended or image is None:
            return
        try:
            self._store(session, sha, data, done.exception())
        finally:
            session.checking_upload = False
            backlog, session.image_backlog = session.image_backlog or deque(), None
            while backlog and not session.checking_upload and not image.closing:
                self._dispatch(image, backlog.popleft())
            if session.checking_upload:
                assert session.image_backlog is not None
                session.image_backlog.extendleft(reversed(backlog))
            else:
                image.resume_reading()

    def _store(self, session: Session, sha: Any, data: bytes,
               error: BaseException | None) -> None:
        assert session.image is not None
        if error is None:
            try:
                self._avatars.put(data, keep=self._in_use())
            except OSError as exc:
                log.error("could not store an avatar: %s", exc)
                error = AvatarError("the server could not store the image")
        if error is not None:
            reason = str(error) if isinstance(error, AvatarError) else "image check failed"
            if not isinstance(error, AvatarError):
                log.error("avatar check failed unexpectedly", exc_info=error)
            _refuse(session.image, ErrorCode.BAD_IMAGE, reason, sha)
            return
        self._chat.set_avatar(session.member, sha)

    def _in_use(self) -> set[str]:
        """What a full avatar store must keep: Console's avatar and everyone's present."""
        used = {member.avatar for member in self._chat.hub.members.values()}
        return {avatar for avatar in used if avatar is not None} | {self._console_avatar}


def _send(peer: Peer, frame: Frame) -> None:
    peer.write(encode(frame))
    frame_log.debug("-> %s %s %s", peer.channel, peer.address, frame.get("type"))


def _refuse(peer: Peer, code: ErrorCode, text: str, sha: object) -> None:
    """An ``error`` frame about the avatar ``sha`` (named when it is a valid hash)."""
    frame: Frame = {"type": FrameType.ERROR, "code": code.value, "text": text}
    if is_sha256(sha):
        frame["sha256"] = sha
    _send(peer, frame)
