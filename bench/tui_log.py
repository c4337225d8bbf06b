"""How fast and how big the chat log is, against Textual's RichLog; tuichat's start-up.

Each case runs in a fresh subprocess (``--case NAME``), so its peak RSS is its own: a bare
app to its first frame; tuichat to its first frame (the connect screen); MessageLog (with
identicon avatars) and RichLog fed the same chat lines, one app message per line (each
handler posts the next, as lines arrive from the network), timed from the first append to
the first frame after the last; MessageLog's re-layout after a width change; the same with
one message in ten in Markdown; the same in the compact layout; MessageLog with ten times
the lines, for memory.

Run: ``.venv/bin/python bench/tui_log.py [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textual.app import App, ComposeResult
from textual.message import Message
from textual.widget import Widget

from tuichat.tui import STYLESHEET

STARTUP = ("bare", "tuichat_connect", "tuichat_chat")
"""Cases timed from process spawn: short and noisy, so run several times."""
SIZE = (100, 40)
"""The terminal the apps run in, headless."""
NARROW = SIZE[0] - 20
"""The log's width for the re-layout measurement."""
SENDERS = [f"user{n:02}" for n in range(20)]
WORDS = ["the", "a", "chat", "of", "to", "and", "is", "it", "in", "that", "you", "for", "on"]
WORDS += ["with", "was", "see", "this", "be", "at", "lol", "ok", "tomorrow", "build"]
T0 = 1_700_000_000.0

Line = tuple[str, str, float]
"""(sender, text, unix time) of one chat message."""
Result = dict[str, float]


def chat_lines(count: int, seed: int = 1) -> list[Line]:
    """Deterministic chat: senders often speak several times in a row, texts of 1-40
    words, some with a URL or a mention, a few seconds apart."""
    rng = random.Random(seed)
    lines: list[Line] = []
    sender = SENDERS[0]
    for n in range(count):
        if rng.random() > 0.4:
            sender = rng.choice(SENDERS)
        words = rng.choices(WORDS, k=rng.randint(1, 40))
        if rng.random() < 0.05:
            words.append(f"https://example.com/{n}")
        if rng.random() < 0.05:
            words.insert(0, "me:")
        lines.append((sender, " ".join(words), T0 + n * 3))
    return lines


