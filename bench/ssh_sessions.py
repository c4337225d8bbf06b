"""What interactive SSH sessions cost: memory per session, time to the first chat screen,
a keystroke's echo with many typing, and the native users' round trip beside them.

The server runs in its own process (``tuichat-server``'s ``Server`` with the SSH door on,
default limits), so its memory is its own: PSS from ``/proc/PID/smaps_rollup``, summed
over the server, its zygote and every session's client, before and after the sessions,
divided by their number. Sessions are real OpenSSH clients (``ssh -tt``), each on a PTY
this script opens and reads (one thread, ``select`` over them all), each user with a key
of its own (as a hundred people would be; one key's sessions count against that key),
started a few at a time; a session's first screen is the first time ``connected`` is
drawn after ``ssh`` started. Then ``--typing`` of them type now and then (a key every
0.3-1.5 s: a ``ж``, then a backspace; the echo is the ``ж`` drawn after it was typed)
while the others each say a line about every ``--line-every`` seconds (300: ten lines a
minute in the room, each of which every session draws); a native client (``Connection``,
in the lobby with them) measures its round trip (say to echo) in a room of its own
(``#probe``), before the sessions and during that typing.

Run: ``.venv/bin/python bench/ssh_sessions.py [--sessions 100] [--typing 50]
[--json PATH]``; ``--quick`` is a smoke run (10 sessions). Run it on an otherwise idle
machine: its figures are latencies, and a busy neighbour (a test suite, say) is part of
what they measure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.ssh_client import make_key  # noqa: E402
from tests.ssh_terminal import PtySsh  # noqa: E402
from tuichat.net.client import Connection  # noqa: E402
from tuichat.net.frames import Channel, Frame  # noqa: E402

SERVER = """
import logging, sys
from pathlib import Path
from tuichat.server.app import Server
from tuichat.server.config import ServerConfig
logging.basicConfig(level=logging.WARNING)
server = Server(ServerConfig(host="127.0.0.1", port_send=0, port_recv=0, port_image=0,
                             data_dir=Path(sys.argv[1]), admin_password="bench", ssh_port=0))
server.start()
ports = server.ports
print(ports.send, ports.recv, ports.image, ports.ssh, flush=True)
try:
    server.wait()
except KeyboardInterrupt:
    server.stop()
    server.wait(30)
"""
MARK = "ж".encode()
BACKSPACE = b"\x7f"
DRAWN = b"connected"
PROBE_ROOM = "#probe"
"""The probe talks in a room of its own: four lines a second in the sessions' room would
be forty renders a second... per session, the load of the probe and not of the sessions."""
PROBE_PAUSE = 0.25
"""Seconds between the probe's lines: under the default rate (5 lines a second)."""
STARTING_AT_ONCE = 4
"""Sessions whose ``ssh`` is started while earlier ones have not drawn their screen."""


def descendants(root: int) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def tree_pss(root: int) -> tuple[float, int]:
    """PSS in MB summed over ``root`` and its descendants, and how many processes."""
    total, count = 0, 0
    for pid in descendants(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        count += 1
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    return total / 1024, count


class Probe:
    """A native client timing ``say`` to its echo."""

    def __init__(self, ports: list[int]) -> None:
        self._cond = threading.Condition()
        self._echoed: set[object] = set()
        self.conn = Connection.open("127.0.0.1", "probe", port_send=ports[0],
                                    port_recv=ports[1], port_image=ports[2],
                                    on_frame=self._frame)
        self.conn.join_room(PROBE_ROOM)

    def _frame(self, channel: Channel, frame: Frame, payload: bytes | None) -> None:
        if frame.get("type") == "message" and frame.get("from") == "probe":
            with self._cond:
                self._echoed.add(frame.get("ref"))
                self._cond.notify_all()

    def round_trip(self) -> float:
        """One say's round trip, in ms."""
        start = time.perf_counter()
        ref = self.conn.say(f"probe {start:.6f}", room=PROBE_ROOM)
        with self._cond:
            if not self._cond.wait_for(lambda: ref in self._echoed, 10):
                raise TimeoutError("the probe's line was not echoed")
        return (time.perf_counter() - start) * 1000

    def round_trips(self, count: int, pause: float, out: list[float]) -> None:
        for _ in range(count):
            out.append(self.round_trip())
            time.sleep(pause)


def start_sessions(port: int, keys: list[Path], count: int,
                   first: int = 0) -> tuple[list[PtySsh], list[float]]:
    """``count`` sessions (users ``first`` on, each with its own key), a few starting at
    once; each one's time to its first screen."""
    sessions: list[PtySsh] = []
    times: list[float] = []
    starting: list[PtySsh] = []
    env = {**os.environ, "TERM": "xterm-256color"}
    deadline = time.monotonic() + 60 + count * 2
    while len(times) < count:
        while len(starting) < STARTING_AT_ONCE and len(sessions) < count:
            number = first + len(sessions)
            session = PtySsh(port, f"user{number}", keys[number], env=env, size=(100, 30))
            sessions.append(session)
            starting.append(session)
        pump(sessions, 0.05)
        for session in [s for s in starting if DRAWN in s.output]:
            times.append(time.monotonic() - session.started)
            starting.remove(session)
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(times)} of {count} sessions drew their screen")
    return sessions, times


def settle(sessions: list[PtySsh], quiet: float = 2.0, longest: float = 120.0) -> None:
    """Read until no session has drawn anything for ``quiet`` seconds: every join has
    been drawn by every session (each new user's picture fetched and shown in all)."""
    end = time.monotonic() + longest
    last = time.monotonic()
    while (now := time.monotonic()) - last < quiet and now < end:
        if pump(sessions, 0.05):
            last = time.monotonic()


