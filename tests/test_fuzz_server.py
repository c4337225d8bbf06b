"""Fuzzing: random bytes, mutated frames and corrupted encodings on all three channels.

Each case opens fresh connections to one real server, brings them to a stage (recv before
or after ``hello``; send and image before ``attach`` with no session, before ``attach``
with a live session's token, or after ``attach``), sends the fuzz bytes, half-closes and
reads until the server closes. That last step proves the server took in every byte and
let the connection go. Then the server's log must hold no traceback and no error, its loop
must run, and a well-behaved client must still get its own ``say`` echoed.

``TUICHAT_FUZZ_EXAMPLES`` sets the number of cases per run (default 10,800, a minute on
two cores); ``TUICHAT_FUZZ_EXAMPLES=100000`` is the long mode. Runs are derandomized, so
every run tries the same cases.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import logging
import os
import re
import socket
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.faultkit import (
    ADMIN_PASSWORD,
    GENEROUS_LIMITS,
    WAIT,
    Latency,
    LogWatch,
    Probe,
    reactor_alive,
    read_until,
    running_server,
)
from tuichat.net.codec import FrameDecoder, ProtocolError
from tuichat.net.frames import Channel, FrameType, Message
from tuichat.server.app import Server
from tuichat.server.store.saves import format_transcript

DEFAULT_EXAMPLES = 10_800
KINDS = ("bytes", "frames", "corrupt")
CHANNELS = (Channel.RECV, Channel.SEND, Channel.IMAGE)
TOKEN = "<token>"
"""Stands for a session token in generated frames; replaced when the case runs."""
PROBE_EVERY = 1
"""Cases between two echo checks of the well-behaved client."""


def examples_per_run() -> int:
    """Cases per run: ``TUICHAT_FUZZ_EXAMPLES`` or the CI default."""
    return int(os.environ.get("TUICHAT_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))


def examples_per_test(total: int) -> int:
    """Cases for each channel and kind, so that all of them make at least ``total``."""
    return max(1, -(-total // (len(KINDS) * len(CHANNELS))))


# -- what gets sent ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """A JSON literal written verbatim: what ``json.dumps`` would never produce."""

    text: str


def _tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _tiny_png()
SAVED = "fuzz.txt"
"""A save file in the fuzz server's data dir, so ``admin -l`` has something to load."""
PNG_SHA = hashlib.sha256(PNG).hexdigest()

RAW_LITERALS = [
    Raw("9" * 20), Raw("-" + "9" * 400), Raw("9" * 4_301), Raw("9" * 20_000),
    Raw("1e400"), Raw("-1e400"), Raw("1e-400"), Raw("NaN"), Raw("Infinity"), Raw("-Infinity"),
    Raw("[" * 50 + "]" * 50), Raw("[" * 3_000 + "]" * 3_000), Raw("{\"a\":" * 2_000 + "1"
        + "}" * 2_000), Raw("[" * 30_000 + "]" * 30_000), Raw('"\\ud800"'),
    Raw('"\\udfff\\ud800"'), Raw('"\\u0000"'), Raw("1.0"), Raw("-0"), Raw("true"),
]
INTERESTING_TEXT = [
    "", " ", "\n", "\t", "\r\n", "\u200b", "\u202e", "x" * 4_097, "é" * 4_096, "admin",
    "admin -h", "admin -a wrong", "admin -s", "admin -c", "admin -l chat.txt",
    "admin -l ../../../etc/passwd.txt", "admin -t : hello", "admin -sd", "admin -zz",
    "Console", "\uff23\uff4f\uff4e\uff53\uff4f\uff4c\uff45", ".dot", "a" * 33, "é",
    "e\u0301", "\U0001f600", PNG_SHA, TOKEN,
]
FRAME_TYPES = [kind.value for kind in FrameType] + ["dance", "", "HELLO", "say "]
KEYS = ["type", "version", "name", "client", "password", "admin_password", "since",
        "avatar", "session", "text", "ref", "line", "n", "sha256", "size", "seq", "channel"]

SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
TEXTS = st.one_of(
    st.sampled_from(INTERESTING_TEXT),
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.lists(st.one_of(SURROGATES, st.characters()), max_size=6).map("".join),
)
INTEGERS = st.one_of(
    st.integers(-5, 5), st.integers(), st.integers(min_value=2**62, max_value=2**80),
    st.integers(max_value=-(2**62)),
)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
SCALARS = st.one_of(
    st.none(), st.booleans(), INTEGERS, FLOATS, TEXTS, st.sampled_from(RAW_LITERALS),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), SCALARS, max_size=3),
    st.lists(st.lists(SCALARS, max_size=2) | st.dictionaries(st.text(max_size=3), SCALARS,
                                                             max_size=2), max_size=2),
)
"""JSON values of every type, two levels deep at most; deeper nesting comes as ``Raw``."""


def templates() -> list[tuple[dict[str, Any], bytes | None]]:
    """One good frame of every type (client's and server's), with its payload if any."""
    return [
        ({"type": "hello", "version": 1, "name": "fuzzer", "client": "fuzz/1"}, None),
        ({"type": "hello", "version": 1, "name": "fuzzer", "since": 0, "avatar": PNG_SHA},
         None),
        ({"type": "hello", "version": 1, "name": "fuzzer", "admin_password": "wrong",
          "password": "no join password here"}, None),
        ({"type": "attach", "session": TOKEN}, None),
        ({"type": "say", "text": "hello", "ref": "f-1"}, None),
        ({"type": "say", "text": "admin -h"}, None),
        ({"type": "command", "line": "admin -h"}, None),
        ({"type": "command", "line": f"admin -a {ADMIN_PASSWORD}"}, None),
        ({"type": "command", "line": "admin -t : from the fuzzer"}, None),
        ({"type": "command", "line": "admin -s"}, None),
        ({"type": "command", "line": "admin -c"}, None),
        ({"type": "command", "line": f"admin -l {SAVED}"}, None),
        ({"type": "bye"}, None),
        ({"type": "pong", "n": 1}, None),
        ({"type": "avatar", "sha256": PNG_SHA}, PNG),
        ({"type": "get_avatar", "sha256": PNG_SHA}, None),
        ({"type": "welcome", "version": 1, "session": TOKEN, "users": [], "history": []},
         None),
        ({"type": "message", "seq": 1, "ts": 1.5, "from": "a", "text": "b"}, None),
        ({"type": "notice", "level": "info", "text": "x"}, None),
        ({"type": "error", "code": "bad_frame", "text": "x"}, None),
        ({"type": "ping", "n": 1}, None),
        ({"type": "attached", "channel": "send"}, None),
        ({"type": "history", "reset": True, "messages": []}, None),
        ({"type": "join", "name": "a", "avatar": None, "admin": True}, None),
        ({"type": "shutdown", "text": "x"}, None),
    ]


TEMPLATES = templates()
NATIVE = {
    Channel.RECV: {"hello", "pong"},
    Channel.SEND: {"attach", "say", "command", "bye", "pong"},
    Channel.IMAGE: {"attach", "avatar", "get_avatar", "pong"},
}
"""The types each channel accepts: most frames sent there are of these types."""


def native(channel: Channel) -> list[tuple[dict[str, Any], bytes | None]]:
    return [template for template in TEMPLATES if template[0]["type"] in NATIVE[channel]]


