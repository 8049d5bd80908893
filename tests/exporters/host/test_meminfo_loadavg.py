"""``/proc/meminfo`` and ``/proc/loadavg``."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporters.exposition import render
from exporters.host.loadavg import LoadavgCollector, loadavg_families, parse_loadavg
from exporters.host.meminfo import MeminfoCollector, meminfo_families, parse_meminfo
from tests.exporters.host.conftest import FIXTURE_PROC
from tests.peers.exposition import parse

MEMINFO = """\
MemTotal:       263842044 kB
MemAvailable:   187654320 kB
Active(anon):   45678901 kB
Inactive(file): 133333323 kB

HugePages_Total:    1024
HugePages_Free:      512
Hugepagesize:       2048 kB
"""


def test_parse_meminfo_uses_node_exporter_field_names() -> None:
    assert parse_meminfo(MEMINFO) == {
        "MemTotal_bytes": 263842044 * 1024.0,
        "MemAvailable_bytes": 187654320 * 1024.0,
        "Active_anon_bytes": 45678901 * 1024.0,  # Active(anon)
        "Inactive_file_bytes": 133333323 * 1024.0,
        "HugePages_Total": 1024.0,  # a count: no unit, no _bytes
        "HugePages_Free": 512.0,
        "Hugepagesize_bytes": 2048 * 1024.0,
    }


@pytest.mark.parametrize("line", ["MemTotal: 12 kB extra", "MemTotal: lots kB", "MemTotal:"])
def test_parse_meminfo_rejects_malformed_lines(line: str) -> None:
    with pytest.raises(ValueError, match="meminfo"):
        parse_meminfo(line + "\n")


def test_meminfo_families_are_gauges_with_node_exporter_help() -> None:
    exp = parse(render(meminfo_families(parse_meminfo(MEMINFO))))
    assert exp.values[("node_memory_Active_anon_bytes", frozenset())] == 46775194624
    assert exp.values[("node_memory_HugePages_Total", frozenset())] == 1024
    assert set(exp.types.values()) == {"gauge"}
    assert exp.helps["node_memory_MemAvailable_bytes"] == (
        "Memory information field MemAvailable_bytes.")


def test_meminfo_field_ending_in_total_is_a_counter_as_in_node_exporter() -> None:
    exp = parse(render(meminfo_families({"Swapins_total": 7.0})))
    assert exp.types == {"node_memory_Swapins_total": "counter"}


def test_meminfo_collector_reads_the_procfs_it_is_given(tmp_path: Path) -> None:
    exp = parse(render(MeminfoCollector(str(FIXTURE_PROC)).collect()))
    assert exp.values[("node_memory_SwapTotal_bytes", frozenset())] == 8388604 * 1024
    with pytest.raises(FileNotFoundError):
        MeminfoCollector(str(tmp_path)).collect()


def test_parse_loadavg_keeps_the_kernels_two_decimals() -> None:
    # glibc's getloadavg() (what psutil calls) would say 0.2236328125 for 0.22.
    assert parse_loadavg("0.22 0.19 0.12 1/84 12451\n") == (0.22, 0.19, 0.12)
    with pytest.raises(ValueError, match="loadavg"):
        parse_loadavg("0.22 0.19\n")
    with pytest.raises(ValueError, match="loadavg"):
        parse_loadavg("high 0.19 0.12\n")


def test_loadavg_families() -> None:
    exp = parse(render(LoadavgCollector(str(FIXTURE_PROC)).collect()))
    assert exp.values == {("node_load1", frozenset()): 3.52, ("node_load5", frozenset()): 2.87,
                          ("node_load15", frozenset()): 2.19}
    assert exp.helps["node_load5"] == "5m load average."
    assert parse(render(loadavg_families((1.0, 2.0, 3.0)))).types["node_load15"] == "gauge"
