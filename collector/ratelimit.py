"""Reports per second per agent: a token bucket each, so one agent cannot hog a collector.

Admission control (:mod:`collector.admission`) protects the collector as a whole; this
protects the other agents from one: an agent whose token leaked, or whose spool replays in a
loop, is answered ``429`` with ``Retry-After`` (reason ``rate_limited``) before its body is
read, in microseconds, while every other agent's pushes are served as before.

The defaults (``limits.max_reports_per_second: 20``, ``limits.max_report_burst: 120``) are
generous for a well-behaved agent: it has one push in flight per collector, sends its live
reports (one per exporter and interval: a ward's two exporters every 15 s are 0.13 a second)
and catches up at ``catchup_rate`` (1 report a second per collector by default,
:mod:`agent.spool_cursor`, a burst of 3). A catch-up at twenty times the agent's default pace
still passes, and so does a test that pushes a hundred reports back to back; a loop of
pushes from a leaked token is held to 20 a second, some 6 to 10 % of a core at 3 to 5 ms
per ward report, so the other agents keep the rest. The agent's shipper honours
``Retry-After`` like any 429, so a throttled agent slows down. Every refusal is counted;
the log gets one line per agent per :data:`LOG_INTERVAL` (with how many were not logged), so
a flood does not become a flood of log lines.

Time is a monotonic clock (injectable for tests). One bucket per agent, created on its first
authenticated push: the number of buckets is bounded by the agents the inventory has ever
held (a few dozen bytes each; an unauthenticated request never gets one). The limits are read
on every push, so a reload changes them at once.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from collector.errors import RateLimited

__all__ = ["LOG_INTERVAL", "AgentRateLimiter"]

log = logging.getLogger(__name__)


#: Seconds between two log lines about the same throttled agent.
LOG_INTERVAL: Final = 60.0


@dataclass(slots=True)
class _Bucket:
    tokens: float
    refilled: float
    logged: float = -math.inf     # when a refusal was last logged
    unlogged: int = 0             # refusals since


class AgentRateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def check(self, agent_id: str, rate: float, burst: int) -> None:
        """Take a token from the agent's bucket, or raise :class:`RateLimited`."""
        now = self._clock()
        bucket = self._buckets.get(agent_id)
        if bucket is None:
            bucket = self._buckets[agent_id] = _Bucket(float(burst), now)
        bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.refilled) * rate)
        bucket.refilled = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return
        wait = max(1, math.ceil((1.0 - bucket.tokens) / rate))
        refused = RateLimited(f"agent {agent_id} pushes more than {rate:g} reports a second "
                              f"(burst {burst}); retry in {wait}s", wait)
        if now - bucket.logged >= LOG_INTERVAL:
            log.warning("push refused (429 rate_limited) agent=%s error=%s%s", agent_id,
                        refused, f" ({bucket.unlogged} more refused since the last line)"
                        if bucket.unlogged else "")
            bucket.logged, bucket.unlogged = now, 0
        else:
            bucket.unlogged += 1
        raise refused
