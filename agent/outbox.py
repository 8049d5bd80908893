"""Where encoded reports wait for delivery: the interface between the scheduler, the shippers
and the spool.

The scheduler :meth:`Outbox.put` s every report once; the put returns when the report is
durably written (:mod:`agent.spool`). Each collector's shipper takes reports from its own
:class:`Delivery`: ``next()`` the one to send now (the newest new report first, then the
backlog oldest first, at the catch-up pace), ``done()`` when it was acknowledged or given up,
which is recorded durably before it returns. While a report is in flight the shipper asks
``kept()`` before each retry: a report the spool had to drop (a bound reached) is given up
rather than retried; one acknowledged in the meantime was delivered after all and is not
counted as dropped.

:class:`agent.spool.Spool` implements :class:`Outbox`; :class:`SpoolStats` is what it tells
:mod:`agent.metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from agent.report import EncodedReport

__all__ = ["Delivery", "Outbox", "SpoolStats"]


@dataclass(frozen=True, slots=True)
class SpoolStats:
    """The spool's gauges at one moment."""

    reports: int = 0
    bytes: int = 0
    oldest_age: float = 0.0
    #: Per collector: reports not yet acknowledged, and the age of the oldest of them.
    backlog: Mapping[str, int] = field(default_factory=dict)
    backlog_age: Mapping[str, float] = field(default_factory=dict)


class Delivery(Protocol):
    """One collector's view of the reports to deliver."""

    async def next(self) -> EncodedReport:
        """The report to send now; waits while there is none (or the backlog's pace says
        wait)."""
        ...

    def kept(self, report: EncodedReport) -> bool:
        """Whether ``report`` is still to be delivered (False: the spool dropped it)."""
        ...

    async def done(self, report: EncodedReport, delivered: bool) -> None:
        """``report`` was acknowledged (``delivered``) or given up: never hand it out again."""
        ...

    async def requeue(self, report: EncodedReport) -> None:
        """``report`` was not delivered and goes back to the backlog, to be handed out again
        in its turn (after any newer report)."""
        ...

    async def wait_newer(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a report newer than any handed out; True when
        there is one."""
        ...


class Outbox(Protocol):
    async def put(self, report: EncodedReport) -> None:
        """Write ``report`` for every collector; returns once it is durable."""
        ...

    def delivery(self, collector: str) -> Delivery: ...

    @property
    def next_seq(self) -> int:
        """The sequence number the next report takes (after every one ever written)."""
        ...

    def depths(self) -> Mapping[str, int]:
        """Reports not yet done, per collector."""
        ...

    def stats(self) -> SpoolStats: ...

    async def wait_idle(self) -> None:
        """Return when every collector has every report done."""
        ...

    async def close(self) -> None: ...
