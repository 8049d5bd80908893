"""node_exporter's ``loadavg`` collector: ``node_load1``, ``node_load5``, ``node_load15``.

Read from ``/proc/loadavg`` rather than with ``psutil.getloadavg()``: psutil calls glibc's
``getloadavg()``, which since glibc 2.33 asks sysinfo(2) and returns the kernel's fixed-point
value (``0.2236328125``), while node_exporter parses the two decimals the kernel prints in
``/proc/loadavg`` (``0.22``). Measured side by side on Debian 12; the text is what
node_exporter reports, so the text is what is read.
"""

from __future__ import annotations

from pathlib import Path

from prometheus_client import Metric

from exporters.host.collector import gauge

__all__ = ["LoadavgCollector", "loadavg_families", "parse_loadavg", "read_loadavg"]


class LoadavgCollector:
    """The 1, 5 and 15 minute load averages."""

    name = "loadavg"

    def __init__(self, procfs: str) -> None:
        self._procfs = procfs

    def collect(self) -> list[Metric]:
        return loadavg_families(read_loadavg(self._procfs))


def read_loadavg(procfs: str) -> tuple[float, float, float]:
    return parse_loadavg(Path(procfs, "loadavg").read_text(encoding="ascii"))


def parse_loadavg(text: str) -> tuple[float, float, float]:
    parts = text.split()
    if len(parts) < 3:
        raise ValueError(f"unexpected content in loadavg: {text!r}")
    try:
        return float(parts[0]), float(parts[1]), float(parts[2])
    except ValueError as exc:
        raise ValueError(f"could not parse loadavg: {text!r}") from exc


def loadavg_families(loads: tuple[float, float, float]) -> list[Metric]:
    families = []
    for minutes, value in zip((1, 5, 15), loads, strict=True):
        family = gauge(f"node_load{minutes}", f"{minutes}m load average.")
        family.add_sample(family.name, {}, value)
        families.append(family)
    return families
