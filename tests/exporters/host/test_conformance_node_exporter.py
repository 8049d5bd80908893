"""netmon's host exporter against the real node_exporter 1.5, on this machine and on fixtures.

The peer is Debian's ``prometheus-node-exporter`` started on 127.0.0.1 with the collectors
netmon implements and flags equal to netmon's :class:`HostConfig` (:func:`flags_for`). Each
live test reads netmon, scrapes node_exporter, then reads netmon again, and requires (see
``conformance.compare``):

* every series netmon emits exists in node_exporter's output with the same name, the same
  label set, the same TYPE and the same HELP; node_exporter has no series of those families
  that netmon lacks;
* values agree exactly for fixed totals (``node_memory_MemTotal_bytes``,
  ``node_memory_SwapTotal_bytes``, ``node_filesystem_size_bytes``, ``node_filesystem_files``,
  ``node_filesystem_readonly``, ``node_uname_info`` and its labels) and
  ``node_boot_time_seconds`` within 1 s (the kernel recomputes btime from the clock);
* moving values lie between netmon's two readings, which bracket node_exporter's, widened by:

  - 0 for disk and network counters, context switches, forks, interrupts and load averages:
    node_exporter reads the same kernel counters between netmon's two readings, so they
    cannot fall outside; this catches any unit or field mistake, however small;
  - 0.02 s for ``node_cpu_*seconds_total``: two USER_HZ ticks, because the kernel's idle and
    iowait accounting can step back a tick between two readers;
  - 2 % of MemTotal for the other ``node_memory_*`` gauges, 1 % of the size (or inode count)
    for free/available space and free inodes: other processes allocate pages and write files
    while the test runs; still tight enough to catch kB-versus-bytes or a wrong field;
  - 1 s for ``node_time_seconds`` (a clock adjustment) and 64 for the instantaneous
    ``node_procs_running``/``node_procs_blocked``.

The last tests feed the comparison deliberately altered expositions, so it is known to fail
when a name, a label, a type, a help text or a value is wrong.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import pytest

from exporters.exposition import render
from exporters.host import HostConfig, HostExporter
from exporters.host.config import DEBIAN_MOUNT_POINTS_EXCLUDE, DEBIAN_NETDEV_DEVICE_EXCLUDE
from exporters.host.mounts import rootfs_file_path
from tests.exporters.host.conformance import LIVE_RULES, compare
from tests.exporters.host.conftest import (
    FIXTURE_COLLECTORS,
    FIXTURE_PROC,
    GOLDEN,
    MISSING_ROOTFS,
    fixture_collectors,
)
from tests.peers.exposition import Exposition, SeriesKey, parse
from tests.peers.node_exporter import (
    NodeExporter,
    flags_for,
    node_exporter,
    node_exporter_path,
)

# node_exporter's own series, not part of what is compared.
_PEER_OWN = ("go_", "process_", "promhttp_", "node_scrape_", "node_exporter_build_info")


def without_peer_own(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True)
                   if not line.startswith(_PEER_OWN)
                   and not line.startswith(tuple(f"# {k} {p}" for k in ("HELP", "TYPE")
                                                 for p in _PEER_OWN)))


def make_rootfs(rootfs: Path) -> Path:
    """Every mount point of the fixture table but the NFS one, under ``rootfs``: statfs succeeds
    for them (on the test machine's filesystem) and fails for it, in both exporters."""
    for mount_point in ("/", "/run", "/boot", "/var/lib/postgresql", "/srv/Phường Hàng Bạc",
                        "/srv/tab\tdir", "/srv/back\\134slash", "/srv/new\\012line",
                        "/srv/archive"):
        Path(rootfs_file_path(str(rootfs), mount_point)).mkdir(parents=True, exist_ok=True)
    return rootfs


async def bracketed(exporter: HostExporter,
                    peer: NodeExporter) -> tuple[Exposition, Exposition, Exposition]:
    """netmon, then node_exporter, then netmon again."""
    before = parse(render(await exporter.collect()))
    node = parse(await asyncio.to_thread(peer.scrape))
    after = parse(render(await exporter.collect()))
    return before, node, after


@pytest.mark.peers
async def test_every_series_matches_node_exporter_on_this_machine() -> None:
    config = HostConfig()
    exporter = HostExporter(config)
    with node_exporter(flags_for(config)) as peer:
        before, node, after = await bracketed(exporter, peer)

    assert compare(before, node, after, LIVE_RULES) == []
    assert set(before.series("netmon_host_collector_success").values()) == {1.0}
    for name in ("node_memory_MemTotal_bytes", "node_memory_SwapTotal_bytes"):
        assert before.values[(name, frozenset())] == node.values[(name, frozenset())]
    for name in ("node_filesystem_size_bytes", "node_filesystem_files"):
        assert before.series(name)
        assert before.series(name) == node.series(name)
    assert before.series("node_uname_info") == node.series("node_uname_info")
    boot: SeriesKey = ("node_boot_time_seconds", frozenset())
    assert abs(before.values[boot] - node.values[boot]) <= 1.0
    for family in ("node_cpu_seconds_total", "node_network_receive_bytes_total",
                   "node_disk_reads_completed_total", "node_load1"):
        assert before.series(family), f"{family} has no series on this machine"


@pytest.mark.peers
async def test_fixture_tree_with_a_live_rootfs_matches_node_exporter(
        tmp_path: Path, psutil_fixture_proc: Path) -> None:
    config = HostConfig(procfs=FIXTURE_PROC, rootfs=make_rootfs(tmp_path / "root"))
    (tmp_path / "sys").mkdir()
    exporter = HostExporter(config, collectors=fixture_collectors(config))
    args = [*flags_for(config), f"--path.sysfs={tmp_path / 'sys'}", "--no-collector.netdev.netlink"]
    with node_exporter(args, collectors=FIXTURE_COLLECTORS) as peer:
        before, node, after = await bracketed(exporter, peer)

    assert compare(before, node, after, LIVE_RULES) == []
    assert len(before.series("node_filesystem_size_bytes")) == 9
    device_errors = before.series("node_filesystem_device_error")
    errors = {dict(labels)["mountpoint"] for labels, value in device_errors.items() if value}
    assert errors == {"/mnt/backup"}


@pytest.mark.peers
def test_golden_file_is_what_node_exporter_prints(tmp_path: Path) -> None:
    config = HostConfig(procfs=FIXTURE_PROC, rootfs=MISSING_ROOTFS)
    args = [*flags_for(config), f"--path.sysfs={tmp_path}", "--no-collector.netdev.netlink"]
    with node_exporter(args, collectors=FIXTURE_COLLECTORS) as peer:
        printed = parse(without_peer_own(peer.scrape()))
    golden = parse(GOLDEN.read_text(encoding="utf-8"))
    assert (printed.values, printed.types, printed.helps) == (
        golden.values, golden.types, golden.helps)


@pytest.mark.peers
async def test_promtool_finds_nothing_in_netmon_that_it_does_not_find_in_node_exporter() -> None:
    from tests.peers.promtool import check_metrics

    config = HostConfig()
    with node_exporter(flags_for(config)) as peer:
        ours = check_metrics(render(await HostExporter(config).collect()))
        theirs = check_metrics(without_peer_own(await asyncio.to_thread(peer.scrape)).encode())
    assert ours.returncode in (0, 3), ours.output
    assert set(ours.output.splitlines()) <= set(theirs.output.splitlines())


@pytest.mark.peers
def test_config_defaults_are_the_installed_node_exporters_or_named_debian_patches() -> None:
    """Upstream 1.5.0's defaults are HostConfig's; Debian's build differs in two, named."""
    help_text = subprocess.run([node_exporter_path(), "--help"], capture_output=True,
                               text=True, timeout=30, check=False).stdout

    def default(flag: str) -> str:
        """The flag's default as --help shows it; "" when it has none."""
        match = re.search(rf'--{re.escape(flag)}="((?:[^"\\]|\\.)*)"', help_text)
        return "" if match is None else match.group(1).replace("\\\\", "\\")

    assert "--collector.filesystem.fs-types-exclude" in help_text
    config = HostConfig()
    assert default("collector.filesystem.fs-types-exclude") == config.fs_types_exclude
    assert default("collector.diskstats.device-exclude") == config.diskstats_device_exclude
    assert default("collector.filesystem.mount-points-exclude") in (
        config.mount_points_exclude, DEBIAN_MOUNT_POINTS_EXCLUDE)
    assert default("collector.netdev.device-exclude") in ("", DEBIAN_NETDEV_DEVICE_EXCLUDE)


# --- the comparison itself can fail ---------------------------------------------------------

def golden_pair(old: str, new: str) -> tuple[Exposition, Exposition]:
    """(netmon, node_exporter) where node_exporter's text has ``old`` replaced by ``new``."""
    text = GOLDEN.read_text(encoding="utf-8")
    assert old in text
    return parse(text), parse(text.replace(old, new))


def test_identical_expositions_compare_clean() -> None:
    ours, node = golden_pair("", "")
    assert compare(ours, node) == []
    assert compare(ours, node, ours, LIVE_RULES) == []


@pytest.mark.parametrize(("old", "new", "complaint"), [
    ("node_memory_MemTotal_bytes", "node_memory_MemTotal",
     "node_memory_MemTotal_bytes: family not in node_exporter's output"),
    ('cpu="1",mode="idle"', 'cpu="1",mode="idle_time"',
     'node_cpu_seconds_total{cpu="1",mode="idle"}: no such series'),
    ('{device="sda"}', '{disk="sda"}', 'node_disk_io_time_seconds_total{device="sda"}: no such'),
    ("# TYPE node_load1 gauge", "# TYPE node_load1 counter",
     "node_load1: TYPE gauge but node_exporter says counter"),
    ("# HELP node_load5 5m load average.", "# HELP node_load5 Load, 5 minutes.",
     "node_load5: HELP '5m load average.' but node_exporter says 'Load, 5 minutes.'"),
    ("node_load1 3.52", "node_load1 3.53", "node_load1{}: node_exporter 3.53, netmon 3.52"),
    ('node_memory_MemTotal_bytes 2.70174253056e+11', 'node_memory_MemTotal_bytes 2.70174254080e+11',
     "node_memory_MemTotal_bytes{}: node_exporter 270174254080.0, netmon 270174253056.0"),
    ('node_network_receive_drop_total{device="lo"} 0\n',
     'node_network_receive_drop_total{device="lo"} 0\n'
     'node_network_receive_drop_total{device="eth9"} 0\n',
     'node_network_receive_drop_total{device="eth9"}: node_exporter has it, netmon does not'),
])
def test_comparison_fails_on_a_wrong_name_label_type_help_or_value(
        old: str, new: str, complaint: str) -> None:
    ours, node = golden_pair(old, new)
    problems = compare(ours, node)
    assert any(complaint in p for p in problems), problems
    if "TYPE" not in complaint and "HELP" not in complaint:  # live rules: exact or bracketed
        series = complaint.split(":", maxsplit=1)[0]
        assert any(series in p for p in compare(ours, node, ours, LIVE_RULES))


def test_live_rules_still_catch_a_counter_outside_the_bracket() -> None:
    series = 'node_cpu_seconds_total{cpu="0",mode="user"} 36123.45'
    ours, node = golden_pair(series, series.replace("36123.45", "36123.5"))
    assert compare(ours, node, ours, LIVE_RULES) != []  # 0.05 s > 2 ticks
    ours, node = golden_pair(series, series.replace("36123.45", "36123.46"))
    assert compare(ours, node, ours, LIVE_RULES) == []  # one tick: allowed
    drop = 'node_network_receive_drop_total{device="bond0"} 1234'
    ours, node = golden_pair(drop, drop.replace("1234", "1235"))
    assert compare(ours, node, ours, LIVE_RULES) != []  # counters: no slack at all
