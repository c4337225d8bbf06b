"""Avatar uploads: a budget per session and for the room, the same picture again a no-op."""

from __future__ import annotations

import io
from concurrent.futures import Future

from PIL import Image

from tests.conftest import WAIT, Client, ClientFactory, matching
from tuichat.net import client as errors
from tuichat.server.avatars import (
    ROOM_UPLOAD_BURST,
    ROOM_UPLOAD_PER_SECOND,
    UPLOAD_BURST,
    UPLOAD_INTERVAL,
    UploadBudget,
)


def _png(shade: int) -> bytes:
    """A distinct 1-pixel PNG per ``shade`` (what the flood used)."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), (shade % 256, shade // 256, 7)).save(buffer, format="PNG")
    return buffer.getvalue()


def _settled(futures: list[Future[str]]) -> tuple[int, list[str]]:
    """How many uploads were applied, and the texts of the refused ones."""
    applied, refused = 0, []
    for future in futures:
        try:
            future.result(WAIT)
            applied += 1
        except errors.BadImage as exc:
            refused.append(str(exc))
    return applied, refused


def _changes_seen(bystander: Client, uploader: Client) -> int:
    """``avatar_changed`` frames ``bystander`` got for ``uploader``, counted once a later
    line of the uploader's reached it (the room's frames arrive in order)."""
    uploader.say_and_wait("done")
    bystander.inbox.wait_for(matching("message", text="done"))
    return len(bystander.inbox.all(matching("avatar_changed", name=uploader.conn.name)))


def test_an_upload_loop_is_held_to_the_budget(join: ClientFactory) -> None:
    alice, bob = join("alice"), join("bob")
    applied, refused = _settled([bob.conn.upload_avatar(_png(shade)) for shade in range(12)])
    assert applied == UPLOAD_BURST
    assert len(refused) == 12 - UPLOAD_BURST
    assert "too many avatar uploads (at most 3 at once, then one every 10 s)" in refused[0]
    assert _changes_seen(alice, bob) == UPLOAD_BURST


def test_the_same_picture_again_is_not_broadcast_and_costs_nothing(
    join: ClientFactory,
) -> None:
    alice, bob = join("alice"), join("bob")
    picture = _png(1)
    sha = bob.conn.upload_avatar(picture).result(WAIT)
    for _ in range(UPLOAD_BURST + 5):
        assert bob.conn.upload_avatar(picture).result(WAIT) == sha
    assert _changes_seen(alice, bob) == 1
    unchanged = bob.inbox.all(matching("avatar_changed", name="bob", unchanged=True))
    assert len(unchanged) == UPLOAD_BURST + 5
    # The re-uploads spent nothing: the rest of the burst is still there.
    applied, refused = _settled([bob.conn.upload_avatar(_png(2 + n)) for n in range(3)])
    assert (applied, len(refused)) == (UPLOAD_BURST - 1, 1)


def test_an_upload_refused_for_budget_leaves_the_session_usable(join: ClientFactory) -> None:
    bob = join("bob")
    _settled([bob.conn.upload_avatar(_png(shade)) for shade in range(UPLOAD_BURST + 1)])
    assert bob.say_and_wait("still here")["text"] == "still here"
    assert bob.inbox.closed_reason is None


# -- the budget on its own, with a stepped clock ----------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_budget_refills_one_upload_per_interval() -> None:
    clock = _Clock()
    budget = UploadBudget(clock)
    assert all(budget.refusal("bob") is None for _ in range(UPLOAD_BURST))
    refusal = budget.refusal("bob")
    assert refusal is not None and refusal.endswith(f"try again in {UPLOAD_INTERVAL:g} s")
    clock.now += UPLOAD_INTERVAL / 2
    assert budget.refusal("bob") is not None
    clock.now += UPLOAD_INTERVAL / 2
    assert budget.refusal("bob") is None
    assert budget.refusal("alice") is None  # each uploader has a bucket of its own


def test_room_budget_bounds_many_uploaders_together() -> None:
    clock = _Clock()
    budget = UploadBudget(clock)
    verdicts = [budget.refusal(f"user{n}") for n in range(ROOM_UPLOAD_BURST + 5)]
    assert verdicts[:ROOM_UPLOAD_BURST] == [None] * ROOM_UPLOAD_BURST
    assert all(v is not None and "server is taking too many" in v
               for v in verdicts[ROOM_UPLOAD_BURST:])
    clock.now += 1 / ROOM_UPLOAD_PER_SECOND
    assert budget.refusal("late") is None


def test_forgotten_uploader_starts_afresh() -> None:
    budget = UploadBudget(_Clock())
    for _ in range(UPLOAD_BURST):
        budget.refusal("bob")
    assert budget.refusal("bob") is not None
    budget.forget("bob")
    assert budget.refusal("bob") is None
