"""``ssh HOST avatar < picture``: any image Pillow reads becomes the user's avatar."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import ClientFactory, ServerFactory, matching
from tests.ssh_client import SshSession, make_key, run_ssh, ssh_args
from tests.system import needs
from tuichat.server.app import Server
from tuichat.tui.avatars import prepare_avatar

pytestmark = needs("ssh", "openssh-client")


@pytest.fixture
def server(make_server: ServerFactory) -> Server:
    """A server with its SSH door on (the ``join`` fixture joins it)."""
    return make_server(ssh_port=0)


def ssh_port(server: Server) -> int:
    assert server.ports.ssh is not None
    return server.ports.ssh


def picture(size: tuple[int, int], kind: str) -> bytes:
    """A two-colour picture of ``size`` encoded as ``kind`` (PNG, JPEG)."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, kind)
    return buffer.getvalue()


def test_a_jpeg_sets_the_avatar_of_an_online_user_for_everyone(
        server: Server, join: ClientFactory, tmp_path: Path) -> None:
    key = make_key(tmp_path, "alice")
    alice = SshSession(ssh_args(ssh_port(server), "alice", key, "-T"))
    bob = join("bob")
    bob.inbox.wait_for(lambda f: f.get("type") in ("welcome", "join"))
    jpeg = picture((800, 600), "JPEG")
    done = run_ssh(ssh_port(server), "alice", key, "--", "avatar", stdin=jpeg)
    assert done.returncode == 0, done.stderr
    sha = hashlib.sha256(prepare_avatar(jpeg)).hexdigest()
    assert done.stdout.decode() == (
        f"Your picture is set: 64x64 from a 800x600 JPEG (sha256 {sha[:12]}…); "
        "everyone sharing a room with you sees it now.\n")
    bob.inbox.wait_for(matching("avatar_changed", name="alice", avatar=sha))
    assert server.avatars is not None and server.avatars.get(sha) is not None
    alice.close_stdin()
    assert alice.wait() == 0


def test_a_png_set_while_away_is_had_on_the_next_ssh_join(
        server: Server, join: ClientFactory, tmp_path: Path) -> None:
    key = make_key(tmp_path, "alice")
    png = picture((40, 90), "PNG")
    done = run_ssh(ssh_port(server), "alice", key, "--", "avatar", stdin=png)
    assert done.returncode == 0, done.stderr
    assert "40x40 from a 40x90 PNG" in done.stdout.decode()
    assert "you will have it when you next join over SSH" in done.stdout.decode()
    bob = join("bob")
    alice = SshSession(ssh_args(ssh_port(server), "alice", key, "-T"))
    joined = bob.inbox.wait_for(matching("join", name="alice"))
    assert joined["avatar"] == hashlib.sha256(prepare_avatar(png)).hexdigest()
    alice.close_stdin()
    assert alice.wait() == 0


@pytest.mark.parametrize(("data", "why"), [
    (b"just some text", b"it is not an image Pillow can read"),
    (b"\x89PNG\r\n\x1a\nnot really a picture", b"the image is corrupt or truncated"),
])
def test_a_fake_image_is_refused_with_status_1(server: Server, tmp_path: Path, data: bytes,
                                               why: bytes) -> None:
    done = run_ssh(ssh_port(server), "alice", make_key(tmp_path, "k"), "--", "avatar",
                   stdin=data)
    assert done.returncode == 1
    assert b"Your picture was not set: " + why + b".\n" in done.stderr


def test_an_empty_or_oversized_input_is_refused(server: Server, tmp_path: Path) -> None:
    key = make_key(tmp_path, "k")
    empty = run_ssh(ssh_port(server), "alice", key, "--", "avatar")
    assert empty.returncode == 1 and b"no picture came on stdin" in empty.stderr
    huge = run_ssh(ssh_port(server), "alice", key, "--", "avatar", stdin=b"x" * 5_000_000)
    assert huge.returncode == 1 and b"the picture is over 4,194,304 bytes" in huge.stderr
