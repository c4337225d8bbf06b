"""The avatar transfers a connection waits on: downloads by hash, and its own uploads.

Each is a ``Future`` settled by the update that answers it (the picture's bytes, our
``avatar_changed``, or a ``not_found`` / ``bad_image`` error); all still waiting fail
together when the session ends. Safe to use from any thread.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

from tuichat.net.errors import ServerError
from tuichat.net.frames import ErrorCode
from tuichat.net.updates import AvatarBytes, AvatarChanged, ErrorReport, Update


class AvatarRequests:
    """The pending downloads and uploads of one connection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._downloads: dict[str, list[Future[bytes]]] = {}
        self._uploads: dict[str, list[Future[str]]] = {}
        self._failure: BaseException | None = None

    def download(self, sha256: str) -> tuple[Future[bytes], bool]:
        """A future for the picture ``sha256``, and whether it is the first asking for
        it (only the first is sent)."""
        future: Future[bytes] = Future()
        with self._lock:
            if self._failure is not None:
                future.set_exception(self._failure)
                return future, False
            first = sha256 not in self._downloads
            self._downloads.setdefault(sha256, []).append(future)
        return future, first

    def upload(self, sha256: str) -> Future[str]:
        """A future for our upload of ``sha256``: its hash once everyone was told."""
        future: Future[str] = Future()
        with self._lock:
            if self._failure is not None:
                future.set_exception(self._failure)
                return future
            self._uploads.setdefault(sha256, []).append(future)
        return future

    def settle(self, update: Update, me: str) -> None:
        """Settle what ``update`` answers (``me``: our name, whose uploads are ours)."""
        with self._lock:
            if isinstance(update, AvatarBytes):
                for download in self._downloads.pop(update.sha256, []):
                    download.set_result(update.png)
            elif isinstance(update, AvatarChanged) and update.name == me \
                    and update.avatar is not None:
                for upload in self._uploads.pop(update.avatar, []):
                    upload.set_result(update.avatar)
            elif isinstance(update, ErrorReport) and update.sha256 is not None:
                error = ServerError.of(update.code, update.text)
                if update.code == ErrorCode.NOT_FOUND:
                    for download in self._downloads.pop(update.sha256, []):
                        download.set_exception(error)
                elif update.code == ErrorCode.BAD_IMAGE:
                    for upload in self._uploads.pop(update.sha256, []):
                        upload.set_exception(error)

    def fail_all(self, error: BaseException) -> None:
        """The session ended: every transfer still waiting (and any asked later) fails."""
        with self._lock:
            self._failure = error
            pending: list[Future[Any]] = [
                future for waiting in self._downloads.values() for future in waiting]
            pending += [future for waiting in self._uploads.values() for future in waiting]
            self._downloads.clear()
            self._uploads.clear()
        for future in pending:
            future.set_exception(error)