def markdown_chat(count: int) -> list[Line]:
    """``chat_lines`` with every tenth message in Markdown: emphasis, a list or code."""
    lines = chat_lines(count)
    shapes = ("**{}** ok", "- {}\n- `build` it", "```python\nprint({!r})\n```")
    for n in range(0, count, 10):
        sender, text, ts = lines[n]
        lines[n] = (sender, shapes[n // 10 % 3].format(text), ts)
    return lines


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource  # not Linux: ru_maxrss is in KB on Linux, bytes on macOS

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Arrived(Message):
    """Line ``index`` has arrived."""

    index: int


class Bare(App[None]):
    """An app that exits after its first frame."""

    def __init__(self, spawned: float) -> None:
        super().__init__()
        self.spawned = spawned
        self.first_frame = 0.0

    def on_mount(self) -> None:
        self.call_after_refresh(self.done)

    def done(self) -> None:
        self.first_frame = time.time() - self.spawned
        self.exit()


class FeedApp(App[None]):
    """Shows one log widget and times feeding it ``lines`` through the message queue."""

    CSS_PATH = STYLESHEET

    def __init__(
        self, log: Widget, append: Callable[[Line], object], lines: list[Line], relayout: bool
    ) -> None:
        super().__init__()
        self.log_widget, self.append, self.lines, self.relayout = log, append, lines, relayout
        self.times: Result = {}
        self.started = 0.0

    def measure(self) -> Result:
        """Run until the last line is on screen (and re-laid out); seconds of each phase."""
        self.run(headless=True, size=SIZE)
        return self.times

    def compose(self) -> ComposeResult:
        yield self.log_widget

    def on_mount(self) -> None:
        self.call_after_refresh(self.feed)

    def feed(self) -> None:
        self.started = time.perf_counter()
        self.post_message(Arrived(0))

    def on_arrived(self, message: Arrived) -> None:
        self.append(self.lines[message.index])
        if message.index + 1 < len(self.lines):
            self.post_message(Arrived(message.index + 1))
        else:
            self.call_after_refresh(self.shown)

    def shown(self) -> None:
        self.times["seconds"] = time.perf_counter() - self.started
        if not self.relayout:
            self.exit()
            return
        self.started = time.perf_counter()
        self.log_widget.styles.width = NARROW
        self.call_after_refresh(self.laid_out)

    def laid_out(self) -> None:
        """Wait for the frame after the log has laid itself out at the narrower width."""
        if self.log_widget.virtual_size.width >= NARROW:
            self.call_after_refresh(self.laid_out)
            return
        self.times["relayout_seconds"] = time.perf_counter() - self.started
        self.exit()


def case_bare(spawned: float, _: int) -> Result:
    """Seconds from the spawn of the process to the first frame."""
    app = Bare(spawned)
    app.run(headless=True, size=SIZE)
    return {"seconds": app.first_frame, "peak_rss_mb": peak_rss_mb()}


def _tuichat_first_frame(spawned: float, *, chat: bool) -> Result:
    """Seconds from the spawn of the process to tuichat's first frame of its first screen.

    ``chat``: started as ``tuichat --name alice`` against a server that accepts but never
    answers, so the chat screen stays in "connecting"; else the connect screen.
    """
    import socket
    import tempfile

    from tuichat.tui.app import TuichatApp
    from tuichat.tui.avatars import AvatarDiskCache
    from tuichat.tui.settings import Settings

    first_frame = 0.0
    wanted = "ChatScreen" if chat else "ConnectScreen"

    class FirstFrame(TuichatApp):
        def on_mount(self) -> None:
            super().on_mount()
            self.call_after_refresh(self.check)

        def check(self) -> None:
            nonlocal first_frame
            if type(self.screen).__name__ != wanted or not self.screen.is_mounted:
                self.call_after_refresh(self.check)
                return
            first_frame = time.time() - spawned
            self.exit()

    with tempfile.TemporaryDirectory() as temp, socket.create_server(("127.0.0.1", 0)) as mute:
        port = mute.getsockname()[1]
        settings = Settings(name="alice", port_recv=port, port_send=port, port_image=port)
        app = FirstFrame(settings, connect_now=chat, avatar_cache=AvatarDiskCache(Path(temp)),
                         cwd=Path(temp))
        app.run(headless=True, size=SIZE)
    return {"seconds": first_frame, "peak_rss_mb": peak_rss_mb()}


def case_tuichat_connect(spawned: float, _: int) -> Result:
    return _tuichat_first_frame(spawned, chat=False)


def case_tuichat_chat(spawned: float, _: int) -> Result:
    return _tuichat_first_frame(spawned, chat=True)


def case_message_log(_: float, count: int) -> Result:
    """MessageLog with identicon avatars, then a re-layout at a narrower width."""
    return _message_log(chat_lines(count))


def case_message_log_markdown(_: float, count: int) -> Result:
    """As ``message_log``, one message in ten in Markdown."""
    return _message_log(markdown_chat(count))


def case_message_log_compact(_: float, count: int) -> Result:
    """As ``message_log``, in the compact layout (a row per line, a two-cell cue)."""
    return _message_log(chat_lines(count), compact=True)


def _message_log(lines: list[Line], *, compact: bool = False) -> Result:
    from textual.strip import Strip

    from tuichat.tui.avatars import AvatarRenderer, identicon
    from tuichat.tui.log_entries import EntryKind, LogEntry
    from tuichat.tui.message_log import MessageLog

    renderer = AvatarRenderer()
    pngs = {name: identicon(name) for name in SENDERS}

    def avatar(entry: LogEntry, columns: int) -> list[Strip]:
        return renderer.strips(entry.sender, pngs[entry.sender], columns)

    def append(line: Line) -> None:
        sender, text, ts = line
        log.add(LogEntry(EntryKind.MESSAGE, text, ts, sender))

    log = MessageLog(avatar, me="me")
    log.compact = compact
    times = FeedApp(log, append, lines, relayout=True).measure()
    return times | {"peak_rss_mb": peak_rss_mb()}


def case_rich_log(_: float, count: int) -> Result:
    """RichLog fed one wrapped Text per message."""
    from rich.text import Text
    from textual.widgets import RichLog

    def append(line: Line) -> None:
        sender, text, _ = line
        log.write(Text.assemble((sender, "bold"), " ", text))

    log = RichLog(wrap=True)
    times = FeedApp(log, append, chat_lines(count), relayout=False).measure()
    return times | {"peak_rss_mb": peak_rss_mb()}


CASES: dict[str, Callable[[float, int], Result]] = {
    "bare": case_bare,
    "tuichat_connect": case_tuichat_connect,
    "tuichat_chat": case_tuichat_chat,
    "message_log": case_message_log,
    "message_log_markdown": case_message_log_markdown,
    "message_log_compact": case_message_log_compact,
    "rich_log": case_rich_log,
    "message_log_large": case_message_log,
}


def run_case(name: str, count: int, repeat: int = 1) -> Result:
    """Run one case ``repeat`` times, each in a fresh interpreter; the median of each figure."""
    runs: list[Result] = []
    for _ in range(repeat):
        command = [sys.executable, __file__, "--case", name, "--count", str(count)]
        command += ["--spawned", repr(time.time())]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        runs.append(json.loads(done.stdout.splitlines()[-1]))
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def report(results: dict[str, Result], counts: dict[str, int]) -> None:
    """Print the measurements and the ratios as a table."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Chat log benchmark")
    for column in ("case", "messages", "seconds", "peak RSS MB"):
        table.add_column(column, justify="left" if column == "case" else "right")
    for name, result in results.items():
        seconds, rss = result["seconds"], result["peak_rss_mb"]
        table.add_row(name, f"{counts[name]:,}", f"{seconds:.2f}", f"{rss:.0f}")
    mine, rich_log, bare = results["message_log"], results["rich_log"], results["bare"]
    time_ratio = mine["seconds"] / rich_log["seconds"]
    above_bare = [result["peak_rss_mb"] - bare["peak_rss_mb"] for result in (mine, rich_log)]
    table.add_section()
    relayout = f"{mine['relayout_seconds']:.3f}"
    table.add_row("message_log re-layout", f"{counts['message_log']:,}", relayout, "")
    memory_ratio = f"{above_bare[0] / above_bare[1]:.2f} (above bare)"
    table.add_row("MessageLog / RichLog", "", f"{time_ratio:.2f}", memory_ratio)
    markdown = results["message_log_markdown"]["seconds"] / mine["seconds"]
    table.add_row("1 in 10 Markdown / plain", "", f"{markdown:.2f}", "")
    compact = results["message_log_compact"]
    table.add_row("compact / full layout", "", f"{compact['seconds'] / mine['seconds']:.2f}", "")
    table.add_row("compact / full re-layout", "",
                  f"{compact['relayout_seconds'] / mine['relayout_seconds']:.2f}", "")
    for name in ("tuichat_connect", "tuichat_chat"):
        ratio = results[name]["seconds"] / bare["seconds"]
        memory = results[name]["peak_rss_mb"] / bare["peak_rss_mb"]
        table.add_row(f"{name} start-up / bare app", "", f"{ratio:.2f}", f"{memory:.2f}")
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7,
                        help="start-up cases run this many times, interleaved; medians shown")
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--spawned", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(CASES[args.case](args.spawned, args.count)))
        return
    counts = {"bare": 0, "tuichat_connect": 0, "tuichat_chat": 0,
              "message_log": args.messages, "message_log_markdown": args.messages,
              "message_log_compact": args.messages, "rich_log": args.messages}
    counts["message_log_large"] = args.large
    results = {name: run_case(name, count, args.repeat if name in STARTUP else 1)
               for name, count in counts.items()}
    report(results, counts)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
