"""The status line puts the most urgent things first and leaves out what does not apply."""

from __future__ import annotations

import dataclasses

from tuichat.tui.status_line import Status

QUIET = Status("alice", "chat.example", "connected", "", tls=False, unread=0, mentions=0,
               search="", search_at=None, away=False, focus=False, users=1, admin=False)


def test_a_quiet_session_shows_who_where_and_how_many() -> None:
    assert QUIET.line() == "alice @ chat.example · connected · 1 user"


def test_everything_at_once_comes_in_order_of_urgency() -> None:
    busy = Status("alice", "chat.example", "connected", "", tls=True, unread=3, mentions=1,
                  search="hi", search_at=(2, 5), away=True, focus=True, users=4, admin=True)
    assert busy.line() == ("alice @ chat.example · connected · tls · ↓ 3 new, 1 for you · "
                           "search 'hi' 2/5 · away · focus · 4 users · admin · "
                           "f3 / shift+f3: next, esc: stop")


def test_an_ended_session_shows_its_cause_and_no_count() -> None:
    ended = Status("alice", "chat.example", "refused", "kicked by root", tls=True, unread=0,
                   mentions=0, search="gone", search_at=None, away=False, focus=False,
                   users=0, admin=False)
    assert ended.line() == ("alice @ chat.example · kicked by root · search 'gone' 0/0 · "
                            "f3 / shift+f3: next, esc: stop")


def test_counts_waiting_in_other_rooms_come_after_the_ones_here() -> None:
    busy = Status("alice", "h", "connected", "", tls=False, unread=2, mentions=0, search="",
                  search_at=None, away=False, focus=False, users=3, admin=False,
                  elsewhere=(5, 1))
    assert busy.line() == "alice @ h · connected · ↓ 2 new · 5 elsewhere, 1 for you · 3 users"


def test_the_room_and_its_topic_follow_the_state_the_topic_quoted_and_cut_to_fit() -> None:
    here = dataclasses.replace(QUIET, place="#dev", topic="release friday · tests green")
    assert here.line() == ("alice @ chat.example · connected · #dev “release friday · tests "
                           "green” · 1 user")
    cut = here.line(62)
    assert cut == "alice @ chat.example · connected · #dev “release fr…” · 1 user"
    assert len(cut) == 62


def test_a_topic_with_too_little_room_is_left_out_and_the_room_stays() -> None:
    here = dataclasses.replace(QUIET, place="#dev", topic="release friday")
    assert here.line(50) == "alice @ chat.example · connected · #dev · 1 user"
    private = dataclasses.replace(QUIET, place="bob (private)")
    assert private.line(80) == "alice @ chat.example · connected · bob (private) · 1 user"
