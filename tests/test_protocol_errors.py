"""Every error code of the contract, and bad input that ends only the offender's session."""

from __future__ import annotations

import hashlib
import io
import socket

import pytest
from PIL import Image

from tests.conftest import ClientFactory, RawChannel, ServerFactory, matching
from tuichat.net import client as errors
from tuichat.net.frames import MAX_FRAME_BYTES, Channel
from tuichat.server.app import Server


def _hello(server: Server, **fields: object) -> RawChannel:
    raw = RawChannel(server.ports.recv)
    raw.send({"type": "hello", "version": 1, "name": "raw", **fields})
    return raw


def _png(color: str = "red", size: int = 16) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("version", [0, -1, "1", None, True, 1.0])
def test_bad_version_names_both_versions(server: Server, version: object) -> None:
    raw = _hello(server, version=version)
    frame = raw.read_frame()
    assert frame["code"] == "bad_version"
    assert "1" in frame["text"]
    assert raw.closed_by_server()


def test_newer_client_version_is_accepted_and_told_ours(server: Server) -> None:
    raw = _hello(server, version=7)
    welcome = raw.read_frame()
    assert welcome["type"] == "welcome"
    assert welcome["version"] == 1


@pytest.mark.parametrize(
    "name", ["", "x" * 33, ".dot", "Console", "cOnSoLe", "has space", "a/b", "tab\t", 5, None]
)
def test_bad_name(server: Server, name: object) -> None:
    raw = _hello(server, name=name)
    assert raw.read_frame()["code"] == "bad_name"
    assert raw.closed_by_server()


def test_name_taken_ignores_case(server: Server, join: ClientFactory) -> None:
    join("alice")
    with pytest.raises(errors.NameTaken) as caught:
        join("ALICE")
    assert caught.value.code == "name_taken"


def test_join_password_is_required(make_server: ServerFactory, join: ClientFactory) -> None:
    locked = make_server(password="sesame")
    with pytest.raises(errors.BadPassword):
        join("alice", locked)
    with pytest.raises(errors.BadPassword):
        join("alice", locked, password="wrong")
    assert join("alice", locked, password="sesame").conn.welcome["name"] == "alice"


def test_server_full(make_server: ServerFactory, join: ClientFactory) -> None:
    small = make_server(max_clients=2)
    join("a", small)
    join("b", small)
    with pytest.raises(errors.ServerFull):
        join("c", small)


def test_attach_with_wrong_token_is_bad_session(server: Server) -> None:
    raw = RawChannel(server.ports.send)
    raw.send({"type": "attach", "session": "not-a-token"})
    assert raw.read_frame()["code"] == "bad_session"
    assert raw.closed_by_server()


def test_frame_before_attach_is_bad_session(server: Server) -> None:
    raw = RawChannel(server.ports.image)
    raw.send({"type": "get_avatar", "sha256": "0" * 64})
    assert raw.read_frame()["code"] == "bad_session"
    assert raw.closed_by_server()


def test_frame_before_hello_is_bad_frame(server: Server) -> None:
    raw = RawChannel(server.ports.recv)
    raw.send({"type": "say", "text": "hi"})
    assert raw.read_frame()["code"] == "bad_frame"
    assert raw.closed_by_server()


def test_second_attach_of_a_channel_is_refused(server: Server, join: ClientFactory) -> None:
    alice = join("alice")
    raw = RawChannel(server.ports.send)
    raw.send({"type": "attach", "session": alice.conn.welcome["session"]})
    assert raw.read_frame()["code"] == "bad_session"
    assert alice.say_and_wait("unharmed")["text"] == "unharmed"


def test_unknown_type_keeps_the_session(join: ClientFactory) -> None:
    alice = join("alice")
    alice.conn.send_frame(Channel.SEND, {"type": "dance"})
    error = alice.inbox.wait_for(matching("error", code="unknown_type"))
    assert "dance" in error["text"]
    assert alice.say_and_wait("still here")["text"] == "still here"


def test_known_type_on_the_wrong_channel_is_unknown_type(join: ClientFactory) -> None:
    alice = join("alice")
    alice.conn.send_frame(Channel.IMAGE, {"type": "say", "text": "x"})
    error = alice.inbox.wait_for(matching("error", code="unknown_type"))
    assert "image channel" in error["text"]
    assert alice.say_and_wait("ok")["text"] == "ok"


@pytest.mark.parametrize(
    "garbage",
    [
        b"not json\n",
        b"[1,2]\n",
        b'{"no_type": 1}\n',
        b'{"type": 5}\n',
        b"\xff\xfe{}\n",
        b'{"type":"say","text":"x","size":-1}\n',
        b"[" * 100_000 + b"\n",
        b"x" * (MAX_FRAME_BYTES + 10),
    ],
)
def test_bad_frames_end_only_the_offenders_session(
    server: Server, join: ClientFactory, garbage: bytes
) -> None:
    watcher = join("watcher")
    offender = join("offender")
    offender.conn._channels[Channel.SEND].write(garbage)
    error = offender.inbox.wait_for(matching("error", code="bad_frame"))
    assert error["text"]
    offender.inbox.wait_closed()
    assert watcher.inbox.wait_for(matching("leave", name="offender"))["reason"] == "error"
    assert watcher.say_and_wait("room still works")["text"] == "room still works"


