"""The host exporter: node_exporter's series for this machine, from psutil and ``/proc``.

Each run calls every sub-collector in a worker thread (the executor given, or the event
loop's default one, both bounded), concurrently, and never on the event loop. Like
node_exporter's ``node_scrape_collector_{success,duration_seconds}``, every run adds
``netmon_host_collector_success{collector}`` and ``netmon_host_collector_duration_seconds
{collector}``; a sub-collector that fails contributes those two series and one log line, and
the others' families are returned as usual.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

from prometheus_client import Metric

from exporters.host.clock import TimeCollector
from exporters.host.collector import Collector, DeviceFilter, gauge
from exporters.host.config import HostConfig
from exporters.host.cpu import CpuCollector
from exporters.host.diskstats import DiskstatsCollector
from exporters.host.filesystem import FilesystemCollector
from exporters.host.loadavg import LoadavgCollector
from exporters.host.meminfo import MeminfoCollector
from exporters.host.netdev import NetdevCollector
from exporters.host.stat import StatCollector
from exporters.host.timex import TimexCollector
from exporters.host.uname import UnameCollector

__all__ = ["CollectorRun", "HostExporter", "collector_families", "default_collectors"]

log = logging.getLogger(__name__)


def default_collectors(config: HostConfig) -> list[Collector]:
    """Every sub-collector of the host exporter. Adding one means adding a line here."""
    return [
        CpuCollector(config.procfs_path),
        DiskstatsCollector(DeviceFilter.from_patterns(config.diskstats_device_exclude,
                                                      config.diskstats_device_include)),
        FilesystemCollector(config),
        LoadavgCollector(config.procfs_path),
        MeminfoCollector(config.procfs_path),
        NetdevCollector(DeviceFilter.from_patterns(config.netdev_device_exclude,
                                                   config.netdev_device_include)),
        StatCollector(config.procfs_path),
        TimeCollector(),
        TimexCollector(),
        UnameCollector(config.procfs_path),
    ]


@dataclass(frozen=True, slots=True)
class CollectorRun:
    """What one sub-collector produced in one run."""

    collector: str
    duration_seconds: float
    success: bool
    families: list[Metric] = field(default_factory=list)


class HostExporter:
    """node_exporter-compatible host metrics; implements :class:`exporters.contract.Exporter`."""

    def __init__(self, config: HostConfig | None = None, *,
                 collectors: Sequence[Collector] | None = None,
                 executor: Executor | None = None) -> None:
        self._config = config if config is not None else HostConfig()
        self._collectors = tuple(collectors if collectors is not None
                                 else default_collectors(self._config))
        self._executor = executor

    @property
    def name(self) -> str:
        return "host"

    @property
    def config(self) -> HostConfig:
        return self._config

    @property
    def collectors(self) -> tuple[Collector, ...]:
        return self._collectors

    async def collect(self) -> list[Metric]:
        loop = asyncio.get_running_loop()
        runs = await asyncio.gather(*(
            loop.run_in_executor(self._executor, run_collector, collector)
            for collector in self._collectors))
        families = [family for run in runs for family in run.families]
        families.extend(collector_families(runs))
        return families


def run_collector(collector: Collector) -> CollectorRun:
    """Run one sub-collector (blocking; in a worker thread). Never raises."""
    start = time.perf_counter()
    try:
        families = collector.collect()
    except Exception as exc:  # containing any failure is this function's job
        duration = time.perf_counter() - start
        log.warning("host collector failed collector=%s duration=%.3fs error=%s: %s",
                    collector.name, duration, type(exc).__name__, exc)
        return CollectorRun(collector.name, duration, False)
    return CollectorRun(collector.name, time.perf_counter() - start, True, families)


def collector_families(runs: Iterable[CollectorRun]) -> list[Metric]:
    """``netmon_host_collector_{duration_seconds,success}{collector}`` for a set of runs."""
    duration = gauge("netmon_host_collector_duration_seconds",
                     "netmon host exporter: Duration of a collector scrape.")
    success = gauge("netmon_host_collector_success",
                    "netmon host exporter: Whether a collector succeeded.")
    for run in runs:
        labels = {"collector": run.collector}
        duration.add_sample(duration.name, labels, run.duration_seconds)
        success.add_sample(success.name, labels, 1.0 if run.success else 0.0)
    return [duration, success]
