"""The joins the client asked for and the server has not answered: answered in order, a
refusal (which need not name the room) answering the oldest."""

from __future__ import annotations

from tuichat.tui.join_requests import JoinRequests


def test_a_room_joined_answers_its_own_join_and_a_refusal_the_oldest_left() -> None:
    joins = JoinRequests()
    for room in ("#dev", "#ops", "#qa"):
        joins.ask(room)
    assert joins.joined("#ops")
    assert joins.refused("Room not joined: you are in 20 rooms, the most one user may be "
                         "in.") == "#dev"
    assert joins.waiting == ("#qa",)
    assert joins.refused("Room not joined: #qa is full (5 members).") == "#qa"
    assert not joins.waiting


def test_other_errors_and_rooms_not_asked_for_answer_nothing() -> None:
    joins = JoinRequests()
    joins.ask("#dev")
    assert joins.refused("You are not in #ops.") is None
    assert not joins.joined("#random")  # the server put us there (a rejoin)
    assert joins.waiting == ("#dev",)
    joins.forget()  # a new session
    assert joins.refused("Room not joined: #ops does not exist, and only admins may make "
                         "rooms on this server.") is None
