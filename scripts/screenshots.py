"""Save SVG screenshots of the real app into screenshots/ (the README shows them).

Run from the repository root: ``.venv/bin/python scripts/screenshots.py``. The scenes are
the ones the snapshot tests check (tests/scenes.py): a real server on free loopback ports
with a seeded history, bob in the room, and the app joining as alice; and for
``rooms.svg`` the busy room list of tests/room_scenes.py, served by the rooms stand-in.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.room_scenes import busy_rooms, open_rooms_scene  # noqa: E402 - after the path
from tests.scenes import (  # noqa: E402 - after the path is set
    BUSY_ROOM,
    Prepare,
    connect_app,
    open_scene,
    settled,
    settled_busy,
    utc,
    with_debug_pane,
    with_features,
)
from tuichat.tui.app import TuichatApp  # noqa: E402

OUT = ROOT / "screenshots"


async def shoot(app: TuichatApp, size: tuple[int, int], prepare: Prepare | None,
                name: str) -> Path:
    async with app.run_test(size=size) as pilot:
        if prepare is not None:
            await prepare(pilot)
        await pilot.pause()
        path = app.save_screenshot(f"{name}.svg", str(OUT))
    return Path(path)


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
    for path in saved:
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