def pump(sessions: list[PtySsh], timeout: float) -> list[PtySsh]:
    """Read from every session with output waiting; those that had some."""
    by_fd = {session.master: session for session in sessions}
    ready, _, _ = select.select(list(by_fd), [], [], timeout)
    for fd in ready:
        by_fd[fd].pump(0)
    return [by_fd[fd] for fd in ready]


def type_and_talk(sessions: list[PtySsh], typing: int, seconds: float,
                  line_every: float) -> list[float]:
    """``typing`` sessions type now and then (a key every 0.3-1.5 s: a ``ж``, then a
    backspace once it is drawn), the rest each say a line about every ``line_every``
    seconds, for ``seconds``; the typists' echo times in ms."""
    rng = random.Random(1)
    now = time.monotonic()
    typists = {id(s) for s in sessions[:typing]}
    due = {id(s): now + rng.uniform(0, 1.5 if id(s) in typists else line_every)
           for s in sessions}
    typed_at: dict[int, tuple[float, int]] = {}
    typed: set[int] = set()
    """Typists whose box holds a ``ж`` (the next key is a backspace)."""
    echoes: list[float] = []
    end = now + seconds
    while (now := time.monotonic()) < end:
        for session in pump(sessions, 0.005):
            waiting = typed_at.get(id(session))
            if waiting is not None and session.output.find(MARK, waiting[1]) >= 0:
                echoes.append((now - waiting[0]) * 1000)
                del typed_at[id(session)]
                due[id(session)] = now + rng.uniform(0.3, 1.5)
        for session in sessions:
            key = id(session)
            if key in typed_at or now < due[key]:
                continue
            if key in typists and key in typed:
                session.write(BACKSPACE)
                typed.discard(key)
                due[key] = now + rng.uniform(0.3, 1.5)
            elif key in typists:
                typed_at[key] = (time.monotonic(), len(session.output))
                session.write(MARK)
                typed.add(key)
            else:
                session.write(f"line {rng.randrange(10**6)}\r".encode())
                due[key] = now + rng.uniform(0.5, 1.5) * line_every
    return echoes


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"median": float("nan"), "p90": float("nan"), "p99": float("nan"), "count": 0}
    return {"median": round(statistics.median(values), 2),
            "p90": round(percentile(values, 0.90), 2),
            "p99": round(percentile(values, 0.99), 2), "count": len(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--typing", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="how long the sessions type and talk")
    parser.add_argument("--line-every", type=float, default=300.0,
                        help="seconds between the lines each non-typing session says")
    parser.add_argument("--quick", action="store_true", help="10 sessions, 5 typing, 5 s")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.typing, args.seconds = 10, 5, 5.0
    with tempfile.TemporaryDirectory() as temp:
        keys = [make_key(Path(temp), f"key{n}") for n in range(args.sessions + 1)]
        server = subprocess.Popen([sys.executable, "-c", SERVER, f"{temp}/data"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            *native, ssh = (int(word) for word in server.stdout.readline().split())
            figures = measure(server.pid, native, ssh, keys, args)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def measure(server: int, native: list[int], ssh: int, keys: list[Path],
            args: argparse.Namespace) -> dict[str, object]:
    """Every figure, against the server process ``server``."""
    warm, _ = start_sessions(ssh, keys, 1, args.sessions)  # the zygote is warm first
    for session in warm:
        session.close()
    probe = Probe(native)
    alone: list[float] = []
    probe.round_trips(40, PROBE_PAUSE, alone)
    time.sleep(1.0)  # the warm-up session's client is reaped
    before, processes_before = tree_pss(server)
    sessions, first_screens = start_sessions(ssh, keys, args.sessions)
    settle(sessions)
    after, processes_after = tree_pss(server)
    beside: list[float] = []
    prober = threading.Thread(target=probe.round_trips,
                              args=(int(args.seconds / PROBE_PAUSE), PROBE_PAUSE, beside))
    prober.start()
    echoes = type_and_talk(sessions, args.typing, args.seconds, args.line_every)
    prober.join()
    probe.conn.close()
    for session in sessions:
        session.close()
    return {
        "sessions": args.sessions, "typing": args.typing, "line_every_s": args.line_every,
        "pss_mb": {"before": round(before, 1), "after": round(after, 1),
                   "per_session": round((after - before) / args.sessions, 2),
                   "processes_before": processes_before,
                   "processes_after": processes_after},
        "first_screen_s": summary(first_screens),
        "echo_ms": summary(echoes),
        "native_round_trip_ms": {"alone": summary(alone), "beside_sessions": summary(beside)},
    }


def report(figures: dict[str, object]) -> None:
    """The figures as a short table."""
    pss = figures["pss_mb"]
    first = figures["first_screen_s"]
    echo = figures["echo_ms"]
    rtt = figures["native_round_trip_ms"]
    assert isinstance(pss, dict) and isinstance(first, dict) and isinstance(echo, dict)
    assert isinstance(rtt, dict)
    print(f"{figures['sessions']} SSH sessions ({figures['typing']} typing)")
    print(f"  PSS: {pss['before']} MB before, {pss['after']} MB after: "
          f"{pss['per_session']} MB per session (target <= 30)")
    print(f"  first chat screen: median {first['median']} s, p90 {first['p90']} s "
          f"(target median <= 1.0)")
    print(f"  keystroke echo: median {echo['median']} ms, p99 {echo['p99']} ms over "
          f"{echo['count']} keys (target p99 <= 50)")
    print(f"  native round trip: alone median {rtt['alone']['median']} ms, p99 "
          f"{rtt['alone']['p99']} ms; beside the sessions median "
          f"{rtt['beside_sessions']['median']} ms, p99 {rtt['beside_sessions']['p99']} ms")


if __name__ == "__main__":
    sys.exit(main())
