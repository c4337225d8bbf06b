"""Fitting lists into 64 KiB frames: nothing lost, order kept, never over the limit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tuichat.net.codec import encode, json_length
from tuichat.net.frames import MAX_FRAME_BYTES
from tuichat.server.doors.native.packing import newest_within, pack_list

items = st.lists(
    st.fixed_dictionaries({"name": st.text(max_size=40), "n": st.integers()}), max_size=60
)


@given(items, st.integers(min_value=120, max_value=2_000))
@settings(max_examples=200, deadline=None)
def test_packed_frame_fits_and_keeps_every_item_in_order(
    users: list[dict[str, object]], budget: int
) -> None:
    frame, rest = pack_list({"type": "welcome", "users": None}, "users", users, budget)
    assert len(encode(frame)) <= budget
    assert frame["users"] + rest == users
    if rest:
        bigger = {**frame, "users": [*frame["users"], rest[0]]}
        assert len(encode(bigger)) > budget, "as many items as fit were packed"


def test_a_list_that_fits_goes_in_whole() -> None:
    users = [{"name": f"user{number}"} for number in range(100)]
    frame, rest = pack_list({"type": "welcome"}, "users", users)
    assert rest == []
    assert len(encode(frame)) <= MAX_FRAME_BYTES


def test_a_long_history_spills_over_the_frame_limit() -> None:
    messages = [{"type": "message", "text": "x" * 4_000, "seq": n} for n in range(40)]
    frame, rest = pack_list({"type": "history", "reset": True}, "messages", messages)
    assert 0 < len(frame["messages"]) < 40
    assert frame["messages"] + rest == messages
    assert len(encode(frame)) <= MAX_FRAME_BYTES


@given(st.lists(st.fixed_dictionaries({"t": st.text(max_size=30)}), max_size=40),
       st.integers(min_value=0, max_value=800))
@settings(max_examples=200, deadline=None)
def test_newest_within_keeps_the_newest_that_fit(frames: list[dict[str, object]],
                                                 limit: int) -> None:
    kept, dropped = newest_within(frames, limit)
    assert kept == frames[len(frames) - len(kept):]
    assert sum(json_length(frame) + 1 for frame in kept) <= limit
    assert dropped == (len(kept) < len(frames))
