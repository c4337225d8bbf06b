"""Save SVG screenshots of the real app into screenshots/ (the README shows them).

Run from the repository root: ``.venv/bin/python scripts/screenshots.py``. The scenes are
the ones the snapshot tests check (tests/scenes.py): a real server on free loopback ports
with a seeded history, bob in the room, and the app joining as alice; and for
``rooms.svg`` the busy room list of tests/room_scenes.py, served by the rooms stand-in;
``web.png`` is headless chromium joining through the server's browser door (when chromium
is installed); ``ssh.svg`` is real ``ssh -tt`` in tmux joining through the SSH door, the
screen as tmux holds it (when ssh and tmux are installed).
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.text import Text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM, Browser  # noqa: E402 - after the path
from tests.room_scenes import busy_rooms, open_rooms_scene  # noqa: E402 - after the path
from tests.scenes import (  # noqa: E402 - after the path is set
    ADMIN_PASSWORD,
    BUSY_ROOM,
    CONVERSATION,
    Prepare,
    bob_avatar,
    connect_app,
    open_scene,
    seed_history,
    settled,
    settled_busy,
    utc,
    with_debug_pane,
    with_features,
)
from tests.ssh_client import make_key  # noqa: E402 - after the path
from tests.ssh_terminal import TmuxSsh  # noqa: E402 - after the path
from tuichat.net.client import Connection  # noqa: E402
from tuichat.server.app import Server  # noqa: E402
from tuichat.server.config import ServerConfig  # noqa: E402
from tuichat.tui.app import TuichatApp  # noqa: E402

OUT = ROOT / "screenshots"
PICTURES_DRAWN = 1.0
"""Seconds given the browser's client to fetch and draw bob's picture after his line."""


async def shoot(app: TuichatApp, size: tuple[int, int], prepare: Prepare | None,
                name: str) -> Path:
    async with app.run_test(size=size) as pilot:
        if prepare is not None:
            await prepare(pilot)
        await pilot.pause()
        path = app.save_screenshot(f"{name}.svg", str(OUT))
    return Path(path)


async def shoot_browser(workdir: Path) -> Path:
    """dana joins from headless chromium through the browser door of the scenes' server
    (its history, bob with his picture); bob greets her."""
    data_dir = workdir / "scene-web"
    seed_history(data_dir, tuple(line for line in CONVERSATION if "wide" not in line[2]))
    server = Server(ServerConfig(host="127.0.0.1", port_send=0, port_recv=0, port_image=0,
                                 data_dir=data_dir, admin_password=ADMIN_PASSWORD,
                                 web_port=0))
    server.start()
    ports = server.ports
    bob = Connection.open("127.0.0.1", "bob", port_send=ports.send, port_recv=ports.recv,
                          port_image=ports.image, timeout=10)
    bob.upload_avatar(bob_avatar()).result(10)
    browser = await Browser.launch(workdir / "chromium", size=(1000, 800))
    try:
        await browser.open(f"http://127.0.0.1:{ports.web}/")
        await browser.wait_for_text("join a chat")
        await browser.type("dana")
        await browser.press_enter()
        await browser.wait_for_text("Joined")
        await browser.type("hi all, this is a browser tab: nothing installed")
        typed = await browser.wait_for_text("nothing installed")
        await browser.press_enter()
        await browser.wait_for_text("nothing installed", since=typed)  # in the log now
        bob.say("welcome, dana! your picture came through as half-blocks too")
        await browser.wait_for_text("half-blocks too")
        await asyncio.sleep(PICTURES_DRAWN)
        return await browser.screenshot(OUT / "web.png")
    finally:
        await browser.close()
        bob.close()
        server.stop()
        server.wait(10)


def shoot_ssh(workdir: Path) -> Path:
    """alice joins over the SSH door with real ``ssh -tt`` in a 100x30 tmux window (her
    key made here), in the scenes' room; bob greets her. The screen tmux shows, colours
    included, is saved as SVG by rich: it is what alice's own terminal draws."""
    data_dir = workdir / "scene-ssh"
    seed_history(data_dir, tuple(line for line in CONVERSATION if "wide" not in line[2]))
    server = Server(ServerConfig(host="127.0.0.1", port_send=0, port_recv=0, port_image=0,
                                 data_dir=data_dir, admin_password=ADMIN_PASSWORD,
                                 ssh_port=0))
    server.start()
    ports = server.ports
    assert ports.ssh is not None
    bob = Connection.open("127.0.0.1", "bob", port_send=ports.send, port_recv=ports.recv,
                          port_image=ports.image, timeout=10)
    bob.upload_avatar(bob_avatar()).result(10)
    session = TmuxSsh(f"shot-{os.getpid()}", ports.ssh, "alice", make_key(workdir, "alice"))
    try:
        session.wait_for(lambda screen: "Joined" in screen, "alice joined over ssh")
        session.type("hi all, this is ssh: nothing installed")
        session.keys("Enter")
        session.wait_for(lambda screen: "this is ssh" in screen.split("Joined")[-1],
                         "alice's line in the log")
        bob.say("welcome, alice! your terminal draws my picture too")
        session.wait_for(lambda screen: "picture too" in screen, "bob's line")
        time.sleep(PICTURES_DRAWN)  # bob's picture is fetched and drawn after his line
        console = Console(record=True, width=100, height=30, file=io.StringIO(),
                          color_system="truecolor", force_terminal=True)
        console.print(Text.from_ansi(session.screen(colours=True).rstrip("\n")), end="")
        path = OUT / "ssh.svg"
        path.write_text(console.export_svg(title="ssh -p 2222 alice@HOST"), encoding="utf-8")
        return path
    finally:
        session.close()
        bob.close()
        server.stop()
        server.wait(10)


def main() -> int:
    OUT.mkdir(exist_ok=True)
    shots: list[tuple[str, tuple[int, int], Prepare | None, bool | None]] = [
        ("chat", (100, 30), settled, None),
        ("chat-80x24", (80, 24), settled, False),  # the full layout, as /compact off shows it
        ("debug-pane", (100, 30), with_debug_pane, None),
    ]
    with utc(), tempfile.TemporaryDirectory() as temp:
        workdir = Path(temp)
        saved = [asyncio.run(shoot(connect_app(workdir), (100, 30), None, "connect"))]
        for index, (name, size, prepare, compact) in enumerate(shots):
            scene = open_scene(workdir / f"scene-{index}", compact=compact)
            try:
                saved.append(asyncio.run(shoot(scene.app, size, prepare, name)))
            finally:
                scene.close()
        scene = open_scene(workdir / "scene-features")
        try:
            saved.append(asyncio.run(shoot(scene.app, (100, 30), with_features(scene.bob),
                                           "features")))
        finally:
            scene.close()
        scene = open_scene(workdir / "scene-compact", BUSY_ROOM, compact=True)
        try:
            saved.append(asyncio.run(shoot(scene.app, (80, 24), settled_busy, "compact")))
        finally:
            scene.close()
        rooms = open_rooms_scene(workdir / "scene-rooms")
        try:
            saved.append(asyncio.run(shoot(rooms.app, (100, 30), busy_rooms(rooms), "rooms")))
        finally:
            rooms.close()
        if shutil.which(CHROMIUM) is not None:
            saved.append(asyncio.run(shoot_browser(workdir)))
        else:
            print("web.png skipped: chromium is not installed")
        if shutil.which("ssh") is not None and shutil.which("tmux") is not None:
            saved.append(shoot_ssh(workdir))
        else:
            print("ssh.svg skipped: ssh or tmux is not installed")
    for path in saved:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
