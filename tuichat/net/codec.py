"""Sans-IO codec: bytes in, frames out; frames in, bytes out.

Nothing here touches a socket, a thread or a clock, so every edge case is a unit test on
bytes. Both the server and the client wrap these two pieces in their own I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tuichat.net.frames import MAX_FRAME_BYTES, MAX_PAYLOAD_BYTES, ErrorCode, Frame


class ProtocolError(Exception):
    """Bytes that break the framing rules of the contract (``bad_frame``).

    ``frames`` holds the good frames that came before the bad bytes in the same ``feed``,
    so a caller can act on them before it gives up on the stream.
    """

    code = ErrorCode.BAD_FRAME

    def __init__(self, message: str, frames: list[Decoded] | None = None) -> None:
        super().__init__(message)
        self.frames: list[Decoded] = frames or []


@dataclass(frozen=True, slots=True)
class Decoded:
    """One frame read off the wire, with its raw payload when it declared a ``size``."""

    frame: Frame
    payload: bytes | None = None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses as inf, which no frame may hold
        raise ValueError(f"{text} is out of range")
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value: Any) -> bool:
    """True when a decoded value holds a string that UTF-8 cannot encode (\\ud800)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


_decode_json = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float).decode
_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def payload_size(frame: Mapping[str, Any]) -> int | None:
    """The payload length a frame announces, None for none; ProtocolError if invalid."""
    if "size" not in frame:
        return None
    size = frame["size"]
    if isinstance(size, bool) or not isinstance(size, int):
        raise ProtocolError("'size' must be an integer")
    if not 0 <= size <= MAX_PAYLOAD_BYTES:
        raise ProtocolError(f"'size' must be 0 to {MAX_PAYLOAD_BYTES:,} bytes, not {size:,}")
    return size


def parse_line(line: bytes) -> Frame:
    """Parse one frame line (without its newline) into a frame, or raise ProtocolError."""
    if len(line) + 1 > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame is over {MAX_FRAME_BYTES:,} bytes")
    try:
        text = line.decode("utf-8")
        value = _decode_json(text)
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"frame is not valid UTF-8: {exc.reason}") from None
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"frame is not JSON: {exc}") from None
    if "\\u" in text and _lone_surrogate(value):
        raise ProtocolError("frame holds a lone surrogate, which is not Unicode text")
    if not isinstance(value, dict):
        raise ProtocolError("frame is not a JSON object")
    if not isinstance(value.get("type"), str):
        raise ProtocolError("frame has no string 'type'")
    return value


class FrameDecoder:
    """Turns a byte stream, cut anywhere, into frames and their payloads.

    After a ProtocolError the stream is out of step and the decoder refuses further input.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._pending: Frame | None = None
        self._pending_size = 0
        self._failed: ProtocolError | None = None

    def feed(self, data: bytes) -> list[Decoded]:
        """Take more bytes and return every frame they complete, in order."""
        if self._failed is not None:
            raise self._failed
        self._buffer += data
        out: list[Decoded] = []
        try:
            self._drain(out)
        except ProtocolError as exc:
            self._failed = ProtocolError(str(exc))
            self._buffer.clear()
            exc.frames = out
            raise
        return out

    @property
    def buffered(self) -> int:
        """Bytes held back waiting for the rest of a frame or payload."""
        return len(self._buffer)

    def _drain(self, out: list[Decoded]) -> None:
        """Append every complete frame to ``out``; keep the unfinished rest buffered."""
        buffer = self._buffer
        start = 0
        while True:
            if self._pending is not None:
                end = start + self._pending_size
                if len(buffer) < end:
                    break
                out.append(Decoded(self._pending, bytes(buffer[start:end])))
                self._pending = None
                start = end
                continue
            newline = buffer.find(b"\n", start, start + MAX_FRAME_BYTES)
            if newline < 0:
                if len(buffer) - start >= MAX_FRAME_BYTES:
                    raise ProtocolError(f"frame is over {MAX_FRAME_BYTES:,} bytes")
                break
            frame = parse_line(bytes(buffer[start:newline]))
            start = newline + 1
            size = payload_size(frame)
            if size is None:
                out.append(Decoded(frame))
            else:
                self._pending, self._pending_size = frame, size
        del buffer[:start]


def encode(frame: Mapping[str, Any], payload: bytes | None = None) -> bytes:
    """Encode a frame (and its payload, setting ``size``) as bytes for the wire.

    Raises ProtocolError for a frame the contract does not allow: no string ``type``,
    over the size limits, or holding text that is not valid Unicode.
    """
    if not isinstance(frame.get("type"), str):
        raise ProtocolError("frame has no string 'type'")
    if payload is not None:
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise ProtocolError(f"payload is over {MAX_PAYLOAD_BYTES:,} bytes")
        frame = {**frame, "size": len(payload)}
    elif "size" in frame:
        raise ProtocolError("'size' is set but no payload is given")
    try:
        line = _encode_json(frame).encode("utf-8") + b"\n"
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as exc:
        raise ProtocolError(f"frame cannot be encoded: {exc}") from None
    if len(line) > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame is {len(line):,} bytes; at most {MAX_FRAME_BYTES:,}")
    return line + payload if payload is not None else line


def json_length(value: Any) -> int:
    """Bytes ``value`` takes inside an encoded frame, for packing lists into one frame."""
    return len(_encode_json(value).encode("utf-8"))
