"""Server fan-out: N readers and S senders in one room, against tuichat-server and ngircd.

Run: ``.venv/bin/python bench/fanout.py [--quick] [--shapes a,b,c] [--json PATH]``
(about 90 s in all; ``--quick`` is a smoke run of a few seconds per shape; ``--show PATH``
prints the table of a saved run; ``--self-check`` checks the runner itself in a few
seconds and prints ``self-check: N passed, N failed``).

Shapes (issue 5): (a) 100 readers, 1 sender, 5,000 messages as fast as the server takes
them; (b) 500 readers, 5 senders, 200 msg/s in all for 10 s; (c) 1,000 readers, 1 sender,
100 msg/s for 10 s. Each shape runs against a fresh server process (``TuichatServer``;
``TuichatIrcServer``, the same server read and written through its IRC door by the IRC
load generator that drives ngircd; ``NgircdServer``): the readers join, then the
senders; once the server is idle (no CPU time, no bytes to the readers for 0.3 s) the
senders send, every message carrying its send time (``time.time_ns``, taken just before
the line goes to the kernel).
Reported per shape and server, in a table and with ``--json``:

- delivered / expected: chat lines that reached the readers against messages sent times readers
  (tuichat also echoes each message to its sender; those copies are not counted);
- deliveries per second, from the first send to the last delivery;
- latency p50 / p99 / max: arrival in the reader's socket (the kernel's receive timestamp,
  ``SO_TIMESTAMPNS``) minus send time, on the timed readers; how long the bytes then waited
  for the generator to read them is reported apart (``reader_lag_*``);
- the server's CPU time per delivery (``utime + stime`` of ``/proc/PID/stat``, all threads,
  over the sending phase only) and in % of one core; its peak RSS (``VmHWM``);
- the generator's own CPU use per process, and the other load on the machine meanwhile.

ngircd is Debian's package: when it is missing the runner installs it with apt-get (as
root), runs it in the foreground with a generated configuration on a loopback high port,
penalties and per-address limits off, and otherwise skips it with a line that says why.
tuichat-server runs with the per-user rate limit and the connection limits off.

The load generator (``bench/loadgen.py``) uses non-blocking raw sockets and ``selectors``
in several processes: one for the *timed* readers (one in ``--prompt-every``, 10, spread
evenly over the join order, read as soon as they are ready), ``--workers`` (2) for the
*lazy* readers (read every 10 ms in a flood, every 100 ms when paced, and only counted:
one ``recv`` then takes many lines, where a prompt read costs about what the server's
``send`` costs), and one for the senders. A flooding sender hands all its messages to
the kernel at once, so the server reads them as fast as it can. No frame is decoded:
lines are counted with ``bytes.count`` of a marker, and send times are read with one
regex per ``recv`` on the timed readers only.

Why the generator is not the bottleneck, in every report: each generator process's CPU
use stays far below one core; the flooding sender is done within milliseconds of a
delivery phase that lasts a second; latency is taken from kernel timestamps, so the
readers' own delay is left out, and it is reported (``reader_lag``); the paced sender
records how late it woke up (the machine's scheduling delay); other processes' CPU use
during the run is reported too. Changing ``--workers`` (1, 2, 4) does not change a
server's throughput beyond the noise of a shared machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))  # loadgen, when imported
import loadgen

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
POLL_SECONDS = 0.1
STALL_SECONDS = 10.0
"""No new delivery for this long ends a shape early (and it is reported as stalled)."""
QUIET_SECONDS = 0.3
"""The server is idle once its CPU time and the readers' bytes stay put for this long."""

Figures = dict[str, Any]
console = Console()


@dataclass(frozen=True)
class Shape:
    """One load: ``receivers`` readers, ``senders`` senders, ``messages`` in all, sent at
    ``rate`` per second in all (0: as fast as the server takes them)."""

    key: str
    receivers: int
    senders: int
    messages: int
    rate: float

    @property
    def title(self) -> str:
        pace = f"{self.rate:g} msg/s" if self.rate else "flood"
        senders = f"{self.senders} sender{'s' if self.senders != 1 else ''}"
        return f"({self.key}) {self.receivers:,} readers, {senders}, {pace}"


