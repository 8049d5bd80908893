"""node_exporter's ``diskstats`` collector: ``node_disk_*_total{device}``.

psutil's ``disk_io_counters(perdisk=True, nowrap=False)`` reads ``/proc/diskstats`` into
exactly the kernel's counters (sectors times 512, times in milliseconds); ``nowrap=False``
keeps psutil from adding its own wrap-around correction, so values are the kernel's, as in
node_exporter. Conversions are node_exporter's to the bit: ``float(sectors) * 512`` and
``float(ms) * 0.001`` (a multiplication, so 11261 ms prints ``11.261000000000001`` as Go does).

psutil reads ``psutil.PROCFS_PATH`` (``/proc``), not ``HostConfig.procfs``; ``/proc/diskstats``
is not namespaced, so a containerised agent sees the host's disks either way.

Not reported, because psutil does not read them: ``node_disk_io_now``,
``node_disk_io_time_weighted_seconds_total``, the discard and flush counters and
``node_disk_info`` (udev).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import psutil
from prometheus_client import Metric

from exporters.host.collector import DeviceFilter, counter, label_text

__all__ = ["DiskCounters", "DiskstatsCollector", "diskstats_families", "read_disk_counters"]

SECONDS_PER_TICK = 1.0 / 1000.0


@dataclass(frozen=True, slots=True)
class DiskCounters:
    """One block device's counters, as psutil reports them (bytes and milliseconds)."""

    reads_completed: int
    reads_merged: int
    read_bytes: int
    read_time_ms: int
    writes_completed: int
    writes_merged: int
    written_bytes: int
    write_time_ms: int
    io_time_ms: int


DiskSource = Callable[[], Mapping[str, DiskCounters]]

# (family name, help text, counter field, scale)
_FAMILIES = (
    ("node_disk_reads_completed_total", "The total number of reads completed successfully.",
     "reads_completed", 1.0),
    ("node_disk_reads_merged_total", "The total number of reads merged.", "reads_merged", 1.0),
    ("node_disk_read_bytes_total", "The total number of bytes read successfully.",
     "read_bytes", 1.0),
    ("node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.",
     "read_time_ms", SECONDS_PER_TICK),
    ("node_disk_writes_completed_total", "The total number of writes completed successfully.",
     "writes_completed", 1.0),
    ("node_disk_writes_merged_total", "The number of writes merged.", "writes_merged", 1.0),
    ("node_disk_written_bytes_total", "The total number of bytes written successfully.",
     "written_bytes", 1.0),
    ("node_disk_write_time_seconds_total",
     "This is the total number of seconds spent by all writes.", "write_time_ms",
     SECONDS_PER_TICK),
    ("node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", "io_time_ms",
     SECONDS_PER_TICK),
)


def read_disk_counters() -> dict[str, DiskCounters]:
    disks = psutil.disk_io_counters(perdisk=True, nowrap=False)
    return {
        name: DiskCounters(
            reads_completed=io.read_count, reads_merged=io.read_merged_count,
            read_bytes=io.read_bytes, read_time_ms=io.read_time,
            writes_completed=io.write_count, writes_merged=io.write_merged_count,
            written_bytes=io.write_bytes, write_time_ms=io.write_time, io_time_ms=io.busy_time)
        for name, io in disks.items()
    }


class DiskstatsCollector:
    """I/O counters of every block device the filter lets through."""

    name = "diskstats"

    def __init__(self, devices: DeviceFilter, read: DiskSource = read_disk_counters) -> None:
        self._devices = devices
        self._read = read

    def collect(self) -> list[Metric]:
        return diskstats_families(self._read(), self._devices)


def diskstats_families(disks: Mapping[str, DiskCounters], devices: DeviceFilter) -> list[Metric]:
    families = [(counter(name, text), field, scale) for name, text, field, scale in _FAMILIES]
    for device in sorted(disks):
        if devices.ignored(device):
            continue
        counters = disks[device]
        labels = {"device": label_text(device)}
        for family, field, scale in families:
            family.add_sample(family.name, labels, float(getattr(counters, field)) * scale)
    return [family for family, _, _ in families]
