"""``/proc/stat``: per-CPU times, boot time, context switches, forks, interrupts, processes.

Read here rather than through psutil because psutil's ``cpu_times(percpu=True)`` returns a
list without CPU numbers: on a host with offline CPUs (SMT switched off, hot-unplugged cores)
``/proc/stat`` lists ``cpu0 cpu2 cpu4 ...`` and psutil's list positions would label them
0, 1, 2. node_exporter takes the number from the ``cpuN`` line, and so does this parser.
The values are computed exactly as node_exporter's procfs library does: each field parsed as
a float and divided by ``USER_HZ`` (100).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

__all__ = ["USER_HZ", "CpuTimes", "ProcStat", "parse_proc_stat", "read_proc_stat"]

USER_HZ = 100.0  # procfs's userHZ: /proc/stat is always in USER_HZ ticks, 100 on Linux


class CpuTimes(NamedTuple):
    """Seconds one CPU spent in each mode (node_exporter's ``procfs.CPUStat``)."""

    user: float = 0.0
    nice: float = 0.0
    system: float = 0.0
    idle: float = 0.0
    iowait: float = 0.0
    irq: float = 0.0
    softirq: float = 0.0
    steal: float = 0.0
    guest: float = 0.0
    guest_nice: float = 0.0


@dataclass(frozen=True, slots=True)
class ProcStat:
    """The parts of ``/proc/stat`` node_exporter's cpu and stat collectors report.

    Missing lines read as 0, as they do in procfs.
    """

    cpus: dict[int, CpuTimes] = field(default_factory=dict)
    boot_time: int = 0
    interrupts: int = 0
    context_switches: int = 0
    forks: int = 0
    procs_running: int = 0
    procs_blocked: int = 0


_COUNTERS = {"btime": "boot_time", "intr": "interrupts", "ctxt": "context_switches",
             "processes": "forks", "procs_running": "procs_running",
             "procs_blocked": "procs_blocked"}


def read_proc_stat(procfs: str) -> ProcStat:
    """Read and parse ``<procfs>/stat``."""
    return parse_proc_stat(Path(procfs, "stat").read_text(encoding="ascii"))


def parse_proc_stat(text: str) -> ProcStat:
    """Parse the text of ``/proc/stat``."""
    cpus: dict[int, CpuTimes] = {}
    values: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        key = parts[0]
        if key in _COUNTERS:
            try:
                values[_COUNTERS[key]] = int(parts[1])
            except ValueError as exc:
                raise ValueError(f"/proc/stat: bad {key} value in line {line!r}") from exc
        elif key.startswith("cpu") and key != "cpu":
            cpu_id, times = _parse_cpu_line(parts, line)
            cpus[cpu_id] = times
    return ProcStat(cpus=cpus, **values)


def _parse_cpu_line(parts: list[str], line: str) -> tuple[int, CpuTimes]:
    try:
        cpu_id = int(parts[0][3:])
        ticks = [float(value) for value in parts[1:11]]
    except ValueError as exc:
        raise ValueError(f"/proc/stat: bad cpu line {line!r}") from exc
    if cpu_id < 0:
        raise ValueError(f"/proc/stat: bad cpu number in line {line!r}")
    return cpu_id, CpuTimes(*(tick / USER_HZ for tick in ticks))