FULL = [
    Shape("a", receivers=100, senders=1, messages=5_000, rate=0),
    Shape("b", receivers=500, senders=5, messages=2_000, rate=200),
    Shape("c", receivers=1_000, senders=1, messages=1_000, rate=100),
]
"""The shapes of issue 5: the paced ones send for 10 s."""
QUICK = [
    Shape("a", receivers=20, senders=1, messages=500, rate=0),
    Shape("b", receivers=50, senders=5, messages=400, rate=200),
    Shape("c", receivers=100, senders=1, messages=200, rate=100),
]
LAZY_SECONDS = {"flood": 0.01, "paced": 0.1}
"""How often lazy readers are read: often enough in a flood that the kernel's buffers
never fill, seldom enough at a paced rate that each read takes several lines."""


# -- the servers ---------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on now (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` (all its threads), from ``/proc/PID/stat``."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()  # the name may hold spaces and ')'
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (``/proc/stat``: all but idle, iowait)."""
    fields = [int(field) for field in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLOCK_TICK


def proc_peak_rss_mb(pid: int) -> float:
    """Peak resident set size (``VmHWM``) of process ``pid``, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class ServerProcess:
    """A chat server run as a child process on loopback ports for one shape."""

    name = ""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.ports: dict[str, int] = {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"{self.name}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        """Start the server and wait until every port accepts connections."""
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 30
        for port in set(self.ports.values()):
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
                try:
                    socket.create_connection((HOST, port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{self.name} does not listen on {port}") from None
                    time.sleep(0.05)

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after 10 s; the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log_tail(self, lines: int = 5) -> str:
        return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def problems(self) -> list[str]:
        """Log lines that say something went wrong (warnings, errors, tracebacks)."""
        words = ("WARNING", "ERROR", "Traceback", "Exception")
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [line.strip() for line in text.splitlines() if any(w in line for w in words)]


class TuichatServer(ServerProcess):
    """``python -m tuichat.server.cli`` with the per-user limits off."""

    name = "tuichat"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.ports = {"send": free_port(), "recv": free_port(), "image": free_port()}

    def command(self) -> list[str]:
        ports = self.ports
        return [
            sys.executable, "-m", "tuichat.server.cli", "--host", HOST,
            "--port-send", str(ports["send"]), "--port-recv", str(ports["recv"]),
            "--port-image", str(ports["image"]), "--data-dir", str(self.workdir / "data"),
            "--admin-password", "x", "--rate-burst", "0", "--max-per-address", "0",
            "--max-connections", "0", "--max-clients", "2000", "--log-level", "warning",
            # Readers only read: keep the keep-alive out of a run of a minute or two.
            "--ping-interval", "3600", "--ping-timeout", "7200",
        ]

    @staticmethod
    def version() -> str:
        from tuichat import __version__

        return f"tuichat-server {__version__}"


class TuichatIrcServer(TuichatServer):
    """The same server, its IRC door on too: the IRC load generator speaks to that."""

    name = "tuichat-irc"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.ports["irc"] = free_port()

    def command(self) -> list[str]:
        return [*super().command(), "--irc-port", str(self.ports["irc"]),
                "--irc-name", "bench.tuichat.local"]


KINDS = ("tuichat", "tuichat-irc", "ngircd")
"""The servers, in the table's order: tuichat's native door, its IRC door, ngircd."""


NGIRCD_CONF = """\
[Global]
Name = bench.tuichat.local
Info = tuichat fan-out benchmark
AdminInfo1 = benchmark
AdminInfo2 = loopback only
AdminEMail = bench@localhost
Listen = {host}
Ports = {port}
MotdPhrase = bench
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxNickLength = 30
MaxPenaltyTime = 0
PingTimeout = 600
PongTimeout = 600
[Options]
DNS = no
Ident = no
PAM = no
IncludeDir = {include}
"""
"""Loopback, one high port, penalties and per-address limits off (see shared NOTES.md)."""


class NgircdServer(ServerProcess):
    """Debian's ngircd in the foreground (``-n``) with a generated configuration."""

    name = "ngircd"
    binary = "ngircd"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.ports = {"irc": free_port()}

    def command(self) -> list[str]:
        include = self.workdir / "ngircd.conf.d"
        include.mkdir(exist_ok=True)
        conf = self.workdir / "ngircd.conf"
        conf.write_text(NGIRCD_CONF.format(host=HOST, port=self.ports["irc"], include=include))
        return [self.binary, "-n", "-f", str(conf)]

    @classmethod
    def version(cls) -> str:
        done = subprocess.run([cls.binary, "--version"], capture_output=True, text=True)
        return (done.stdout.splitlines() or ["ngircd"])[0].split("-")[0]


def find_ngircd(install: bool) -> str | None:
    """The path of ngircd, installing Debian's package if allowed; None: say why, skip."""
    def found() -> str | None:
        return shutil.which("ngircd") or next(
            (path for path in ("/usr/sbin/ngircd",) if os.access(path, os.X_OK)), None
        )

    if found() or not install:
        return found()
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return None
    console.print("[dim]ngircd is missing: apt-get install -y ngircd ...[/]")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for commands in ([["apt-get", "install", "-y", "ngircd"]],
                     [["apt-get", "update"], ["apt-get", "install", "-y", "ngircd"]]):
        try:
            for command in commands:
                subprocess.run(command, env=env, check=True, capture_output=True, timeout=600)
        except (subprocess.SubprocessError, OSError):
            continue
        if found():
            return found()
    return None


# -- one shape ----------------------------------------------------------------------------


class Worker:
    """A generator process and the pipe it is steered through."""

    def __init__(self, target: Callable[..., None], *args: Any) -> None:
        context = multiprocessing.get_context("fork")
        self.pipe, child = context.Pipe()
        self.process: BaseProcess = context.Process(target=target, args=(child, *args),
                                                    daemon=True)
        self.process.start()
        child.close()

    def ask(self, *command: Any, timeout: float = 60.0) -> Any:
        self.pipe.send(command)
        return self.answer(timeout)

    def answer(self, timeout: float) -> Any:
        if not self.pipe.poll(timeout):
            raise RuntimeError(f"a generator process did not answer within {timeout:g} s")
        return self.pipe.recv()

    def stop(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.pipe.send(("quit",))
            self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


def run_shape(server: ServerProcess, shape: Shape, workers: int, prompt_every: int) -> Figures:
    """Run one shape against a started server; its figures.

    One reader in ``prompt_every``, spread evenly over the join order, is prompt (read at
    once, timed); the others are lazy (read in sweeps, counted).
    """
    dialect = server.name
    receivers: list[Worker] = []
    sender: Worker | None = None
    try:
        lazy = LAZY_SECONDS["paced" if shape.rate else "flood"]
        receivers = [Worker(loadgen.receiver_main, dialect, HOST, server.ports, True, lazy)]
        receivers += [Worker(loadgen.receiver_main, dialect, HOST, server.ports, False, lazy)
                      for _ in range(workers)]
        readers, failures = _join_readers(receivers, shape.receivers, prompt_every)
        join_timeout = 60 + shape.senders
        sender = Worker(loadgen.sender_main, dialect, HOST, server.ports,
                        [f"s{n}" for n in range(shape.senders)])
        sent_by = sender.answer(join_timeout)
        failures += sent_by[2]
        if not readers or not sent_by[1]:
            raise RuntimeError(f"users could not join: {failures[:3]}")
        _wait_quiet(server, receivers)
        machine_before = machine_busy_seconds()
        cpu_before, go = proc_cpu_seconds(server.pid), time.monotonic()
        for worker in receivers:
            worker.ask("measure")
        sender.pipe.send(("go", shape.messages, shape.rate))
        sent, stalled = _follow(shape, readers, sender, receivers)
        cpu = proc_cpu_seconds(server.pid) - cpu_before
        busy = time.monotonic() - go
        machine = machine_busy_seconds() - machine_before
        results = [worker.ask("finish") for worker in receivers]
        figures = _figures(server, shape, readers, sent, results, cpu, busy, stalled, failures)
        ours = cpu + sent["cpu_seconds"] + sum(r["cpu_seconds"] for r in results)
        figures["other_load_cores"] = max(0.0, machine - ours) / busy
        return figures
    finally:
        for worker in [*receivers, *([sender] if sender else [])]:
            worker.stop()


def _join_readers(
    receivers: list[Worker], count: int, prompt_every: int
) -> tuple[int, list[str]]:
    """Join ``count`` readers in batches of ``prompt_every``: the first of each batch to
    the prompt process (``receivers[0]``), the rest to one lazy process in turn, so the
    timed readers are spread evenly over the join order (the server's fan-out order)."""
    names = [f"r{n:04}" for n in range(count)]
    joined, failures = 0, []
    lazy = receivers[1:]
    for batch, start in enumerate(range(0, count, prompt_every)):
        asked = [receivers[0], lazy[batch % len(lazy)]]
        asked[0].pipe.send(("join", names[start:start + 1]))
        asked[1].pipe.send(("join", names[start + 1:start + prompt_every]))
        for worker in asked:
            _, done, failed = worker.answer(60 + prompt_every)
            joined += done
            failures += failed
    return joined, failures


def _wait_quiet(server: ServerProcess, receivers: list[Worker], limit: float = 120) -> None:
    """Wait until the join traffic is over: the server uses no CPU, readers get no bytes."""
    deadline = time.monotonic() + limit
    before = (proc_cpu_seconds(server.pid), [w.ask("poll")[3] for w in receivers])
    while time.monotonic() < deadline:
        time.sleep(QUIET_SECONDS)
        now = (proc_cpu_seconds(server.pid), [w.ask("poll")[3] for w in receivers])
        if now[0] - before[0] <= 1 / CLOCK_TICK and now[1] == before[1]:
            return
        before = now


def _follow(
    shape: Shape, readers: int, sender: Worker, receivers: list[Worker]
) -> tuple[Figures, bool]:
    """Poll until every reader has every message, or deliveries stall; (the sender's
    figures, stalled)."""
    sent: Figures | None = None
    delivered, progress = 0, time.monotonic()
    cap = time.monotonic() + 300 + (shape.messages / shape.rate if shape.rate else 0)
    while True:
        if sent is None and sender.pipe.poll():
            sent = sender.pipe.recv()
        now_delivered = sum(worker.ask("poll")[1] for worker in receivers)
        if now_delivered != delivered:
            delivered, progress = now_delivered, time.monotonic()
        if sent is not None and delivered >= sent["sent"] * readers:
            return sent, False
        if time.monotonic() - progress > STALL_SECONDS or time.monotonic() > cap:
            break
        time.sleep(POLL_SECONDS)
    if sent is None:  # the sender is stuck on a server that stopped reading
        sender.process.terminate()
        sent = {"sent": shape.messages, "first_ns": 0, "last_ns": 0, "cpu_seconds": 0.0,
                "lateness_p99_ms": 0.0, "lateness_max_ms": 0.0, "lost": 0, "stuck": True}
    return sent, True


def percentile(ordered: Sequence[int], fraction: float) -> int:
    """The value below which ``fraction`` of the sorted ``ordered`` lie (nearest rank)."""
    if not ordered:
        return 0
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def _figures(
    server: ServerProcess, shape: Shape, readers: int, sent: Figures, results: list[Figures],
    cpu: float, busy: float, stalled: bool, failures: list[str],
) -> Figures:
    latencies, lags = array("q"), array("q")
    for result in results:
        latencies.frombytes(result.pop("latencies"))
        lags.frombytes(result.pop("lags"))
    ordered, lags_ordered = sorted(latencies), sorted(lags)
    delivered = sum(result["delivered"] for result in results)
    last_ns = max(result["last_ns"] for result in results)
    span = (last_ns - sent["first_ns"]) / 1e9 if last_ns and sent["first_ns"] else 0.0
    receiver_cpu = [r["cpu_seconds"] / r["wall_seconds"] * 100 for r in results]
    sender_span = (sent["last_ns"] - sent["first_ns"]) / 1e9
    sender_cpu = sent["cpu_seconds"] / max(span, sender_span) * 100 if sender_span > 0 else 0
    return {
        "server": server.name,
        "messages_sent": sent["sent"],
        "readers": readers,
        "delivered": delivered,
        "expected": sent["sent"] * readers,
        "per_reader_min": min(r["min_per_reader"] for r in results),
        "per_reader_max": max(r["max_per_reader"] for r in results),
        "deliveries_per_second": delivered / span if span else 0.0,
        "seconds": span,
        "latency_samples": len(ordered),
        "latency_p50_ms": percentile(ordered, 0.50) / 1e6,
        "latency_p99_ms": percentile(ordered, 0.99) / 1e6,
        "latency_max_ms": (ordered[-1] if ordered else 0) / 1e6,
        "server_cpu_seconds": cpu,
        "server_cpu_us_per_delivery": cpu / delivered * 1e6 if delivered else 0.0,
        "server_cpu_percent": cpu / busy * 100 if busy else 0.0,
        "server_peak_rss_mb": proc_peak_rss_mb(server.pid),
        "generator_receiver_cpu_percent": receiver_cpu,
        "generator_sender_cpu_percent": sender_cpu,
        "sender_seconds": sender_span,
        "reader_lag_p50_ms": percentile(lags_ordered, 0.50) / 1e6,
        "reader_lag_p99_ms": percentile(lags_ordered, 0.99) / 1e6,
        "reader_lag_max_ms": (lags_ordered[-1] if lags_ordered else 0) / 1e6,
        "prompt_reader_busy_max_ms": results[0]["busy_max_ms"],
        "sender_lateness_p99_ms": sent["lateness_p99_ms"],
        "sender_lateness_max_ms": sent["lateness_max_ms"],
        "prompt_readers": sum(r["prompt"] for r in results),
        "deliveries_per_read": delivered / max(1, sum(r["reads"] for r in results)),
        "users_lost": sum(r["lost"] for r in results) + sent["lost"],
        "join_failures": failures[:10],
        "stalled": stalled,
    }


def run_server(kind: str, shape: Shape, workers: int, prompt_every: int = 10) -> Figures:
    """A fresh server for one shape, so each has its own empty history and peak RSS."""
    with tempfile.TemporaryDirectory(prefix=f"fanout-{kind}-") as temp:
        kinds: dict[str, type[ServerProcess]] = {"tuichat": TuichatServer,
                                                 "tuichat-irc": TuichatIrcServer,
                                                 "ngircd": NgircdServer}
        server = kinds[kind](Path(temp))
        server.start()
        try:
            figures = run_shape(server, shape, workers, prompt_every)
        finally:
            exit_code = server.stop()
        figures["exit_code"] = exit_code
        figures["server_log_problems"] = server.problems()[:20]
        return figures


# -- report ------------------------------------------------------------------------------


RATIOS = ("deliveries_per_second", "latency_p50_ms", "latency_p99_ms", "latency_max_ms",
          "server_cpu_us_per_delivery", "server_peak_rss_mb")
"""The figures shown as tuichat ÷ ngircd, in the table's order."""


def ratios(mine: Figures, theirs: Figures) -> Figures:
    """tuichat ÷ ngircd for the figures that compare."""
    return {key: mine[key] / theirs[key] if theirs.get(key) else None for key in RATIOS}


def report(results: Figures) -> None:
    """One table: each shape's tuichat and ngircd rows and the ratio row under them."""
    versions = results["versions"]
    title = f"Server fan-out: {versions['tuichat']} and {versions['ngircd'] or 'no ngircd'}"
    table = Table(title=title, caption=_caption(results))
    columns = ["shape", "server", "delivered / expected", "deliveries/s", "p50 ms", "p99 ms",
               "max ms", "CPU µs/deliv.", "server CPU", "RSS MB", "gen. CPU"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("shape", "server") else "right",
                         no_wrap=True)
    for key, entry in results["shapes"].items():
        label = key
        for kind in KINDS:
            figures = entry.get(kind)
            if figures is None:
                continue
            if "skipped" in figures or "failed" in figures:
                table.add_row(label, kind, "[yellow]skipped[/]" if "skipped" in figures
                              else "[red]failed[/]")
            else:
                table.add_row(label, kind, *_cells(figures))
            label = ""
        for ratio_key, label_text in (("ratio", "÷"), ("ratio_irc", "irc ÷")):
            if entry.get(ratio_key):
                ratio = {key: f"{value:.2f}" if value is not None else "-"
                         for key, value in entry[ratio_key].items()}
                cells = [ratio[key] for key in RATIOS]
                table.add_row("", f"[bold]{label_text}[/]", "", *cells[:5], "", cells[5], "")
        table.add_section()
    out = console if console.is_terminal else Console(width=max(console.width, 140))
    out.print(table)
    for key, entry in results["shapes"].items():
        for kind in KINDS:
            figures = entry.get(kind) or {}
            if _generator_note(figures):
                out.print(f"[dim]({key}) {kind}: {_generator_note(figures)}[/]")
            notes = _anomalies(figures)
            if notes:
                out.print(f"[yellow]({key}) {kind}:[/] {'; '.join(notes)}")


def _caption(results: Figures) -> str:
    shapes = "; ".join(f"{entry['shape']['title']}" for entry in results["shapes"].values())
    return (
        f"{shapes}. ÷: tuichat ÷ ngircd; irc ÷: tuichat's IRC door ÷ ngircd. Latency: "
        "arrival in a timed reader's socket (kernel timestamp) minus send time. Server "
        "CPU: utime+stime while sending, per delivery and in % of one core. RSS: the "
        "server's peak. Gen. CPU: the timed readers' process / the busiest lazy readers' "
        "process / the senders' process, in % "
        "of one core."
    )


def _cells(figures: Figures) -> list[str]:
    ok = figures["delivered"] == figures["expected"] and not figures["users_lost"]
    colour = "green" if ok else "red"
    timed, *lazy = figures["generator_receiver_cpu_percent"]
    generator = f"{timed:.0f} / {max(lazy, default=0):.0f} / " \
                f"{figures['generator_sender_cpu_percent']:.0f} %"
    return [
        f"[{colour}]{figures['delivered']:,} / {figures['expected']:,}[/]",
        f"{figures['deliveries_per_second']:,.0f}",
        f"{figures['latency_p50_ms']:.2f}",
        f"{figures['latency_p99_ms']:.2f}",
        f"{figures['latency_max_ms']:.1f}",
        f"{figures['server_cpu_us_per_delivery']:.2f}",
        f"{figures['server_cpu_percent']:.0f} %",
        f"{figures['server_peak_rss_mb']:.1f}",
        generator,
    ]


def _anomalies(figures: Figures) -> list[str]:
    """What went wrong in a run, in words: lost users or messages, a stall, log lines."""
    if "skipped" in figures or "failed" in figures:
        return [figures.get("skipped") or f"failed: {figures['failed']}"]
    if "delivered" not in figures:
        return []
    notes = []
    if figures["delivered"] != figures["expected"]:
        notes.append(f"{figures['expected'] - figures['delivered']:,} deliveries missing "
                     f"(per reader {figures['per_reader_min']:,} to "
                     f"{figures['per_reader_max']:,} of {figures['messages_sent']:,})")
    if figures["users_lost"]:
        notes.append(f"{figures['users_lost']} users disconnected by the server")
    if figures["stalled"]:
        notes.append(f"deliveries stalled for {STALL_SECONDS:g} s")
    if figures["join_failures"]:
        notes.append(f"join failures: {figures['join_failures'][:2]}")
    if figures["server_log_problems"]:
        notes.append(f"server log: {figures['server_log_problems'][:3]}")
    if figures["exit_code"]:
        notes.append(f"the server exited with {figures['exit_code']}")
    return notes


def _generator_note(figures: Figures) -> str:
    """The evidence that the generator kept up, and the machine's noise, in one line."""
    if "delivered" not in figures:
        return ""
    note = (f"sender done after {figures['sender_seconds']:.2f} s of "
            f"{figures['seconds']:.2f} s; timed readers read "
            f"{figures['reader_lag_p99_ms']:.1f} ms (p99) after arrival, not counted")
    if figures["sender_lateness_p99_ms"]:
        note += f"; paced sender woke up {figures['sender_lateness_p99_ms']:.1f} ms late (p99)"
    return note + f"; other load on the machine {figures['other_load_cores']:.1f} cores"


# -- self-check ------------------------------------------------------------------------------


def self_check() -> int:
    """Check the counting and timing code on a socket pair, the /proc readers, and one
    tiny run against tuichat; prints 'N passed, N failed'."""
    checks: list[tuple[str, Callable[[], None]]] = [
        ("counts lines cut anywhere", _check_counting),
        ("kernel receive timestamps", _check_kernel_timestamps),
        ("reads its own CPU and RSS from /proc", _check_proc),
        ("percentiles", _check_percentile),
        ("ngircd config has the limits off", _check_ngircd_conf),
        ("a tiny run against tuichat-server", _check_tiny_run),
    ]
    passed = failed = 0
    for name, check in checks:
        try:
            check()
        except Exception as exc:
            failed += 1
            console.print(f"[red]FAIL[/] {name}: {exc!r}")
        else:
            passed += 1
            console.print(f"[green]ok[/]   {name}")
    print(f"self-check: {passed} passed, {failed} failed")
    return 1 if failed else 0


def _tcp_pair() -> tuple[socket.socket, socket.socket]:
    with socket.create_server((HOST, 0)) as listener:
        ours = socket.create_connection(listener.getsockname())
        theirs, _ = listener.accept()
    return ours, theirs


def _check_counting() -> None:
    for dialect in loadgen.DIALECTS.values():
        for prompt in (True, False):
            room = loadgen.Room(dialect)
            ours, theirs = _tcp_pair()
            ours.setblocking(False)
            ours.setsockopt(socket.SOL_SOCKET, loadgen.SO_TIMESTAMPNS, 1)
            client = loadgen.Client("x", [ours], reads=ours, says=ours, prompt=prompt)
            room.clients.append(client)
            (room.selector if prompt else room.lazy).register(ours, 1, client)
            room.start_measuring()
            wire = b"".join(dialect.say(loadgen.chat_text(n)) for n in range(10))
            wire = wire.replace(b'{"type":"say",', dialect.marker)  # as the server relays it
            wire = wire.replace(b"PRIVMSG ", b":s0!~s0@h PRIVMSG ")
            for cut in range(0, len(wire), 7):  # seven bytes at a time: markers get split
                theirs.send(wire[cut:cut + 7])
                time.sleep(0.0005)
                room.pump(0)
            deadline = time.monotonic() + 1
            while client.count < 10 and time.monotonic() < deadline:
                room.pump(0.01)
            assert client.count == 10, (dialect.name, prompt, client.count)
            assert len(room.latencies) == (10 if prompt else 0), list(room.latencies)
            assert all(0 < value < 10e9 for value in room.latencies)
            assert all(0 <= value < 10e9 for value in room.lags)
            theirs.close()
            while not room.lost and time.monotonic() < deadline + 1:
                room.pump(0.01)
            assert room.lost == 1
            room.close()


def _check_kernel_timestamps() -> None:
    ours, theirs = _tcp_pair()
    with ours, theirs:
        ours.setsockopt(socket.SOL_SOCKET, loadgen.SO_TIMESTAMPNS, 1)
        sent = time.time_ns()
        theirs.send(b"x\n")
        time.sleep(0.02)
        _, ancillary, _, _ = ours.recvmsg(64, loadgen.ANCILLARY_SIZE)
        read = time.time_ns()
    arrived = loadgen.kernel_arrival(ancillary)
    assert sent <= arrived and read - arrived >= 15_000_000, (sent, arrived, read)


def _check_proc() -> None:
    assert proc_cpu_seconds(os.getpid()) > 0
    assert 1 < proc_peak_rss_mb(os.getpid()) < 10_000


def _check_percentile() -> None:
    values = list(range(1, 101))
    assert percentile(values, 0.5) == 50 and percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100 and percentile([], 0.5) == 0


def _check_ngircd_conf() -> None:
    with tempfile.TemporaryDirectory() as temp:
        server = NgircdServer(Path(temp))
        server.command()
        conf = (Path(temp) / "ngircd.conf").read_text()
    for line in ("MaxPenaltyTime = 0", "MaxConnectionsIP = 0", "DNS = no", "Listen = 127.0.0.1"):
        assert line in conf, line


def _check_tiny_run() -> None:
    figures = run_server("tuichat", Shape("t", 4, 2, 40, 0), workers=2, prompt_every=2)
    assert figures["delivered"] == figures["expected"] == 160, figures
    assert figures["latency_samples"] == 80 and not figures["users_lost"], figures


# -- main --------------------------------------------------------------------------------------


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--quick", action="store_true", help="small shapes, for a smoke run")
    parser.add_argument("--shapes", default="a,b,c", help="which shapes (default: a,b,c)")
    parser.add_argument("--servers", default=",".join(KINDS),
                        help=f"which servers (default: {','.join(KINDS)})")
    parser.add_argument("--workers", type=_positive, default=2,
                        help="processes for the lazy readers (default: 2; the timed "
                        "readers have one of their own, the senders another)")
    parser.add_argument("--prompt-every", type=_positive, default=10,
                        help="one reader in this many is read at once and timed; the "
                        "others are read in sweeps and only counted (default: 10)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply every shape's message count (e.g. 0.2 while developing)")
    parser.add_argument("--no-install", action="store_true",
                        help="skip ngircd when it is missing instead of installing it")
    parser.add_argument("--show", type=Path, metavar="JSON",
                        help="print the table of an earlier run's JSON file and exit")
    parser.add_argument("--self-check", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.self_check:
        return self_check()
    if args.show:
        report(json.loads(args.show.read_text()))
        return 0
    wanted = set(args.shapes.split(","))
    shapes = [shape for shape in (QUICK if args.quick else FULL) if shape.key in wanted]
    if args.scale != 1.0:
        shapes = [Shape(s.key, s.receivers, s.senders, max(1, round(s.messages * args.scale)),
                        s.rate) for s in shapes]
    kinds = [kind for kind in KINDS if kind in args.servers.split(",")]
    skip_ngircd = None
    if "ngircd" in kinds:
        path = find_ngircd(install=not args.no_install)
        if path is None:
            skip_ngircd = ("ngircd is not installed and could not be installed "
                           "(needs apt-get and root; try: apt-get install -y ngircd)")
            console.print(f"[yellow]ngircd: skipped — {skip_ngircd}[/]")
        else:
            NgircdServer.binary = path
    results: Figures = {
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0],
                    "load_average_before": os.getloadavg()},
        "settings": {"workers": args.workers, "quick": args.quick, "scale": args.scale,
                     "prompt_every": args.prompt_every},
        "versions": {"tuichat": TuichatServer.version(),
                     "ngircd": NgircdServer.version() if not skip_ngircd else None},
        "shapes": {},
    }
    for shape in shapes:
        entry: Figures = {"shape": {**asdict(shape), "title": shape.title}}
        results["shapes"][shape.key] = entry
        for kind in kinds:
            if kind == "ngircd" and skip_ngircd:
                entry[kind] = {"skipped": skip_ngircd}
                continue
            console.print(f"[dim]{shape.title}: {kind} ...[/]")
            try:
                entry[kind] = run_server(kind, shape, args.workers, args.prompt_every)
            except (RuntimeError, OSError) as exc:
                entry[kind] = {"failed": str(exc)}
        for kind, ratio_key in (("tuichat", "ratio"), ("tuichat-irc", "ratio_irc")):
            if all("delivered" in entry.get(name, {}) for name in (kind, "ngircd")):
                entry[ratio_key] = ratios(entry[kind], entry["ngircd"])
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
