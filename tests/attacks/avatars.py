"""The avatar flood of issue 12: one session uploads 1-pixel PNGs as fast as it can.

A bystander counts the ``avatar_changed`` frames the room broadcasts while a probe chats.
Two shapes: the same picture again and again (a no-op after the first), and a new picture
each time (the upload budget). ``tests/test_avatar_uploads.py`` pins both in-process.
"""

from __future__ import annotations

import io
import math
import threading
import time
from concurrent.futures import Future
from pathlib import Path

from PIL import Image

from tests.attacks.common import SAMPLES, Outcome, RssWatch, against
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


def avatar_flood(data_dir: Path, same: bool, uploads: int = UPLOADS) -> Outcome:
    """``uploads`` uploads, pipelined, of one picture (``same``) or of new ones."""

    def attack(server: ServerProcess, watch: RssWatch) -> Outcome:
        ports = server.ports
        seen = Bystander(ports)
        flooder = Connection.open("127.0.0.1", "flooder", port_send=ports.send,
                                  port_recv=ports.recv, port_image=ports.image, timeout=WAIT)
        probe = Probe(ports)
        try:
            normal = probe.sample(SAMPLES)
            during: list[float] = []
            uploading = threading.Event()
            uploading.set()

            def sample() -> None:
                while uploading.is_set() or len(during) < SAMPLES:
                    during.append(probe.round_trip())

            sampler = threading.Thread(target=sample, name="probe")
            started = time.monotonic()
            sampler.start()
            futures: list[Future[str]] = [
                flooder.upload_avatar(png(0 if same else n)) for n in range(uploads)]
            accepted = 0
            for future in futures:
                try:
                    future.result(WAIT)
                    accepted += 1
                except ServerError:
                    pass
            took = time.monotonic() - started
            uploading.clear()
            sampler.join(WAIT)
            flooder.say("done")
            if not seen.done.wait(WAIT):
                raise AssertionError("the bystander never got the flooder's last line")
            rss = watch.settled()
        finally:
            for conn in (seen.conn, flooder):
                conn.close()
            probe.close()
        budget = 1 if same else UPLOAD_BURST + math.floor(took / UPLOAD_INTERVAL)
        return Outcome(
            f"avatar flood, {'the same picture' if same else 'new pictures'}",
            f"{uploads:,} uploads in {took:.1f} s: {accepted:,} answered as stored, "
            f"{uploads - accepted:,} refused; {seen.count:,} broadcast (budget {budget})",
            seen.count <= budget, Latency(tuple(during)), rss,
            figures={"latency_normal": normal.row(), "uploads": uploads,
                     "accepted": accepted, "broadcast": seen.count, "budget": budget,
                     "seconds": round(took, 2)})

    return against(data_dir, GENEROUS_FLAGS, attack)
