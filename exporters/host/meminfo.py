"""node_exporter's ``meminfo`` collector: one ``node_memory_<Field>[_bytes]`` gauge per line
of ``/proc/meminfo``.

Read here rather than through psutil: ``psutil.virtual_memory()`` and ``swap_memory()`` give a
dozen derived fields (``used``, ``active``...), not every line of the file under the kernel's
own names. The parser is node_exporter's ``parseMemInfo`` line for line: ``Active(anon)``
becomes ``Active_anon``, a value with a unit (always ``kB``) is multiplied by 1024 and gets
``_bytes``, a value without one (``HugePages_Total``) is a plain count.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from prometheus_client import Metric

from exporters.host.collector import counter, gauge

__all__ = ["MeminfoCollector", "meminfo_families", "parse_meminfo", "read_meminfo"]

_PARENS = re.compile(r"\((.*)\)")


class MeminfoCollector:
    """Every field of ``<procfs>/meminfo``."""

    name = "meminfo"

    def __init__(self, procfs: str) -> None:
        self._procfs = procfs

    def collect(self) -> list[Metric]:
        return meminfo_families(read_meminfo(self._procfs))


def read_meminfo(procfs: str) -> dict[str, float]:
    return parse_meminfo(Path(procfs, "meminfo").read_text(encoding="ascii"))


def parse_meminfo(text: str) -> dict[str, float]:
    """Map node_exporter's field names (``MemTotal_bytes``, ``HugePages_Total``) to values."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue  # some kernels print empty lines
        if len(parts) not in (2, 3):
            raise ValueError(f"invalid line in meminfo: {line!r}")
        try:
            value = float(parts[1])
        except ValueError as exc:
            raise ValueError(f"invalid value in meminfo: {line!r}") from exc
        key = _PARENS.sub(r"_\1", parts[0][:-1])  # drop the ':'; Active(anon) -> Active_anon
        if len(parts) == 3:  # has a unit, always kB
            value *= 1024
            key += "_bytes"
        out[key] = value
    return out


def meminfo_families(fields: Mapping[str, float]) -> list[Metric]:
    families = []
    for key in sorted(fields):
        name = f"node_memory_{key}"
        documentation = f"Memory information field {key}."
        # node_exporter types a field ending in _total as a counter (none does on Linux).
        family = counter(name, documentation) if key.endswith("_total") else gauge(
            name, documentation)
        family.add_sample(name, {}, fields[key])
        families.append(family)
    return families
