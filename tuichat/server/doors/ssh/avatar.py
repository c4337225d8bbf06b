"""``ssh -p PORT alice@HOST avatar < me.png``: set alice's picture from any image Pillow
reads, prepared as the client prepares one (``tui.avatars.prepare_avatar``: centre-cropped
square, at most 64 pixels a side, PNG) and checked as a native upload is
(``server.avatars.validate_avatar``), both off the reactor thread.

The picture is kept with the key's claim on the name. When alice is in the chat, everyone
sharing a room with her sees it at once; when she is not, she starts with it on her next
SSH join. Setting a picture needs a key: a keyless login holds no claim to keep it with.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncssh
from PIL import Image

from tuichat.net.frames import MAX_PAYLOAD_BYTES
from tuichat.server.avatars import AvatarError, UploadBudget, validate_avatar
from tuichat.server.doors.ssh.bridge import on_reactor
from tuichat.tui.avatars import AvatarSourceError, prepare_avatar

if TYPE_CHECKING:
    from tuichat.server.avatars import AvatarStore
    from tuichat.server.core.chat import Chat
    from tuichat.server.core.identity import Identity
    from tuichat.server.doors.ssh.claims import Claims
    from tuichat.server.reactor import Reactor

log = logging.getLogger("tuichat.server")

SOURCE_LIMIT = 16 * MAX_PAYLOAD_BYTES
"""Bytes of the image read from stdin: 4 MiB, since here the server shrinks the picture
(a native client sends at most ``MAX_PAYLOAD_BYTES`` of an already small PNG)."""
READ_CHUNK = 65_536


class PictureError(Exception):
    """The picture cannot be set; ``str()`` says why, for the user."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A picture ready to store: its PNG and hash, and what it was made from."""

    png: bytes
    sha256: str
    side: int
    source: str
    """E.g. ``a 800x600 JPEG``."""


class Pictures:
    """Serves ``avatar`` sessions (on the SSH loop)."""

    def __init__(self, chat: Chat, reactor: Reactor, avatars: AvatarStore,
                 claims: Claims) -> None:
        self._chat = chat
        self._reactor = reactor
        self._avatars = avatars
        self._claims = claims
        self._budget = UploadBudget()
        """Uploads per key, within the server's; used on the SSH loop only."""

    async def run(self, process: asyncssh.SSHServerProcess[bytes], identity: Identity) -> None:
        """Read the picture, set it, say what was done; status 1 and why on failure."""
        try:
            text = await self._set(process, identity)
        except PictureError as exc:
            log.info("SSH avatar of %s (%s) refused: %s", identity.name, identity.address, exc)
            process.stderr.write(f"Your picture was not set: {exc}.\n".encode())
            process.exit(1)
            return
        process.stdout.write(f"{text}\n".encode())
        process.exit(0)

    async def _set(self, process: asyncssh.SSHServerProcess[bytes],
                   identity: Identity) -> str:
        fingerprint = identity.fingerprint
        if fingerprint is None:
            raise PictureError("setting a picture needs an SSH key (log in with ssh -i KEY); "
                               "the picture is kept with the key's claim on your name")
        data = await read_limited(process.stdin, SOURCE_LIMIT)
        refusal = self._budget.refusal(fingerprint)
        if refusal is not None:
            raise PictureError(refusal)
        loop = asyncio.get_running_loop()
        prepared = await loop.run_in_executor(None, prepare, data)
        online = await on_reactor(self._reactor, lambda: self._store(identity, prepared))
        log.info("%s (%s) set an avatar %s over SSH", identity.name, identity.address,
                 prepared.sha256[:12])
        where = ("everyone sharing a room with you sees it now" if online
                 else "you will have it when you next join over SSH")
        return (f"Your picture is set: {prepared.side}x{prepared.side} from {prepared.source} "
                f"(sha256 {prepared.sha256[:12]}…); {where}.")

    def _store(self, identity: Identity, prepared: Prepared) -> bool:
        """Store the picture and give it to the name (reactor thread); whether its holder
        is in the chat now."""
        assert identity.fingerprint is not None
        members = self._chat.hub.members.values()
        in_use = {member.avatar for member in members if member.avatar is not None}
        try:
            self._avatars.put(prepared.png, keep=in_use)
        except OSError as exc:
            log.error("could not store an avatar: %s", exc)
            raise PictureError("the server could not store the picture") from exc
        if not self._claims.set_avatar(identity.name, identity.fingerprint, prepared.sha256):
            raise PictureError("your key no longer holds the claim on your name")
        member = self._chat.find(identity.name)
        if member is None or member.name.casefold() != identity.name.casefold():
            return False
        self._chat.set_avatar(member, prepared.sha256)
        return True


async def read_limited(stdin: asyncssh.SSHReader[bytes], limit: int) -> bytes:
    """All of ``stdin`` up to its end; PictureError past ``limit`` bytes or when empty."""
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            chunk = await stdin.read(READ_CHUNK)
        except (OSError, asyncssh.Error) as exc:
            raise PictureError(f"the picture could not be read ({exc})") from exc
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise PictureError(f"the picture is over {limit:,} bytes; send a smaller one")
        chunks.append(chunk)
    if not size:
        raise PictureError("no picture came on stdin (ssh HOST avatar < me.png)")
    return b"".join(chunks)


def prepare(data: bytes) -> Prepared:
    """``data`` as an avatar: prepared as the client does, checked as a native upload
    (on a worker thread); PictureError when it is not a usable image."""
    try:
        png = prepare_avatar(data)
    except AvatarSourceError as exc:
        raise PictureError(str(exc)) from exc
    with Image.open(io.BytesIO(data)) as image:  # read once already: only its header here
        source = f"a {image.width}x{image.height} {image.format or 'image'}"
    sha = hashlib.sha256(png).hexdigest()
    try:
        validate_avatar(png, sha)
    except AvatarError as exc:
        raise PictureError(str(exc)) from exc
    with Image.open(io.BytesIO(png)) as image:
        side = image.width
    return Prepared(png, sha, side, source)
