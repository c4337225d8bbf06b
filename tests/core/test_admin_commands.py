"""Admin commands in the core: one table for dispatch and help; the room commands act on
the room they are typed in and name it; kicks and bans are server-wide."""

from __future__ import annotations

import pytest

from tests.core.conftest import World
from tuichat.net.commands import ADMIN_COMMANDS
from tuichat.net.frames import CONSOLE, LeaveReason
from tuichat.server.core.admin import command_table
from tuichat.server.core.events import Ended, HistoryReset, Left, Noticed, RefusalKind, Said
from tuichat.server.core.model import Member
from tuichat.server.core.requests import Command, JoinRoom, Say


def _admin_in_dev(world: World) -> tuple[Member, Member]:
    """An admin and a user, both in #lobby and #dev."""
    root = world.arrive("root", admin_password="secret")
    bob = world.arrive("bob")
    for member in (root, bob):
        world.handle(member, JoinRoom("#dev"))
    return root, bob


def test_the_table_has_a_row_with_a_handler_for_every_described_command(world: World) -> None:
    table = world.chat.admin.table
    assert list(table) == [command.flag for command in ADMIN_COMMANDS]
    assert all(row.command.flag == flag and callable(row.handler) for flag, row in table.items())


def test_the_table_refuses_handlers_that_differ_from_the_descriptions() -> None:
    handlers = {command.flag: (lambda call: None) for command in ADMIN_COMMANDS}
    del handlers["-s"]
    handlers["-z"] = lambda call: None
    with pytest.raises(ValueError, match=r"without a handler: \['-s'\].*without a command: "
                                         r"\['-z'\]"):
        command_table(handlers)


def test_console_text_goes_to_the_room_it_was_typed_in(world: World) -> None:
    root, bob = _admin_in_dev(world)
    carol = world.arrive("carol")
    world.door.clear()
    world.handle(root, Command("#dev", "admin -t : deploy at noon"))
    [said] = world.door.of(bob, Said)
    assert (said.room.name, said.message.sender) == ("#dev", CONSOLE)
    assert not world.door.of(carol, Said)
    assert world.chat.hub.lobby.history.all() == []


def test_a_save_in_a_room_is_named_for_it_and_the_reply_says_so(world: World) -> None:
    root, _ = _admin_in_dev(world)
    world.handle(root, Say("#dev", "keep me"), Command("#dev", "admin -s"))
    notice = world.door.of(root, Noticed)[-1]
    assert notice.room is not None and notice.room.name == "#dev"
    assert notice.text.startswith("History of #dev saved as dev-chat-")
    assert notice.text.endswith(" (1 message).")
    name = notice.text.split(" saved as ")[1].split(" ")[0]
    saved = (world.config.saves_dir / name).read_text()
    assert saved.startswith("# tuichat history of #dev, saved ") and "root: keep me" in saved
    world.handle(root, Command("#lobby", "admin -s"))
    assert world.door.texts(root)[-1].startswith("History saved as chat-")


def test_a_clear_in_a_room_leaves_the_other_rooms_alone(world: World) -> None:
    root, bob = _admin_in_dev(world)
    for number in range(12):
        world.handle(root, Say("#dev", f"dev {number}"), Say("#lobby", f"lobby {number}"))
    world.door.clear()
    world.handle(root, Command("#dev", "admin -c"))
    world.scheduler.run_timers()
    assert len(world.chat.hub.rooms["#dev"].history.all()) == 10
    assert len(world.chat.hub.lobby.history.all()) == 12
    assert [event.room.name for event in world.door.of(bob, HistoryReset)] == ["#dev"]
    assert world.door.texts(root)[-1].startswith(
        "Cleared 2 messages from #dev, kept the last 10. The previous history of #dev was "
        "saved as dev-chat-")


def test_a_file_command_at_work_in_one_room_does_not_hold_another(world: World) -> None:
    root, _ = _admin_in_dev(world)
    world.chat.hub.rooms["#dev"].file_work = "admin -c"
    world.handle(root, Command("#dev", "admin -s"), Command("#lobby", "admin -s"))
    assert world.door.texts(root)[-2:][0] == (
        "admin -c is still at work; try again once it has answered.")
    assert world.door.texts(root)[-1].startswith("History saved as")


def test_the_message_of_the_day_is_the_rooms_own(world: World) -> None:
    root, bob = _admin_in_dev(world)
    world.handle(root, Command("#dev", "admin -m ship it"))
    [motd] = [e for e in world.door.of(bob, Noticed) if e.motd]
    assert motd.room is not None and (motd.room.name, motd.text) == ("#dev", "ship it")
    assert world.chat.hub.lobby.motd is None
    world.handle(root, Command("#dev", "admin -m"), Command("#lobby", "admin -m"))
    assert world.door.texts(root)[-2:] == ["Message of the day of #dev: ship it",
                                            "There is no message of the day."]
    carol = world.arrive("carol")
    world.handle(carol, JoinRoom("#dev"))
    assert [e.text for e in world.door.of(carol, Noticed) if e.motd] == ["ship it"]
    world.handle(root, Command("#dev", "admin -m -"))
    assert world.door.texts(root)[-1] == "Message of the day of #dev cleared."


def test_a_kick_typed_in_a_room_ends_the_session_in_every_room(world: World) -> None:
    root, bob = _admin_in_dev(world)
    carol = world.arrive("carol")
    world.handle(root, Command("#dev", "admin -k bob spam"))
    [ended] = world.door.of(bob, Ended)
    assert ended.reason is LeaveReason.KICKED and ended.refusal is not None
    assert ended.refusal.kind is RefusalKind.KICKED
    assert ended.refusal.text == "You were kicked by root: spam"
    assert [(e.room.name, e.by, e.text) for e in world.door.of(root, Left)] == [
        ("#lobby", "root", "spam"), ("#dev", "root", "spam")]
    assert [e.room.name for e in world.door.of(carol, Left)] == ["#lobby"]


def test_rights_are_checked_before_any_command_runs(world: World) -> None:
    bob = world.arrive("bob")
    world.handle(bob, JoinRoom("#dev"), Command("#dev", "admin -c"))
    notice = world.door.of(bob, Noticed)[-1]
    assert notice.text.startswith("admin -c needs admin rights.") and notice.level == "error"
    world.handle(bob, Command("#dev", "admin -a secret"))
    assert bob.admin


def test_a_command_in_a_room_one_is_not_in_is_refused(world: World) -> None:
    root = world.arrive("root", admin_password="secret")
    world.handle(root, Command("#dev", "admin -h"))
    assert world.door.texts(root)[-1] == "You are not in #dev; /join #dev first."