def dump(frame: dict[str, Any], *, ascii_only: bool) -> bytes:
    """One frame line, with ``Raw`` literals put in verbatim and lone surrogates kept."""
    raws: list[str] = []

    def swap(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"\0raw{len(raws) - 1}\0"
        if isinstance(value, dict):
            return {key: swap(item) for key, item in value.items()}
        if isinstance(value, list):
            return [swap(item) for item in value]
        return value

    text = json.dumps(swap(frame), ensure_ascii=ascii_only, separators=(",", ":"))
    for number, literal in enumerate(raws):
        text = text.replace(json.dumps(f"\0raw{number}\0"), literal)
    return text.encode("utf-8", "surrogatepass") + b"\n"


@dataclass(frozen=True)
class Piece:
    """One frame of a script: a template after mutation, and the bytes after its line."""

    frame: dict[str, Any]
    payload: bytes | None
    ascii_only: bool = True

    def encode(self) -> bytes:
        frame = self.frame
        if self.payload is not None and "size" not in frame:
            frame = {**frame, "size": len(self.payload)}
        return dump(frame, ascii_only=self.ascii_only) + (self.payload or b"")


@dataclass(frozen=True)
class ByteOp:
    """A byte-level change of an encoding; ``at`` is taken modulo the length."""

    kind: str
    at: int
    value: bytes = b""


_SIZE = re.compile(rb'"size":-?[0-9]+')


def apply(op: ByteOp, data: bytes) -> bytes:
    """The bytes after one corruption."""
    if not data:
        return op.value
    at = op.at % len(data)
    if op.kind == "flip":
        return data[:at] + bytes([data[at] ^ (1 << (op.at % 8))]) + data[at + 1:]
    if op.kind == "set":
        return data[:at] + op.value[:1] + data[at + 1:]
    if op.kind == "truncate":
        return data[:at]
    if op.kind == "delete":
        return data[:at] + data[at + 1 + op.at % 7:]
    if op.kind == "insert":
        return data[:at] + op.value + data[at:]
    if op.kind == "repeat":
        return data[:at] + data[at:] * (1 + op.at % 3)
    if op.kind == "size":
        return _SIZE.sub(b'"size":' + op.value, data, count=1)
    if op.kind == "newline":
        newline = data.find(b"\n", at)
        return data[:newline] + data[newline + 1:] if newline >= 0 else data + b"\n"
    raise ValueError(op.kind)


@dataclass(frozen=True)
class FuzzCase:
    """One fuzz input: where it goes, and how to make its bytes."""

    channel: Channel
    stage: int
    """recv: 0 before hello, 1 after. send/image: 0 no session, 1 a session's recv only,
    2 attached."""
    admin: bool = False
    """Whether the session of stages 1 and 2 joined with the admin password."""
    raw: bytes = b""
    pieces: tuple[Piece, ...] = ()
    ops: tuple[ByteOp, ...] = ()
    cuts: tuple[int, ...] = field(default=(), repr=False)

    def render(self, token: str) -> bytes:
        """The bytes to send, with ``token`` in place of every token marker."""
        data = self.raw + b"".join(piece.encode() for piece in self.pieces)
        data = data.replace(TOKEN.encode(), token.encode())
        for op in self.ops:
            data = apply(op, data)
        return data

    def chunks(self, data: bytes) -> list[bytes]:
        """``data`` cut where ``cuts`` say, so frames arrive split across reads."""
        if not data:
            return []
        points = sorted({cut % len(data) for cut in self.cuts} | {0, len(data)})
        return [data[a:b] for a, b in itertools.pairwise(points)]


# -- strategies --------------------------------------------------------------------------------


RANDOM_BYTES = st.one_of(
    st.binary(max_size=300),
    st.lists(st.binary(max_size=40) | st.just(b"\n") | st.just(b"{") | st.just(b'"'),
             max_size=12).map(b"".join),
    st.builds(lambda unit, count: unit * count, st.binary(min_size=1, max_size=6),
              st.integers(1, 70_000)),
)


ANY_TEMPLATE = {
    channel: st.one_of(st.sampled_from(native(channel)), st.sampled_from(TEMPLATES))
    for channel in CHANNELS
}
"""A template for a channel: mostly of a type the channel accepts."""
WEIRD_VALUES = st.sampled_from([
    None, True, False, 0, -1, 1, -(2**31), 2**31, 2**63, -(2**63) - 1, 10**30, -(10**30),
    0.5, -0.0, 1e308, "", " ", "\n", "x" * 5_000, "\u0000", "\ud800", [], [None], {},
    {"type": "say"}, Raw("9" * 5_000), Raw("[" * 3_000 + "]" * 3_000), Raw("1e400"),
])
"""The usual suspects for a field of the wrong kind, drawn often so every handler meets
each of them."""
FATES = st.sampled_from(["keep", "keep", "like", "like", "weird", "weird", "any", "delete"])
EXTRAS = st.sampled_from(["add", "type", "size"])
ANY_KEY = st.sampled_from(KEYS) | st.text(max_size=8)
ANY_TYPE = st.sampled_from(FRAME_TYPES) | VALUES
ANY_SIZE = st.integers(-3, 300_000) | VALUES
LIKE: dict[type, st.SearchStrategy[Any]] = {
    kind: st.one_of(same, same, VALUES)
    for kind, same in ((str, TEXTS), (int, INTEGERS), (float, FLOATS), (bool, st.booleans()))
}
"""A new value for a field: two times in three of the kind it had, else anything."""
SHORT_BYTES = st.binary(max_size=64)


@st.composite
def mutated(draw: st.DrawFn, channel: Channel) -> Piece:
    """A template frame whose fields are kept, changed (mostly to the same kind of value),
    or removed; sometimes with a key added, the type changed or a ``size`` set."""
    template, payload = draw(ANY_TEMPLATE[channel])
    frame = {"type": template["type"]}
    for key, value in template.items():
        fate = "keep" if key == "type" else draw(FATES)
        if fate == "keep":
            frame[key] = value
        elif fate == "like":
            frame[key] = draw(LIKE.get(type(value), VALUES))
        elif fate == "weird":
            frame[key] = draw(WEIRD_VALUES)
        elif fate == "any":
            frame[key] = draw(VALUES)
    for _ in range(draw(st.integers(0, 2))):
        extra = draw(EXTRAS)
        if extra == "add":
            frame[draw(ANY_KEY)] = draw(VALUES)
        elif extra == "type":
            frame["type"] = draw(ANY_TYPE)
        else:
            frame["size"] = draw(ANY_SIZE)
            payload = draw(SHORT_BYTES)
    return Piece(frame, payload, ascii_only=draw(st.booleans()))


OP_KINDS = st.sampled_from(
    ["flip", "flip", "set", "truncate", "delete", "insert", "repeat", "size", "newline"]
)
SIZE_TEXTS = st.sampled_from(
    [b"-1", b"0", b"1", b"262144", b"262145", b"1e3", b'"1"', b"true", b"null",
     b"99999999999999999999999", b"4.0"]
)
POSITIONS = st.integers(0, 1 << 20)


@st.composite
def byte_ops(draw: st.DrawFn) -> ByteOp:
    """One corruption: a bit flipped, bytes set, cut, dropped, inserted or repeated, a
    ``size`` rewritten, a newline taken away or added."""
    kind = draw(OP_KINDS)
    value = b""
    if kind == "set":
        value = draw(st.binary(min_size=1, max_size=1))
    elif kind == "insert":
        value = draw(st.binary(min_size=1, max_size=8))
    elif kind == "size":
        value = draw(SIZE_TEXTS)
    return ByteOp(kind, draw(POSITIONS), value)


BYTE_OPS = byte_ops()


@st.composite
def broken_png(draw: st.DrawFn) -> Piece:
    """An avatar upload whose PNG is corrupted but whose hash matches, so it is decoded."""
    data = PNG
    for _ in range(draw(st.integers(1, 4))):
        data = apply(draw(BYTE_OPS), data)
    return Piece({"type": "avatar", "sha256": hashlib.sha256(data).hexdigest()}, data)


GOOD_PIECES = {channel: template.map(lambda good: Piece(*good))
               for channel, template in ANY_TEMPLATE.items()}
FRAME_SCRIPTS = {channel: st.lists(st.one_of(mutated(channel), mutated(channel),
                                             GOOD_PIECES[channel]), min_size=1, max_size=3)
                 for channel in CHANNELS}
CORRUPT_SCRIPTS = {channel: st.lists(GOOD_PIECES[channel] | broken_png(), min_size=1,
                                     max_size=4) for channel in CHANNELS}
CORRUPTIONS = st.lists(BYTE_OPS, max_size=3)
CUTS = st.lists(st.integers(0, 1 << 20), max_size=3)
ATTACHED_MOSTLY = st.sampled_from([0, 1, 2, 2, 2])
STAGES = {Channel.RECV: st.integers(0, 1), Channel.SEND: ATTACHED_MOSTLY,
          Channel.IMAGE: ATTACHED_MOSTLY}
"""Send and image are attached in three cases of five: most handlers need a session."""


@st.composite
def cases(draw: st.DrawFn, channel: Channel, kind: str) -> FuzzCase:
    """A fuzz case of ``kind`` for ``channel``."""
    stage = draw(STAGES[channel])
    admin = stage > 0 and draw(st.booleans())
    cuts = tuple(draw(CUTS))
    if kind == "bytes":
        return FuzzCase(channel, stage, admin, raw=draw(RANDOM_BYTES), cuts=cuts)
    if kind == "frames":
        pieces = tuple(draw(FRAME_SCRIPTS[channel]))
        return FuzzCase(channel, stage, admin, pieces=pieces, cuts=cuts)
    pieces = tuple(draw(CORRUPT_SCRIPTS[channel]))
    return FuzzCase(channel, stage, admin, pieces=pieces, ops=tuple(draw(CORRUPTIONS)),
                    cuts=cuts)


# -- running cases ---------------------------------------------------------------------------


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _finish(sock: socket.socket, what: str) -> None:
    """Half-close and read until the server closes: it has then taken in every byte."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
    deadline = time.monotonic() + WAIT
    try:
        while time.monotonic() < deadline:
            if not sock.recv(1 << 20):
                return
    except (ConnectionResetError, BrokenPipeError):
        return
    except TimeoutError:
        pass
    finally:
        sock.close()
    raise AssertionError(f"the server did not close the {what} connection after our EOF")


@dataclass
class Fuzzer:
    """Runs cases against one server and checks it after each."""

    server: Server
    probe: Probe
    watch: LogWatch
    counts: Counter[str] = field(default_factory=Counter)
    round_trips: list[float] = field(default_factory=list)
    last_bytes: bytes = b""
    failures: list[str] = field(default_factory=list)
    _names: Iterator[int] = field(default_factory=itertools.count)

    def run(self, case: FuzzCase) -> None:
        """Send one case; fail if the server logged a problem, died or stopped serving."""
        ports = self.server.ports
        opened: list[tuple[socket.socket, str]] = []
        token = self.probe.conn.welcome["session"]
        try:
            if case.stage >= 1:
                recv = _connect(ports.recv)
                opened.append((recv, "recv"))
                name = f"fz{next(self._names)}"
                hello = {"type": "hello", "version": 1, "name": name,
                         "since": self.probe.conn.last_seq}
                if case.admin:
                    hello["admin_password"] = ADMIN_PASSWORD
                recv.sendall(dump(hello, ascii_only=True))
                token = read_until(recv, "welcome")["session"]
            if case.channel is not Channel.RECV or case.stage == 0:
                target = _connect(getattr(ports, case.channel.value))
                opened.insert(0, (target, case.channel.value))
                if case.stage == 2:
                    target.sendall(dump({"type": "attach", "session": token}, ascii_only=True))
                    read_until(target, "attached")
            sock, _ = opened[0]
            self.last_bytes = case.render(token)
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                for chunk in case.chunks(self.last_bytes):
                    sock.sendall(chunk)
            for sock, what in opened:
                _finish(sock, what)
        finally:
            for sock, _ in opened:
                sock.close()
        self.counts[case.channel.value] += 1
        self.check()

    def check(self) -> None:
        """The server logged no problem, its loop runs, and it still serves the probe.

        A failure is also kept in ``failures`` with the bytes that caused it, since
        Hypothesis goes on to shrink the case and reports only the smallest one.
        """
        try:
            assert reactor_alive(self.server), "the server's loop thread died"
            if self.watch.problems:
                report = self.watch.report()
                self.watch.problems.clear()  # so the shrinker sees which cases fail
                raise AssertionError(f"the server logged a problem:\n{report}")
            if self.counts.total() % PROBE_EVERY == 0:
                self.round_trips.append(self.probe.round_trip())
        except AssertionError as exc:
            self.failures.append(f"{exc}\nafter sending {self.last_bytes[:2000]!r}")
            raise

    @property
    def latency(self) -> Latency:
        return Latency(tuple(self.round_trips))


def run_fuzz(fuzzer: Fuzzer, channel: Channel, kind: str, examples: int) -> None:
    """Run ``examples`` derandomized Hypothesis cases of ``kind`` on ``channel``."""

    @settings(
        max_examples=examples, derandomize=True, database=None, deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck), print_blob=False,
    )
    @given(case=cases(channel, kind))
    def fuzz_one(case: FuzzCase) -> None:
        fuzzer.run(case)

    fuzz_one()


@contextlib.contextmanager
def fuzz_target(data_dir: Path) -> Iterator[Fuzzer]:
    """A server with limits that never bite, a probe joined to it, and a log watch."""
    saves = data_dir / "saves"
    saves.mkdir(parents=True)
    (saves / SAVED).write_text(format_transcript(
        [Message(1, 1_700_000_000.0, "alice", "hello\nsecond line"),
         Message(2, 1_700_000_001.0, "bob", "\U0001f600")]
    ), encoding="utf-8")
    with LogWatch() as watch, running_server(data_dir, **GENEROUS_LIMITS) as server:
        probe = Probe(server.ports)
        probe.conn.upload_avatar(PNG).result(WAIT)  # so a hello may name a stored avatar
        try:
            yield Fuzzer(server, probe, watch)
        finally:
            probe.close()


# -- tests -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzer]:
    with fuzz_target(tmp_path_factory.mktemp("fuzz")) as target:
        yield target


@pytest.mark.timeout(max(120, examples_per_run() // 300))  # about 4 times the expected
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("channel", CHANNELS, ids=[channel.value for channel in CHANNELS])
def test_server_survives_fuzzing(fuzzer: Fuzzer, channel: Channel, kind: str) -> None:
    examples = examples_per_test(examples_per_run())
    before, failed_before = fuzzer.counts[channel.value], len(fuzzer.failures)
    try:
        run_fuzz(fuzzer, channel, kind, examples)
    except Exception as exc:  # Hypothesis reports the shrunk case; add the first one seen
        first = fuzzer.failures[failed_before:][:1] or ["none"]
        exc.add_note(f"first failure: {first[0]}")
        raise
    assert fuzzer.counts[channel.value] - before >= examples


def test_the_fuzz_check_catches_a_logged_traceback(fuzzer: Fuzzer) -> None:
    """The check that every case passes fails on a traceback in the server's log."""
    try:
        raise ZeroDivisionError("planted")
    except ZeroDivisionError:
        logging.getLogger("tuichat.server.reactor").exception("internal error (planted)")
    with pytest.raises(AssertionError, match="planted"):
        fuzzer.check()
    assert "planted" in fuzzer.failures.pop()
    assert not fuzzer.watch.problems


def test_the_fuzz_check_catches_a_server_that_stops_serving(
    fuzzer: Fuzzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the door's ``say`` handler broken, the probe's echo never comes: the check fails."""
    door = fuzzer.server.door
    assert door is not None
    monkeypatch.setitem(door._handlers, (Channel.SEND, FrameType.SAY), lambda *_: None)
    monkeypatch.setattr("tests.faultkit.WAIT", 0.5)
    with pytest.raises(AssertionError, match="no echo"):
        fuzzer.check()
    assert "no echo" in fuzzer.failures.pop()


def test_cases_render_the_token_and_their_corruptions() -> None:
    case = FuzzCase(
        Channel.SEND, 1, pieces=(Piece({"type": "attach", "session": TOKEN}, None),),
        ops=(ByteOp("truncate", 10),),
    )
    assert case.render("abc") == b'{"type":"a'
    whole = FuzzCase(Channel.SEND, 1, pieces=(Piece({"type": "attach", "session": TOKEN},
                                                    None),))
    assert whole.render("abc") == b'{"type":"attach","session":"abc"}\n'
    assert dump({"n": Raw("1e400")}, ascii_only=True) == b'{"n":1e400}\n'
    with pytest.raises(ProtocolError):
        FrameDecoder().feed(dump({"type": "x", "n": Raw("1e400")}, ascii_only=True))
