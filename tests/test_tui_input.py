"""What the user types, as a terminal delivers it: keys in one burst, pastes, the keys
terminals really send, ``//`` and what a refused line leaves in the box. Real app, real
server; keys go through Textual's own terminal parser (tests.tui_helpers.burst)."""

from __future__ import annotations

import asyncio
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from tests.conftest import Client, ClientFactory, matching
from tests.test_tui_features import status
from tests.tui_helpers import burst, chat, log_texts, make_app, on_chat, type_line, until
from tuichat.net.frames import MAX_TEXT_CHARS, Frame
from tuichat.server.app import Server
from tuichat.tui.composer import Composer, Outcome
from tuichat.tui.slash import completion_words

SIZE = (100, 30)


async def heard(pilot: Pilot[Any], user: Client, kind: str, count: int) -> list[Frame]:
    """The first ``count`` frames of ``kind`` from alice that ``user`` got, letting the
    app run meanwhile."""
    from_alice = matching(kind, **{"from": "alice"})
    await until(pilot, lambda: len(user.inbox.all(from_alice)) >= count, f"{count} {kind}")
    return user.inbox.all(from_alice)[:count]


def kept_selected(composer: Composer, text: str) -> bool:
    """The box still holds ``text``, all of it selected."""
    return composer.text == composer.selected_text == text


async def test_keys_in_one_burst_are_applied_in_order(server: Server, join: ClientFactory,
                                                       tmp_path: Path) -> None:
    bob = join("bob")
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        composer = chat(app).query_one(Composer)
        # The case: ab, ctrl+j, cd, ctrl+j, ef in one read of the terminal.
        burst(app, "ab\ncd\nef")
        await until(pilot, lambda: composer.text == "ab\ncd\nef", "three lines in order")
        # Editing keys, a Tab completion and several Enters, all in one read.
        burst(app, "\x7fF\x1b[Dx\r", "one\rtwo\rbo\tthree\r", "/msg b\thi there\r", "last")
        said = [frame["text"] for frame in await heard(pilot, bob, "message", 4)]
        assert said == ["ab\ncd\nexF", "one", "two", "bob: three"]
        [private] = await heard(pilot, bob, "private", 1)
        assert private["text"] == "hi there"
        await until(pilot, lambda: composer.text == "last", "what came after the Enters")
        # A screen's binding that fills the box (ctrl+f: "/search "), then its argument.
        burst(app, "\x01\x7f\x06bob:\r")  # ctrl+a selects all, backspace clears it
        await until(pilot, lambda: "search 'bob:' 1/1" in status(app), "searched")


async def test_a_paste_and_its_keys_are_sent_whole_however_the_bytes_are_cut(
        server: Server, join: ClientFactory, tmp_path: Path) -> None:
    bob = join("bob")
    app = make_app(server, "alice", tmp_path)
    code = "```python\ndef f(x):\n    return x  # done\n\nprint(f(1))\n```"
    typed = f"look:\n\x1b[200~{code}\x1b[201~\nok\r"  # ctrl+j, a bracketed paste, Enter
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        for cut in (1, 7, 10, 23):  # mid-sequence, mid-paste, anywhere
            burst(app, *(typed[start:start + cut] for start in range(0, len(typed), cut)))
        texts = [frame["text"] for frame in await heard(pilot, bob, "message", 4)]
        assert texts == [f"look:\n{code}\nok"] * 4
        assert chat(app).query_one(Composer).text == ""


async def test_double_slash_sends_a_line_that_starts_with_a_slash(
        server: Server, join: ClientFactory, tmp_path: Path) -> None:
    bob = join("bob")
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        await type_line(pilot, "//tmp is full")
        await type_line(pilot, "  //  indented\nsecond line")
        first, second = await heard(pilot, bob, "message", 2)
        assert (first["text"], second["text"]) == ("/tmp is full", "/  indented\nsecond line")
        assert not any(text.startswith("Unknown command") for text in log_texts(app))


