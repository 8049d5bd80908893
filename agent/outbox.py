"""Where encoded reports wait for delivery: one bounded queue per collector, in memory.

The scheduler :meth:`Outbox.put` s every report once; each collector's shipper takes them in
order from its own :class:`Delivery` (``next()`` the oldest, ``done()`` when it was
acknowledged or given up). That is the shape of issue 4's on-disk spool: one append-only log
and a cursor per collector, so a spool replaces :class:`MemoryOutbox` without touching the
shippers or the scheduler.

The memory queue keeps at most ``max_reports`` reports waiting per collector (the report
being sent does not count). When full it drops the oldest waiting report, counts it through
``on_drop(collector, reports)`` and logs once per episode: one line when it starts dropping,
one when there is room again, with how many were dropped. The same report bytes are shared
by every collector's queue.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from agent.report import EncodedReport

__all__ = ["Delivery", "MemoryOutbox", "Outbox", "ReportQueue"]

log = logging.getLogger(__name__)


class Delivery(Protocol):
    """One collector's view of the reports to deliver, oldest first."""

    async def next(self) -> EncodedReport:
        """The oldest report not yet done; waits while there is none."""
        ...

    def done(self, report: EncodedReport) -> None:
        """``report`` was acknowledged or given up: never hand it out again."""
        ...


class Outbox(Protocol):
    def put(self, report: EncodedReport) -> None: ...

    def delivery(self, collector: str) -> Delivery: ...

    def depths(self) -> Mapping[str, int]:
        """Reports not yet done, per collector."""
        ...

    async def wait_idle(self) -> None:
        """Return when every collector has every report done."""
        ...


class ReportQueue:
    """One collector's reports in memory: waiting ones, and at most one in flight."""

    def __init__(self, collector: str, max_reports: int,
                 on_drop: Callable[[str, int], None], agent_id: str = "") -> None:
        self.collector = collector
        self.max_reports = max_reports
        self._on_drop = on_drop
        self._agent = agent_id
        self._waiting: collections.deque[EncodedReport] = collections.deque()
        self._in_flight: EncodedReport | None = None
        self._has_waiting = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._dropped_in_episode = 0

    def __len__(self) -> int:
        return len(self._waiting) + (self._in_flight is not None)

    @property
    def idle(self) -> bool:
        return not self._waiting and self._in_flight is None

    def put(self, report: EncodedReport) -> None:
        if len(self._waiting) >= self.max_reports:
            dropped = self._waiting.popleft()
            self._on_drop(self.collector, 1)
            if not self._dropped_in_episode:
                log.warning("report queue full, dropping the oldest reports agent=%s "
                            "collector=%s max_queue=%d first_dropped_seq=%d", self._agent,
                            self.collector, self.max_reports, dropped.seq)
            self._dropped_in_episode += 1
        elif self._dropped_in_episode:
            log.warning("report queue has room again agent=%s collector=%s dropped=%d",
                        self._agent, self.collector, self._dropped_in_episode)
            self._dropped_in_episode = 0
        self._waiting.append(report)
        self._has_waiting.set()
        self._idle.clear()

    async def next(self) -> EncodedReport:
        if self._in_flight is None:
            while not self._waiting:
                self._has_waiting.clear()
                await self._has_waiting.wait()
            self._in_flight = self._waiting.popleft()
        return self._in_flight

    def done(self, report: EncodedReport) -> None:
        if self._in_flight is report:
            self._in_flight = None
            if not self._waiting:
                self._idle.set()

    async def wait_idle(self) -> None:
        await self._idle.wait()


class MemoryOutbox:
    """A :class:`ReportQueue` per collector; implements :class:`Outbox`."""

    def __init__(self, collectors: Sequence[str], max_reports: int,
                 on_drop: Callable[[str, int], None], agent_id: str = "") -> None:
        self.queues = {name: ReportQueue(name, max_reports, on_drop, agent_id)
                       for name in collectors}

    def put(self, report: EncodedReport) -> None:
        for queue in self.queues.values():
            queue.put(report)

    def delivery(self, collector: str) -> ReportQueue:
        return self.queues[collector]

    def depths(self) -> dict[str, int]:
        return {name: len(queue) for name, queue in self.queues.items()}

    async def wait_idle(self) -> None:
        await asyncio.gather(*(queue.wait_idle() for queue in self.queues.values()))
