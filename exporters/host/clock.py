"""node_exporter's ``time`` collector: ``node_time_seconds``.

Computed as node_exporter does, ``float(now in nanoseconds) / 1e9``. The clock is injected so
tests can fix it. The time zone and clocksource series of node_exporter's collector are not
reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import Metric

from exporters.host.collector import gauge

__all__ = ["TimeCollector", "time_families"]


class TimeCollector:
    """The system's wall-clock time."""

    name = "time"

    def __init__(self, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self._clock_ns = clock_ns

    def collect(self) -> list[Metric]:
        return time_families(self._clock_ns())


def time_families(now_ns: int) -> list[Metric]:
    family = gauge("node_time_seconds", "System time in seconds since epoch (1970).")
    family.add_sample(family.name, {}, now_ns / 1e9)
    return [family]
