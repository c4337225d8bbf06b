"""Avatar flood: one session uploads 1-pixel PNGs as fast as it can.

Runs the server in process (line limits off for the probe; the upload budget as shipped),
a bystander that counts ``avatar_changed`` frames, and a well-behaved probe timing its
round trips meanwhile. Two rounds: the same picture again and again, then a new picture
each time. Prints what was accepted and what the bystander saw.

Run: ``.venv/bin/python bench/avatar_flood.py [--uploads 2000]``.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for ``tests``

from PIL import Image

from tests.faultkit import GENEROUS_LIMITS, WAIT, Latency, Probe, running_server
from tuichat.net.client import Connection, ServerError
from tuichat.net.frames import Channel, Frame


def _png(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), (shade % 256, shade // 256 % 256, 9)).save(buffer, format="PNG")
    return buffer.getvalue()


class _Counter:
    """Counts ``avatar_changed`` frames as they reach a bystander, until the flooder's
    ``done`` line (the room's frames arrive in order, so none is still on its way)."""

    def __init__(self) -> None:
        self.count = 0
        self.done = threading.Event()

    def __call__(self, channel: Channel, frame: Frame, payload: bytes | None) -> None:
        if frame.get("type") == "avatar_changed":
            self.count += 1
        elif frame.get("type") == "message" and frame.get("text") == "done":
            self.done.set()


def flood(uploads: int, same: bool) -> tuple[int, int, float, Latency]:
    """(uploads accepted, ``avatar_changed`` frames the bystander saw, seconds, probe)."""
    with tempfile.TemporaryDirectory(prefix="tuichat-avatars-") as tmp, \
            running_server(Path(tmp), **GENEROUS_LIMITS) as server:
        ports = server.ports
        seen = _Counter()
        bystander = Connection.open("127.0.0.1", "bystander", port_send=ports.send,
                                    port_recv=ports.recv, port_image=ports.image,
                                    timeout=WAIT, on_frame=seen)
        uploader = Connection.open("127.0.0.1", "flooder", port_send=ports.send,
                                   port_recv=ports.recv, port_image=ports.image, timeout=WAIT)
        probe = Probe(ports)
        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(probe.round_trip())

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.perf_counter()
        futures: list[Future[str]] = [
            uploader.upload_avatar(_png(0 if same else n)) for n in range(uploads)
        ]
        accepted = 0
        for future in futures:
            try:
                future.result(WAIT)
                accepted += 1
            except ServerError:
                pass
        took = time.perf_counter() - started
        done.set()
        sampler.join()
        uploader.say("done")
        if not seen.done.wait(60):
            raise SystemExit("the bystander never got the flooder's last line")
        for conn in (bystander, uploader):
            conn.close()
        probe.close()
        return accepted, seen.count, took, Latency(tuple(samples))


def main() -> int:
    """Run both rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--uploads", type=int, default=2_000)
    args = parser.parse_args()
    for same in (True, False):
        accepted, seen, took, latency = flood(args.uploads, same)
        kind = "the same picture" if same else "a new picture each time"
        print(f"{args.uploads:,} uploads of {kind} in {took:.2f} s: {accepted:,} answered as "
              f"accepted, the bystander saw {seen:,} avatar_changed; probe {latency}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
