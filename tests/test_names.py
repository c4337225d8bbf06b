"""Look-alike names: invisible characters refused, names compared by their TS #39 skeleton,
and Console's name and picture kept for the server, over real sockets."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import WAIT, Client, ClientFactory, Inbox, RawChannel, matching
from tuichat.net import client as errors
from tuichat.net.client import Connection
from tuichat.net.frames import Channel
from tuichat.net.names import (
    DEFAULT_IGNORABLE,
    is_default_ignorable,
    name_key,
    name_problem,
)
from tuichat.server.app import Server
from tuichat.server.avatars import console_avatar
from tuichat.server.config import ServerConfig

HANGUL_FILLERS = ["\u115f", "\u1160", "\u3164", "\uffa0"]


def _hello(server: Server, name: str) -> dict[str, object]:
    """The first frame the server answers a ``hello`` as ``name`` with."""
    raw = RawChannel(server.ports.recv)
    try:
        raw.send({"type": "hello", "version": 1, "name": name})
        return raw.read_frame()
    finally:
        raw.close()


# -- invisible characters --------------------------------------------------------------------


def test_console_with_a_grapheme_joiner_is_refused(server: Server) -> None:
    frame = _hello(server, "Console\u034f")
    assert frame["code"] == "bad_name"
    assert "U+034F" in str(frame["text"])


def test_a_present_name_with_a_grapheme_joiner_is_refused(
    server: Server, join: ClientFactory
) -> None:
    join("alice")
    frame = _hello(server, "alice\u034f")
    assert frame["code"] == "bad_name"
    assert frame["text"] == "the name must not hold the invisible character U+034F"


@pytest.mark.parametrize("filler", HANGUL_FILLERS, ids=lambda c: f"U+{ord(c):04X}")
def test_hangul_fillers_make_no_blank_name(server: Server, filler: str) -> None:
    assert _hello(server, filler)["code"] == "bad_name"
    assert _hello(server, f"bob{filler}")["code"] == "bad_name"


@pytest.mark.parametrize(
    "char", ["\u00ad", "\u061c", "\u17b4", "\u180b", "\u200d", "\u2060", "\ufe0f", "\U000e0100"],
    ids=lambda c: f"U+{ord(c):04X}",
)
def test_other_default_ignorables_after_a_letter_are_refused(char: str) -> None:
    assert name_problem(f"bob{char}") == (
        f"the name must not hold the invisible character U+{ord(char):04X}"
    )


def test_the_ignorable_table_is_sorted_disjoint_and_matches_its_ends() -> None:
    ends = [code for span in DEFAULT_IGNORABLE for code in span]
    assert ends == sorted(ends)
    for start, end in DEFAULT_IGNORABLE:
        assert is_default_ignorable(chr(start)) and is_default_ignorable(chr(end))
        assert not is_default_ignorable(chr(start - 1))
        assert not is_default_ignorable(chr(end + 1))


# -- look-alikes -----------------------------------------------------------------------------

LOOKALIKES = [
    ("alice", "\u0430lice"),  # Cyrillic a
    ("bob", "b\u043eb"),  # Cyrillic o
    ("bob", "b\u03bfb"),  # Greek omicron
    ("eve", "\u0435v\u0435"),  # Cyrillic e
    ("cat", "\u0441at"),  # Cyrillic es
    ("pat", "\u0440at"),  # Cyrillic er
    ("max", "ma\u0445"),  # Cyrillic ha
    ("sam", "\u0455am"),  # Cyrillic dze
    ("tim", "t\u0456m"),  # Cyrillic i
    ("Anna", "\u0391nna"),  # Greek capital alpha
    ("bob", "b0b"),  # digit zero
    ("alice", "a1ice"),  # digit one
    ("alice", "\uff41\uff4c\uff49\uff43\uff45"),  # full width
    ("alice", "ALICE"),  # case
    ("modem", "rnodern"),  # rn looks like m
]


@pytest.mark.parametrize(("present", "copy"), LOOKALIKES, ids=lambda name: ascii(name))
def test_a_look_alike_of_a_present_name_is_taken(
    server: Server, join: ClientFactory, present: str, copy: str
) -> None:
    join(present)
    with pytest.raises(errors.NameTaken) as caught:
        join(copy)
    assert present.casefold() in str(caught.value).casefold()


@pytest.mark.parametrize(
    "copy", ["C0nsole", "\u0421onsole", "C\u043ensole", "Consol\u0435", "CONS0LE",
             "\uff23\uff4f\uff4e\uff53\uff4f\uff4c\uff45", "Conso1e"],
    ids=ascii,
)
def test_a_look_alike_of_console_is_refused(server: Server, copy: str) -> None:
    frame = _hello(server, copy)
    assert frame["code"] == "bad_name"
    assert "Console" in str(frame["text"]) and "reserved" in str(frame["text"])


def test_a_rename_to_a_look_alike_is_refused(join: ClientFactory) -> None:
    alice, bob = join("alice"), join("bob")
    bob.conn.send_frame(Channel.SEND, {"type": "nick", "name": "\u0430lice"})
    notice = bob.inbox.wait_for(matching("notice", level="error"))
    assert notice["text"] == (
        "Name not changed: '\u0430lice' looks like 'alice', who is already here."
    )
    assert not alice.inbox.all(matching("leave", name="bob"))


@pytest.mark.parametrize("copy", ["ali\u03f2e", "ALI\u03f9E", "\u03f9onsole"], ids=ascii)
def test_look_alikes_that_nfkc_would_hide_are_caught(copy: str) -> None:
    """Found by bench/faults.py's look-alike attack: NFKC turns the lunate sigmas
    U+03F2 and U+03F9 into U+03C2 and U+03A3 before the table could map them to c."""
    assert name_key(copy) in (name_key("alice"), name_key("Console"))


def test_names_that_only_look_different_still_differ() -> None:
    assert name_key("alice") != name_key("alicia")
    assert name_key("Zoë") != name_key("Zoe")  # a diaeresis is seen
    assert name_problem("Console1") is None


# -- Console's picture -----------------------------------------------------------------------


def test_consoles_picture_is_refused_for_a_user(join: ClientFactory) -> None:
    bob, alice = join("bob"), join("alice")
    with pytest.raises(errors.BadImage) as caught:
        bob.conn.upload_avatar(console_avatar()).result(WAIT)
    assert "Console" in str(caught.value)
    bob.say_and_wait("still here")
    assert not alice.inbox.all(matching("avatar_changed"))


def test_hello_cannot_adopt_consoles_picture(server: Server, join: ClientFactory) -> None:
    console_sha = join("alice").conn.welcome["console_avatar"]
    assert join("bob", avatar=console_sha).conn.welcome["avatar"] is None


# -- the property ----------------------------------------------------------------------------


def _variants() -> dict[str, list[str]]:
    """For each prototype letter, the characters the table maps to it (its look-alikes)."""
    from tuichat.net.names import _confusables

    classes: dict[str, list[str]] = {}
    for source, target in _confusables().items():
        if len(target) == 1 and target.isascii() and target.isalnum():
            classes.setdefault(target, [target]).append(source)
    return classes


VARIANTS = _variants()
_BASE = st.text(alphabet=sorted(VARIANTS), min_size=1, max_size=8)


@pytest.fixture(scope="module")
def watched_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Client]]:
    """One server for every example of the property, and a client that sees who leaves."""
    server = Server(ServerConfig(
        host="127.0.0.1", port_send=0, port_recv=0, port_image=0,
        data_dir=tmp_path_factory.mktemp("names"), admin_password="x" * 20,
        rate_burst=0, max_per_address=0, auth_max_failures=0,
    ))
    server.start()
    watcher = _open(server, "_watcher")
    yield server, watcher
    watcher.conn.close()
    server.stop()
    assert server.wait(WAIT)


def _open(server: Server, name: str) -> Client:
    ports, inbox = server.ports, Inbox()
    conn = Connection.open("127.0.0.1", name, port_send=ports.send, port_recv=ports.recv,
                           port_image=ports.image, timeout=WAIT, on_frame=inbox.on_frame,
                           on_close=inbox.on_close)
    return Client(conn, inbox)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=_BASE, data=st.data())
def test_skeleton_equal_names_are_never_both_present(
    watched_server: tuple[Server, Client], base: str, data: st.DataObject
) -> None:
    server, watcher = watched_server
    copy = "".join(data.draw(st.sampled_from(VARIANTS[char])) for char in base)
    copy = unicodedata.normalize("NFC", data.draw(st.sampled_from([copy, copy.upper()])))
    assert name_key(copy) == name_key(base)
    if name_problem(base) is not None:
        return  # "C0nsole" and the like: reserved, so never present at all
    first = _open(server, base)
    try:
        with pytest.raises((errors.NameTaken, errors.BadName)):
            _open(server, copy).conn.close()
    finally:
        leaves = len(watcher.inbox.all(matching("leave")))
        first.conn.bye()
        watcher.inbox.wait_for(matching("leave"), count=leaves + 1)
