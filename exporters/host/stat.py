"""node_exporter's ``stat`` collector: ``node_boot_time_seconds`` and the kernel's activity
counters from ``/proc/stat``.

Boot time comes from the ``btime`` line, the same line ``psutil.boot_time()`` reads; reading
the file once here gives the whole collector one consistent snapshot, as node_exporter's does.
"""

from __future__ import annotations

from prometheus_client import Metric

from exporters.host.collector import counter, gauge
from exporters.host.procstat import ProcStat, read_proc_stat

__all__ = ["StatCollector", "stat_families"]


class StatCollector:
    """Boot time, context switches, forks, interrupts and process counts."""

    name = "stat"

    def __init__(self, procfs: str) -> None:
        self._procfs = procfs

    def collect(self) -> list[Metric]:
        return stat_families(read_proc_stat(self._procfs))


def stat_families(stat: ProcStat) -> list[Metric]:
    specs = (
        (gauge, "node_boot_time_seconds", "Node boot time, in unixtime.", stat.boot_time),
        (counter, "node_context_switches_total", "Total number of context switches.",
         stat.context_switches),
        (counter, "node_forks_total", "Total number of forks.", stat.forks),
        (counter, "node_intr_total", "Total number of interrupts serviced.", stat.interrupts),
        (gauge, "node_procs_blocked", "Number of processes blocked waiting for I/O to complete.",
         stat.procs_blocked),
        (gauge, "node_procs_running", "Number of processes in runnable state.",
         stat.procs_running),
    )
    families = []
    for make, name, documentation, value in specs:
        family = make(name, documentation)
        family.add_sample(name, {}, float(value))
        families.append(family)
    return families