def test_good_frames_before_a_bad_line_are_still_delivered(join: ClientFactory) -> None:
    watcher = join("watcher")
    offender = join("offender")
    offender.conn._channels[Channel.SEND].write(
        b'{"type":"say","text":"last words"}\nnot json\n'
    )
    assert watcher.inbox.wait_for(matching("message", text="last words"))["from"] == "offender"
    assert watcher.inbox.wait_for(matching("leave", name="offender"))["reason"] == "error"


def test_client_vanishing_mid_frame_ends_its_session(server: Server, join: ClientFactory) -> None:
    watcher = join("watcher")
    vanishing = join("vanishing")
    vanishing.conn._channels[Channel.SEND].write(b'{"type":"say","te')
    vanishing.conn.close()
    watcher.inbox.wait_for(matching("leave", name="vanishing"))
    assert watcher.say_and_wait("fine")["text"] == "fine"


def test_avatar_upload_and_download(join: ClientFactory) -> None:
    alice = join("alice")
    bob = join("bob")
    png = _png()
    sha = alice.conn.upload_avatar(png).result(10)
    assert sha == hashlib.sha256(png).hexdigest()
    assert bob.inbox.wait_for(matching("avatar_changed", name="alice"))["avatar"] == sha
    assert bob.conn.get_avatar(sha).result(10) == png
    echo = alice.say_and_wait("with face")
    assert echo["avatar"] == sha
    assert {u["name"]: u["avatar"] for u in join("carol").conn.welcome["users"]}["alice"] == sha


def test_known_avatar_in_hello_is_used_without_upload(join: ClientFactory) -> None:
    alice = join("alice")
    sha = alice.conn.upload_avatar(_png("blue")).result(10)
    alice.conn.bye()
    again = join("alice2", avatar=sha)
    assert again.conn.welcome["avatar"] == sha
    assert join("unknownface", avatar="f" * 64).conn.welcome["avatar"] is None


def test_console_avatar_can_be_downloaded(join: ClientFactory) -> None:
    alice = join("alice")
    sha = alice.conn.welcome["console_avatar"]
    data = alice.conn.get_avatar(sha).result(10)
    assert hashlib.sha256(data).hexdigest() == sha
    assert data.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("payload", "claimed"),
    [
        (b"definitely not a png", None),
        (_png(), "0" * 64),
        (_png(size=1025), None),
    ],
)
def test_bad_image_keeps_the_session(
    join: ClientFactory, payload: bytes, claimed: str | None
) -> None:
    alice = join("alice")
    future = alice.conn.upload_avatar(payload) if claimed is None else None
    if claimed is not None:
        alice.conn.send_frame(
            Channel.IMAGE, {"type": "avatar", "sha256": claimed}, payload
        )
        alice.inbox.wait_for(matching("error", code="bad_image"))
    else:
        assert future is not None
        with pytest.raises(errors.BadImage):
            future.result(10)
    assert alice.say_and_wait("still here")["avatar"] is None


def test_get_unknown_avatar_is_not_found(join: ClientFactory) -> None:
    alice = join("alice")
    with pytest.raises(errors.NotFound):
        alice.conn.get_avatar("a" * 64).result(10)
    alice.conn.send_frame(Channel.IMAGE, {"type": "get_avatar", "sha256": "../etc"})
    assert alice.inbox.wait_for(matching("error", code="not_found"))


def test_image_frames_after_an_upload_are_answered_in_order(join: ClientFactory) -> None:
    alice = join("alice")
    png = _png("green")
    sha = hashlib.sha256(png).hexdigest()
    upload = alice.conn.upload_avatar(png)
    download = alice.conn.get_avatar(sha)
    assert download.result(10) == png, "the get after the upload sees the stored avatar"
    assert upload.result(10) == sha


def test_client_that_never_reads_is_dropped_and_does_not_stall_others(
    make_server: ServerFactory, join: ClientFactory
) -> None:
    server = make_server(queue_limit=256 * 1024)
    talker = join("talker", server)
    listener = join("listener", server)
    stuck = RawChannel(server.ports.recv)
    stuck.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.send({"type": "hello", "version": 1, "name": "stuck"})
    talker.inbox.wait_for(matching("join", name="stuck"))
    line = "x" * 4000
    count = 2_000  # 8 MB: more than the kernel buffers and the queue limit together
    for number in range(count):
        talker.conn.say(f"{number} {line}")
    leave = listener.inbox.wait_for(matching("leave", name="stuck"))
    assert leave["reason"] == "error"
    listener.inbox.wait_for(matching("message", text=f"{count - 1} {line}"))
    assert listener.inbox.closed_reason is None
    stuck.close()