async def test_a_refused_line_stays_selected_so_the_next_key_replaces_it(
        server: Server, join: ClientFactory, tmp_path: Path) -> None:
    bob = join("bob")
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        composer = chat(app).query_one(Composer)
        burst(app, "/frobnicate\r")
        await until(pilot, lambda: any("Unknown command /frobnicate" in text
                                       for text in log_texts(app)), "refused")
        assert composer.text == "/frobnicate"  # kept, to mend or type over
        assert composer.selected_text == "/frobnicate"
        burst(app, "/me waves\r")  # the next keys replace it: not "/frobnicate/me waves"
        [action] = await heard(pilot, bob, "message", 1)
        assert (action["text"], action.get("action")) == ("waves", True)
        # Every other refusal that keeps the line does the same: a usage error, a chat
        # line the server would refuse, and any line while disconnected.
        too_long = "x" * (MAX_TEXT_CHARS + 1)
        for line, typed in (("/msg bob", "/msg bob"), ("/nick no good", "/nick no good"),
                            (too_long, f"\x1b[200~{too_long}\x1b[201~")):
            burst(app, f"{typed}\r")
            await until(pilot, partial(kept_selected, composer, line), line[:20])
        burst(app, "\x7f")  # backspace takes the whole selection
        await until(pilot, lambda: composer.text == "", "emptied by one key")
        server.stop()
        await until(pilot, lambda: chat(app).state != "connected", "disconnected")
        for line in ("still here", "admin -s", "/away lunch"):
            burst(app, f"{line}\r")
            await until(pilot, partial(kept_selected, composer, line), line)



async def test_a_line_sent_just_before_quitting_still_goes(server: Server, join: ClientFactory,
                                                          tmp_path: Path) -> None:
    bob = join("bob")
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        burst(app, "bye all\r\x11")  # Enter and ctrl+q in the same read
        await until(pilot, lambda: app.return_code is not None, "the app quit")
    assert [frame["text"] for frame in bob.inbox.all(matching("message"))] == ["bye all"]
    bob.inbox.wait_for(matching("leave", name="alice", reason="quit"))

async def test_shift_f3_steps_the_search_whatever_the_terminal_sends(
        server: Server, join: ClientFactory, tmp_path: Path) -> None:
    bob = join("bob")
    for number in range(20):
        bob.say_and_wait(f"line {number}" + (" has the needle" if number % 5 == 3 else ""))
    app = make_app(server, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: on_chat(app), "joined")
        await type_line(pilot, "/search needle")
        await until(pilot, lambda: "search 'needle' 1/4" in status(app), "the newest match")
        # f3 goes to the older match; shift+f3 back to the newer, as tmux and xterm send
        # it (ESC[1;2R, which Textual takes for a cursor position report), as kitty's
        # keyboard protocol sends it (ESC[13;2~), and as Textual names ESC[1;2R (f15).
        for shift_f3 in ("\x1b[1;2R", "\x1b[13;2~"):
            burst(app, "\x1bOR")
            await until(pilot, lambda: "2/4" in status(app), "f3: the older match")
            burst(app, shift_f3)
            await until(pilot, lambda: "1/4" in status(app), f"shift+f3 as {shift_f3!r}")
        await pilot.press("f3")
        await until(pilot, lambda: "2/4" in status(app), "the older match again")
        await pilot.press("f15")
        await until(pilot, lambda: "1/4" in status(app), "the key named f15")

KEYS = ("a", "b", "o", " ", "/", "!", "\n", "\t", "\x7f", "\r", "\x1b[D", "\x1b[A", "\x1b[B",
        "\x1b[200~p\nq\x1b[201~")
"""Terminal input: letters, ctrl+j, Tab, backspace, Enter, left, up, down, a paste."""


class TwoBoxes(App[None]):
    """Two entry boxes fed the same keys; a line starting with ``!`` is refused."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: dict[str, list[str]] = {"calm": [], "burst": []}

    def compose(self) -> ComposeResult:
        for box in self.sent:
            yield Composer(names=lambda: ("bob", "Bobby"), commands=completion_words,
                           submit=partial(self.take, box), id=box)

    def take(self, box: str, text: str) -> Outcome:
        if text.startswith("!"):
            return Outcome.KEPT
        self.sent[box].append(text)
        return Outcome.TAKEN


async def feed_both(keys: list[str], cuts: list[int]) -> None:
    app = TwoBoxes()
    async with app.run_test() as pilot:
        calm, fast = app.query_one("#calm", Composer), app.query_one("#burst", Composer)
        calm.focus()
        for key in keys:  # one key at a time, each applied before the next comes
            burst(app, key)
            await pilot.pause()
        fast.focus()
        await pilot.pause()
        data = "".join(keys)
        edges = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
        burst(app, *(data[start:end] for start, end in pairwise(edges)))
        for _ in range(3):
            await pilot.pause()
        assert (fast.text, fast.selection) == (calm.text, calm.selection)
        assert app.sent["burst"] == app.sent["calm"]


@settings(max_examples=12, deadline=None)
@given(keys=st.lists(st.sampled_from(KEYS), min_size=1, max_size=30),
       cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=4))
def test_a_burst_of_keys_ends_as_the_same_keys_typed_one_by_one(keys: list[str],
                                                                 cuts: list[int]) -> None:
    asyncio.run(feed_both(keys, cuts))
