"""node_exporter's ``cpu`` collector: ``node_cpu_seconds_total{cpu,mode}`` and
``node_cpu_guest_seconds_total{cpu,mode}``.

Like node_exporter, the collector keeps the last value of every counter so that what it
reports never goes backwards: the kernel's idle and iowait accounting does step back a tick
now and then, and a counter that decreases reads as a reset to ``rate()``. A CPU whose idle
time drops by :data:`JUMP_BACK_SECONDS` or more was hot-plugged; its cache starts afresh.

One deliberate difference from node_exporter 1.5: a CPU that is offline (absent from
``/proc/stat``) has no series here, where 1.5 printed zeros for offline CPUs numbered below
the highest online one. node_exporter 1.6 made the same change ("Remove metrics of offline
CPUs"); every series netmon prints is still one 1.5 prints.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from prometheus_client import Metric

from exporters.host.collector import counter
from exporters.host.procstat import CpuTimes, read_proc_stat

__all__ = ["JUMP_BACK_SECONDS", "CpuCollector", "cpu_families", "update_cpu_cache"]

log = logging.getLogger(__name__)

JUMP_BACK_SECONDS = 3.0
_MODES = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


class CpuCollector:
    """Per-CPU seconds from ``<procfs>/stat``, kept monotonic across scrapes."""

    name = "cpu"

    def __init__(self, procfs: str) -> None:
        self._procfs = procfs
        self._lock = threading.Lock()
        self._cache: dict[int, CpuTimes] = {}

    def collect(self) -> list[Metric]:
        cpus = read_proc_stat(self._procfs).cpus
        with self._lock:
            self._cache = update_cpu_cache(self._cache, cpus)
            snapshot = dict(self._cache)
        return cpu_families(snapshot)


def update_cpu_cache(cache: Mapping[int, CpuTimes],
                     current: Mapping[int, CpuTimes]) -> dict[int, CpuTimes]:
    """node_exporter's ``updateCPUStats``: each field keeps its highest value seen.

    CPUs missing from ``current`` (offline) are dropped from the result.
    """
    out: dict[int, CpuTimes] = {}
    for cpu_id, new in current.items():
        old = cache.get(cpu_id, CpuTimes())
        if old.idle - new.idle >= JUMP_BACK_SECONDS:
            log.debug("cpu idle jumped back, resetting its counters cpu=%s old=%s new=%s",
                      cpu_id, old.idle, new.idle)
            old = CpuTimes()
        merged = CpuTimes(*(max(n, o) for n, o in zip(new, old, strict=True)))
        if merged != new:
            log.debug("cpu counter jumped back, keeping the previous value cpu=%s old=%s new=%s",
                      cpu_id, old, new)
        out[cpu_id] = merged
    return out


def cpu_families(cpus: Mapping[int, CpuTimes]) -> list[Metric]:
    seconds = counter("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.")
    guest = counter("node_cpu_guest_seconds_total",
                    "Seconds the CPUs spent in guests (VMs) for each mode.")
    for cpu_id in sorted(cpus):
        times = cpus[cpu_id]
        cpu = str(cpu_id)
        for mode in _MODES:
            seconds.add_sample(seconds.name, {"cpu": cpu, "mode": mode}, getattr(times, mode))
        # Guest time is also counted in user and nice; node_exporter reports it apart.
        guest.add_sample(guest.name, {"cpu": cpu, "mode": "user"}, times.guest)
        guest.add_sample(guest.name, {"cpu": cpu, "mode": "nice"}, times.guest_nice)
    return [seconds, guest]
