"""Snapshots of the real app: the connect screen, a busy chat, the debug pane, a private
conversation, 80x24 in both layouts, and a busy room list (against the rooms stand-in) at
100x30 and 80x24.

Update after a deliberate change with ``pytest tests/test_tui_snapshots.py
--snapshot-update`` and look at the SVGs in ``tests/__snapshots__/`` before committing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.room_scenes import RoomsScene, busy_rooms, open_rooms_scene
from tests.scenes import (
    BUSY_ROOM,
    Scene,
    connect_app,
    in_private,
    open_scene,
    settled,
    settled_busy,
    utc,
    with_debug_pane,
    with_features,
)

SnapCompare = Callable[..., bool]


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    with utc():
        opened = open_scene(tmp_path)
        try:
            yield opened
        finally:
            opened.close()


@pytest.fixture
def rooms_scene(tmp_path: Path) -> Iterator[RoomsScene]:
    """Alice in four rooms and two private conversations, messages waiting in them."""
    with utc():
        opened = open_rooms_scene(tmp_path)
        try:
            yield opened
        finally:
            opened.close()


@pytest.fixture
def busy_room(tmp_path: Path) -> Iterator[Scene]:
    """The busy room of one-line messages, shown in the compact layout."""
    with utc():
        opened = open_scene(tmp_path, BUSY_ROOM, compact=True)
        try:
            yield opened
        finally:
            opened.close()


def test_connect_screen(snap_compare: SnapCompare, tmp_path: Path) -> None:
    with utc():
        assert snap_compare(connect_app(tmp_path), terminal_size=(100, 30))


def test_busy_chat_with_avatars_and_console(snap_compare: SnapCompare, scene: Scene) -> None:
    assert snap_compare(scene.app, terminal_size=(100, 30), run_before=settled)


def test_debug_pane_open(snap_compare: SnapCompare, scene: Scene) -> None:
    assert snap_compare(scene.app, terminal_size=(100, 30), run_before=with_debug_pane)


def test_chat_at_80x24(snap_compare: SnapCompare, scene: Scene) -> None:
    scene.app.settings.compact = False  # 80x24 would pick the compact layout
    assert snap_compare(scene.app, terminal_size=(80, 24), run_before=settled)


def test_compact_layout_at_80x24(snap_compare: SnapCompare, busy_room: Scene) -> None:
    assert snap_compare(busy_room.app, terminal_size=(80, 24), run_before=settled_busy)


def test_private_emote_markdown_away_and_search(snap_compare: SnapCompare, scene: Scene) -> None:
    assert snap_compare(scene.app, terminal_size=(100, 30), run_before=with_features(scene.bob))


def test_a_private_conversation_with_a_search(snap_compare: SnapCompare, scene: Scene) -> None:
    assert snap_compare(scene.app, terminal_size=(100, 30), run_before=in_private(scene.bob))


def test_busy_room_list_at_100x30(snap_compare: SnapCompare, rooms_scene: RoomsScene) -> None:
    assert snap_compare(rooms_scene.app, terminal_size=(100, 30),
                        run_before=busy_rooms(rooms_scene))


def test_busy_room_list_at_80x24(snap_compare: SnapCompare, rooms_scene: RoomsScene) -> None:
    rooms_scene.app.settings.compact = False  # the full list; compact collapses it to a row
    assert snap_compare(rooms_scene.app, terminal_size=(80, 24),
                        run_before=busy_rooms(rooms_scene))


def test_busy_room_list_in_the_compact_layout(snap_compare: SnapCompare,
                                              rooms_scene: RoomsScene) -> None:
    assert snap_compare(rooms_scene.app, terminal_size=(80, 24),
                        run_before=busy_rooms(rooms_scene))
