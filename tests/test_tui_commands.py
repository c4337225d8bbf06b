"""The client's command table, its ignore list and its display settings, without an app."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from textual.binding import Binding

from tuichat.net.commands import ADMIN_COMMANDS
from tuichat.tui.composer import completions
from tuichat.tui.ignore import MAX_IGNORED, IgnoreList
from tuichat.tui.keys import KEY_ROWS, bar_keys, screen_bindings
from tuichat.tui.settings import ConfigError, Settings, load_settings
from tuichat.tui.slash import (
    SLASH_COMMANDS,
    SLASH_TEXT,
    completion_words,
    find_slash,
    help_sections,
    palette,
    room_commands,
)


@pytest.fixture(autouse=True)
def _own_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Config and state dirs of this test only."""
    for kind in ("CONFIG", "STATE", "CACHE"):
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / kind.lower()))


def test_every_command_is_found_with_its_arguments_in_any_case() -> None:
    for command in SLASH_COMMANDS:
        found = find_slash(f"{command.name.upper()}   some  words ")
        assert found == (command, "some  words")
    for alias, name in (("/exit", "/quit"), ("/WIN", "/window"), ("/leave", "/part")):
        found = find_slash(f"{alias} 2")
        assert found is not None and found[0].name == name
    assert find_slash("/nosuch x") is None
    assert find_slash("") is None


def test_help_completion_and_the_palette_read_one_table() -> None:
    sections = dict(help_sections("alice"))
    assert sections["Commands"] == [(command.usage, command.summary_for("alice"))
                                    for command in SLASH_COMMANDS] + [SLASH_TEXT]
    assert ("/me ACTION", "show yourself doing ACTION (/me waves: * alice waves)") in \
        sections["Commands"]
    assert [usage for usage, _ in sections["Admin commands (answered by the server)"]] == [
        admin.usage for admin in ADMIN_COMMANDS]
    words = completion_words()
    assert "/msg " in words and "/names" in words and "/quit" in words
    # The palette runs argument-free commands at once and prefills the others.
    at_once = {command.name for command in SLASH_COMMANDS if command.runs_at_once}
    assert {"/names", "/away", "/ignore", "/help", "/timestamp"} <= at_once
    assert not {"/msg", "/reply", "/me", "/nick", "/whois", "/unignore"} & at_once


def test_what_the_server_lacks_is_left_out_of_help_palette_and_completion() -> None:
    plain = frozenset({"private", "action"})
    commands = [usage for usage, _ in dict(help_sections("alice", plain))["Commands"]]
    assert "/msg NAME TEXT" in commands and "/me ACTION" in commands
    assert not {"/join #ROOM", "/nick NAME", "/away [TEXT]"} & set(commands)
    keys = [key for key, _ in dict(help_sections("alice", plain))["Keys"]]
    assert "ctrl+n / alt+down" not in keys and "f4" not in keys
    with_rooms = dict(help_sections("alice", plain | {"rooms"}))
    assert "/join #ROOM" in [usage for usage, _ in with_rooms["Commands"]]
    assert "ctrl+n / alt+down" in [key for key, _ in with_rooms["Keys"]]
    assert "/join " not in completion_words(plain) and "/join " in completion_words()
    titles = {title: (line, at_once) for title, _, line, at_once in palette("alice", plain)}
    assert "/join #ROOM" not in titles
    assert titles["/names"] == ("/names", True) and titles["/msg NAME TEXT"] == ("/msg ", False)
    assert titles["admin -s"] == ("admin -s", True) and titles["admin -c"] == ("admin -c", False)
    assert titles["admin -l FILE.txt"] == ("admin -l ", False)


def test_the_keys_of_help_the_bar_and_the_bindings_are_one_table() -> None:
    bound = {binding.key for binding in screen_bindings() if isinstance(binding, Binding)}
    for row in KEY_ROWS:
        if row.action is not None and row.action != "pick_conversation":
            assert row.keys in bound, row.keys
    assert {f"alt+{number}" for number in range(1, 10)} <= bound
    assert bar_keys(rooms=False) == [("^q", "Quit"), ("f1", "Help"), ("f2", "Debug"),
                                     ("^p", "Commands"), ("pgup", "Scroll")]
    assert [key for key, _ in bar_keys(rooms=True)][:5] == ["^q", "f1", "^n", "alt+↑", "f4"]


NAMES = ("bob", "Bobby", "alice")
ROOMS = ("#lobby", "#dev", "#design")


