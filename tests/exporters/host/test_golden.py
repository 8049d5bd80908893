"""netmon on the fixture ``/proc`` tree prints what node_exporter 1.5.0 printed for it.

The golden file is the real node_exporter's output (see ``fixtures/README.md``), so this is a
conformance test that needs no peer: names, label sets, TYPE, HELP and every value exactly,
in both directions for the families netmon emits.
"""

from __future__ import annotations

from pathlib import Path

from exporters.exposition import render
from exporters.host import HostConfig, HostExporter
from tests.exporters.host.conformance import compare
from tests.exporters.host.conftest import FIXTURE_COLLECTORS, GOLDEN, fixture_collectors
from tests.peers.exposition import Exposition, parse


async def fixture_exposition(config: HostConfig) -> Exposition:
    families = await HostExporter(config, collectors=fixture_collectors(config)).collect()
    return parse(render(families))


async def test_fixture_tree_matches_node_exporter_golden(
        fixture_config: HostConfig, psutil_fixture_proc: Path) -> None:
    ours = await fixture_exposition(fixture_config)
    golden = parse(GOLDEN.read_text(encoding="utf-8"))

    assert compare(ours, golden) == []
    emitted = {name for name in ours.names() if name.startswith("node_")}
    assert {"node_cpu_seconds_total", "node_memory_Active_anon_bytes",
            "node_memory_HugePages_Total", "node_filesystem_device_error",
            "node_disk_io_time_seconds_total", "node_network_receive_drop_total",
            "node_boot_time_seconds", "node_load15"} <= emitted
    assert all(ours.values[("netmon_host_collector_success", frozenset({("collector", c)}))] == 1
               for c in FIXTURE_COLLECTORS)


async def test_golden_covers_every_family_netmon_emits_from_the_tree(
        fixture_config: HostConfig, psutil_fixture_proc: Path) -> None:
    ours = await fixture_exposition(fixture_config)
    golden = parse(GOLDEN.read_text(encoding="utf-8"))
    missing = {n for n in ours.names() if n.startswith("node_")} - golden.names()
    assert missing == set()
