"""The avatar flood of issue 12: one session uploads 1-pixel PNGs as fast as it can,
from a process of its own (so the probe's timing shares no GIL with it).

A bystander counts the ``avatar_changed`` frames the room broadcasts while a probe chats.
Two shapes: the same picture again and again (a no-op after the first), and a new picture
each time (the upload budget). ``tests/test_avatar_uploads.py`` pins both in-process.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections import Counter
from concurrent.futures import Future
from pathlib import Path

from PIL import Image

from tests.attacks.common import SAMPLES, Attackers, Outcome, RssWatch, against, attacker_main
from tests.faultkit import GENEROUS_FLAGS, WAIT, Latency, Probe, ServerProcess
from tuichat.net.client import Connection, ServerError
from tuichat.net.frames import Channel, Frame
from tuichat.server.app import Ports
from tuichat.server.avatars import UPLOAD_BURST, UPLOAD_INTERVAL

UPLOADS = 2_000


def png(shade: int) -> bytes:
    """A 1-pixel PNG, a different one for each ``shade`` below 65,536."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), (shade % 256, shade // 256 % 256, 9)).save(buffer, format="PNG")
    return buffer.getvalue()


class Bystander:
    """Counts ``avatar_changed`` frames as they reach a user, until the flooder's ``done``
    line (the room's frames arrive in order, so none is still on its way)."""

    def __init__(self, ports: Ports) -> None:
        self.count = 0
        self.done = threading.Event()
        self.conn = Connection.open("127.0.0.1", "bystander", port_send=ports.send,
                                    port_recv=ports.recv, port_image=ports.image,
                                    timeout=WAIT, on_frame=self._on_frame)

    def _on_frame(self, channel: Channel, frame: Frame, payload: bytes | None) -> None:
        if frame.get("type") == "avatar_changed":
            self.count += 1
        elif frame.get("type") == "message" and frame.get("text") == "done":
            self.done.set()


def upload(first: int, stride: int, send: str, recv: str, image: str, same: str,
           uploads: str) -> Counter[str]:
    """The flooder, a process of its own (``first`` and ``stride`` unused: one process):
    ``uploads`` uploads, pipelined, then the line ``done``; counts the answers."""
    flooder = Connection.open("127.0.0.1", "flooder", port_send=int(send),
                              port_recv=int(recv), port_image=int(image), timeout=WAIT)
    answers: Counter[str] = Counter()
    started = time.monotonic()
    futures: list[Future[str]] = [flooder.upload_avatar(png(0 if same == "1" else n))
                                  for n in range(int(uploads))]
    for future in futures:
        try:
            future.result(WAIT)
            answers["stored"] += 1
        except ServerError:
            answers["refused"] += 1
    answers["ms"] = round((time.monotonic() - started) * 1000)
    flooder.say("done")
    flooder.close()
    return answers


def avatar_flood(data_dir: Path, same: bool, uploads: int = UPLOADS) -> Outcome:
    """``uploads`` uploads of one picture (``same``) or of new ones, from a flooder
    process, while a bystander counts what the room broadcasts."""

    def attack(server: ServerProcess, watch: RssWatch) -> Outcome:
        ports = server.ports
        seen = Bystander(ports)
        probe = Probe(ports)
        try:
            normal = probe.sample(SAMPLES)
            flooder = Attackers(__name__, [str(ports.send), str(ports.recv), str(ports.image),
                                           "1" if same else "0", str(uploads)], processes=1)
            during: list[float] = []
            while flooder.running() or len(during) < SAMPLES:
                during.append(probe.round_trip())
            answers = flooder.answers()
            if not seen.done.wait(WAIT):
                raise AssertionError("the bystander never got the flooder's last line")
            rss = watch.settled()
        finally:
            seen.conn.close()
            probe.close()
        took = answers["ms"] / 1000
        budget = 1 if same else UPLOAD_BURST + math.floor(took / UPLOAD_INTERVAL)
        return Outcome(
            f"avatar flood, {'the same picture' if same else 'new pictures'}",
            f"{uploads:,} uploads in {took:.1f} s: {answers['stored']:,} answered as "
            f"stored, {answers['refused']:,} refused; {seen.count:,} broadcast "
            f"(budget {budget})",
            seen.count <= budget and answers["stored"] + answers["refused"] == uploads,
            Latency(tuple(during)), rss,
            figures={"latency_normal": normal.row(), "uploads": uploads,
                     "stored": answers["stored"], "refused": answers["refused"],
                     "broadcast": seen.count, "budget": budget, "seconds": took})

    return against(data_dir, GENEROUS_FLAGS, attack)


if __name__ == "__main__":
    attacker_main(upload)
