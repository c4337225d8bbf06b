"""The server's logging, kept off the event loop.

``queued_logging`` puts a queue between the loggers and the real handler: the loop only
appends a record, and a thread of the listener's renders and writes it. ``Tally`` turns a
burst of like events (1,500 idle connections expiring together) into one line a second.
"""

from __future__ import annotations

import copy
import logging
import queue
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from logging.handlers import QueueHandler, QueueListener

TALLY_WINDOW = 1.0
"""Seconds a ``Tally`` gathers events before it logs them as one line."""


class _RecordQueueHandler(QueueHandler):
    """A queue handler that merges the message's arguments now (they may change before
    the listener gets to them) but keeps ``exc_info``, so the handler can still draw a
    rich traceback."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        """A copy of ``record`` with its message formatted and no arguments left."""
        prepared = copy.copy(record)
        prepared.msg = record.getMessage()
        prepared.args = None
        return prepared


@contextmanager
def queued_logging(
    handler: logging.Handler, level: str, logger: logging.Logger | None = None
) -> Iterator[None]:
    """Send ``logger``'s records (the root logger's by default, replacing its handlers)
    through a queue to ``handler`` on a thread of its own, at ``level``. On exit the
    listener is stopped, which writes every record still queued first."""
    target = logger if logger is not None else logging.getLogger()
    for old in target.handlers[:]:
        target.removeHandler(old)
        old.close()
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    queue_handler = _RecordQueueHandler(records)
    target.addHandler(queue_handler)
    target.setLevel(level.upper())
    listener = QueueListener(records, handler, respect_handler_level=True)
    listener.start()
    try:
        yield
    finally:
        listener.stop()
        target.removeHandler(queue_handler)
        handler.close()


class Tally:
    """Like events from many addresses, logged as one INFO line per ``TALLY_WINDOW``.

    The first event of a window schedules the line (through ``call_later``, the reactor's
    timer); ``flush`` writes it early, e.g. when the server stops.
    """

    def __init__(
        self,
        log: logging.Logger,
        describe: Callable[[int], str],
        call_later: Callable[[float, Callable[[], object]], None],
    ) -> None:
        """``describe(count)`` says what happened, e.g. ``closed 3 idle connections``."""
        self._log = log
        self._describe = describe
        self._call_later = call_later
        self._hosts: Counter[str] = Counter()

    def add(self, host: str) -> None:
        """Count one event from ``host``."""
        if not self._hosts:
            self._call_later(TALLY_WINDOW, self.flush)
        self._hosts[host] += 1

    def flush(self) -> None:
        """Log what was counted since the last line, if anything, and start afresh."""
        if not self._hosts:
            return
        hosts, self._hosts = self._hosts, Counter()
        count = sum(hosts.values())
        top, most = hosts.most_common(1)[0]
        where = top if len(hosts) == 1 else (
            f"{len(hosts):,} addresses, most from {top} ({most:,})"
        )
        self._log.info("%s, from %s", self._describe(count), where)