@pytest.mark.parametrize(("line", "first_line", "expected"), [
    ("bo", True, (0, ["bob: ", "Bobby: "])),
    ("hi BO", True, (3, ["bob ", "Bobby "])),
    ("/m", True, (0, ["/markdown ", "/me ", "/msg "])),
    ("/msg bo", True, (5, ["bob ", "Bobby "])),
    ("/whois al", True, (7, ["alice "])),
    ("admin -k al", True, (9, ["alice "])),
    ("admin -", True, (0, sorted(w for w in completion_words() if w.startswith("admin -")))),
    ("/nosuch", True, (0, [])),
    ("/msg ", True, (0, ["/msg "])),
    ("/msg bo", False, (5, ["bob ", "Bobby "])),
    ("zed", True, (0, [])),
    ("#d", True, (0, ["#design ", "#dev "])),
    ("see #DE", True, (4, ["#design ", "#dev "])),
    ("/join de", True, (6, ["#design ", "#dev "])),
    ("/part #l", True, (6, ["#lobby "])),
    ("/leave lo", True, (7, ["#lobby "])),
    ("/join dev x", True, (10, [])),
    ("/msg de", True, (5, [])),
    ("/join de", False, (6, [])),
])
def test_tab_completes_commands_then_the_names_after_them(
        line: str, first_line: bool, expected: tuple[int, list[str]]) -> None:
    assert completions(line, first_line, NAMES, completion_words(), ROOMS,
                       room_commands()) == expected


def test_every_command_has_its_own_handler() -> None:
    from tuichat.tui import room_commands, slash_handlers

    handlers = [command.handler for command in SLASH_COMMANDS]
    assert len(set(handlers)) == len(handlers)
    homes = {slash_handlers.__name__, room_commands.__name__}
    for command in SLASH_COMMANDS:
        assert command.handler.__module__ in homes, command.name


def test_ignore_list_is_kept_per_server_and_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ignored.json"
    here = IgnoreList("chat.example:49154", path)
    assert here.add("Bob")
    assert not here.add("bob")
    assert "BOB" in here and here.keys == frozenset({"bob"})
    there = IgnoreList("other:49154", path)
    assert there.names == []
    there.add("carol")
    again = IgnoreList("chat.example:49154", path)
    assert again.names == ["Bob"]
    assert IgnoreList("other:49154", path).names == ["carol"]
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert again.remove("BOB") and not again.remove("bob")
    assert json.loads(path.read_text()) == {"other:49154": ["carol"]}


def test_ignore_list_follows_a_rename_and_has_a_bound(tmp_path: Path) -> None:
    path = tmp_path / "ignored.json"
    ignored = IgnoreList("h:1", path)
    ignored.add("bob")
    ignored.rename("Bob", "robert")
    assert ignored.names == ["robert"]
    ignored.rename("carol", "dave")  # not ignored: nothing follows
    assert ignored.names == ["robert"]
    ignored.rename("Robert", "Rob")  # what they wrote under earlier names stays hidden
    assert (ignored.names, ignored.keys) == (["Rob"], frozenset({"rob", "robert", "bob"}))
    assert ignored.remove("rob") and ignored.keys == frozenset()
    ignored.add("robert")
    for number in range(MAX_IGNORED - 1):
        assert ignored.add(f"user{number}")
    assert not ignored.add("one-too-many")
    assert len(IgnoreList("h:1", path).names) == MAX_IGNORED


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"h:1": "bob"}', '{"h:1": [3, ""]}'])
def test_a_broken_ignore_file_is_read_as_empty(tmp_path: Path, content: str) -> None:
    path = tmp_path / "ignored.json"
    path.write_text(content)
    ignored = IgnoreList("h:1", path)
    assert ignored.names == []
    assert ignored.add("bob")
    assert IgnoreList("h:1", path).names == ["bob"]


def test_display_settings_come_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('timestamps = "datetime"\nmarkdown = false\nemoji = false\nbell = false\n'
                      'theme = "nord"\n')
    settings = load_settings(config)
    assert (settings.timestamps, settings.markdown, settings.emoji, settings.bell,
            settings.theme) == ("datetime", False, False, False, "nord")
    defaults = Settings()
    assert (defaults.timestamps, defaults.markdown, defaults.emoji, defaults.bell,
            defaults.theme) == ("time", True, True, True, "textual-dark")


@pytest.mark.parametrize(("line", "problem"), [
    ('timestamps = "seconds"', "timestamps must be one of time, datetime, off"),
    ("markdown = 1", "markdown must be true or false"),
    ('bell = "yes"', "bell must be true or false"),
    ('theme = "neon"', "theme must be one of ansi-dark, ansi-light, "),
    ("theme = 1", "theme must be a string"),
])
def test_wrong_display_settings_are_refused(tmp_path: Path, line: str, problem: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(line + "\n")
    with pytest.raises(ConfigError, match=problem):
        load_settings(config)
