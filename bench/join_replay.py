"""What a join with history replay costs the server: its CPU per ``hello`` on a full history.

Fills a history with ``--messages`` messages of ``--chars`` characters, starts the server
on it, then joins ``--joins`` times with ``since`` (0: the most replay a client can ask
for) and reads each welcome and its replayed messages to the end. With ``--busy`` a
message is said before each join, so no two joins see the same history. The figure is
the server's own CPU (utime + stime from /proc) per join, and the joins a second it
would take to fill one core.

Run: ``.venv/bin/python bench/join_replay.py [--messages N] [--chars N] [--joins N]
[--busy]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for ``tests``

from tests.faultkit import GENEROUS_FLAGS, Probe, ServerProcess
from tuichat.net.codec import FrameDecoder, encode
from tuichat.server.config import ServerConfig
from tuichat.server.store.history import History


def fill(data_dir: Path, messages: int, chars: int) -> None:
    """A history of ``messages`` messages of ``chars`` characters each."""
    config = ServerConfig(data_dir=data_dir)
    history = History(config.history_path)
    line = ("lorem ipsum dolor sit amet " * (chars // 27 + 1))[:chars]
    for number in range(messages):
        history.append(f"user{number % 50}", f"{number} {line}", None, commit=False)
    history.commit()
    history.close()


def cpu_seconds(pid: int) -> float:
    """The process's user and system CPU so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def join(port: int, name: str, since: int, last_seq: int) -> int:
    """Join with ``since`` and read the welcome and the replayed messages up to the newest,
    ``last_seq``; how many messages came."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(encode({"type": "hello", "version": 1, "name": name, "since": since}))
        decoder = FrameDecoder()
        replayed = 0
        while True:
            data = sock.recv(1 << 20)
            assert data, "the server closed before the newest message was replayed"
            for decoded in decoder.feed(data):
                frame = decoded.frame
                messages = (frame["history"] if frame["type"] == "welcome"
                            else [frame] if frame.get("replay") else [])
                replayed += len(messages)
                if messages and messages[-1]["seq"] == last_seq:
                    return replayed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--chars", type=int, default=2_000)
    parser.add_argument("--joins", type=int, default=50)
    parser.add_argument("--since", type=int, default=0)
    parser.add_argument("--busy", action="store_true", help="a new message before each join")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tuichat-replay-") as scratch:
        data_dir = Path(scratch)
        fill(data_dir, args.messages, args.chars)
        server = ServerProcess(data_dir, *GENEROUS_FLAGS)
        server.start()
        try:
            assert server.process is not None
            pid = server.process.pid
            ports = server.ports
            talker = Probe(ports, name="talker")
            first = join(ports.recv, "warmup", args.since, args.messages)
            last_seq, cpu, wall = args.messages, 0.0, 0.0
            for number in range(args.joins):
                if args.busy:
                    talker.round_trip()  # said and stored before the join is timed
                    last_seq += 1
                before, started = cpu_seconds(pid), time.monotonic()
                join(ports.recv, f"joiner{number}", args.since, last_seq)
                cpu += cpu_seconds(pid) - before
                wall += time.monotonic() - started
            talker.close()
        finally:
            server.stop()
    per_join = cpu / args.joins
    print(f"history: {args.messages:,} messages of {args.chars:,} characters; "
          f"since={args.since}: {first:,} messages replayed per join"
          f"{'; a new message before each join' if args.busy else ''}")
    print(f"{args.joins} joins: server CPU {per_join * 1000:.1f} ms per join "
          f"({1 / per_join if per_join else float('inf'):.0f} joins/s fill a core); "
          f"wall {wall / args.joins * 1000:.1f} ms per join")
    return 0


if __name__ == "__main__":
    sys.exit(main())
