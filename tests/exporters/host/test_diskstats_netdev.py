"""Disk and network counters (psutil), with node_exporter's device filters."""

from __future__ import annotations

from pathlib import Path

from exporters.exposition import render
from exporters.host import HostConfig
from exporters.host.collector import DeviceFilter
from exporters.host.config import DEBIAN_NETDEV_DEVICE_EXCLUDE
from exporters.host.diskstats import (
    DiskCounters,
    DiskstatsCollector,
    diskstats_families,
    read_disk_counters,
)
from exporters.host.netdev import NetCounters, NetdevCollector, netdev_families, read_net_counters
from tests.peers.exposition import parse

DISK = DiskCounters(reads_completed=41987, reads_merged=9498, read_bytes=2368723 * 512,
                    read_time_ms=13057, writes_completed=7821, writes_merged=11722,
                    written_bytes=1654688 * 512, write_time_ms=11261, io_time_ms=7372)
NIC = NetCounters(receive_bytes=136802939, receive_packets=3028, receive_errs=1, receive_drop=2,
                  transmit_bytes=157949, transmit_packets=1767, transmit_errs=3,
                  transmit_drop=4)


def default_disk_filter() -> DeviceFilter:
    config = HostConfig()
    return DeviceFilter.from_patterns(config.diskstats_device_exclude,
                                      config.diskstats_device_include)


def test_default_disk_filter_drops_partitions_loop_and_ram_devices() -> None:
    names = ["sda", "sda1", "sda15", "nvme0n1", "nvme0n1p1", "nvme10n2p3", "vda", "vda1", "xvda",
             "xvda1", "hdb2", "loop0", "ram0", "fd0", "dm-0", "md0", "sr0", "zram0", "nbd0"]
    disks = dict.fromkeys(names, DISK)
    exp = parse(render(diskstats_families(disks, default_disk_filter())))
    kept = sorted(dict(k)["device"] for k in exp.series("node_disk_reads_completed_total"))
    assert kept == ["dm-0", "md0", "nbd0", "nvme0n1", "sda", "sr0", "vda", "xvda", "zram0"]


def test_disk_values_are_converted_as_node_exporter_converts_them() -> None:
    exp = parse(render(diskstats_families({"vda": DISK}, DeviceFilter())))
    vda = frozenset({("device", "vda")})
    assert {name: exp.values[(name, vda)] for name in exp.names()} == {
        "node_disk_reads_completed_total": 41987,
        "node_disk_reads_merged_total": 9498,
        "node_disk_read_bytes_total": 1212786176,
        "node_disk_read_time_seconds_total": 13.057,
        "node_disk_writes_completed_total": 7821,
        "node_disk_writes_merged_total": 11722,
        "node_disk_written_bytes_total": 847200256,
        "node_disk_write_time_seconds_total": 11.261000000000001,  # 11261 * 0.001, as Go
        "node_disk_io_time_seconds_total": 7.372,
    }
    assert set(exp.types.values()) == {"counter"}
    assert exp.helps["node_disk_io_time_seconds_total"] == "Total seconds spent doing I/Os."
    assert b"node_disk_write_time_seconds_total{device=\"vda\"} 11.261000000000001\n" in render(
        diskstats_families({"vda": DISK}, DeviceFilter()))


def test_read_disk_counters_through_psutil(psutil_fixture_proc: Path) -> None:
    disks = read_disk_counters()
    assert disks["sda"] == DiskCounters(
        reads_completed=9876543, reads_merged=123456, read_bytes=1975308642 * 512,
        read_time_ms=4567890, writes_completed=8765432, writes_merged=2345678,
        written_bytes=3456789012 * 512, write_time_ms=12345678, io_time_ms=7654321)
    assert "sda1" in disks  # the filter, not psutil, drops partitions
    exp = parse(render(DiskstatsCollector(default_disk_filter()).collect()))
    assert ("node_disk_read_bytes_total", frozenset({("device", "sda1")})) not in exp.values


def test_netdev_families_and_filters() -> None:
    nics = {"lo": NIC, "eth0": NIC, "bond0": NIC}
    exp = parse(render(netdev_families(nics, DeviceFilter())))
    assert exp.values[("node_network_receive_bytes_total",
                       frozenset({("device", "eth0")}))] == 136802939
    assert exp.values[("node_network_transmit_drop_total", frozenset({("device", "lo")}))] == 4
    assert sorted(exp.names()) == [
        f"node_network_{d}_{s}_total" for d in ("receive", "transmit")
        for s in ("bytes", "drop", "errs", "packets")]
    assert exp.helps["node_network_receive_errs_total"] == "Network device statistic receive_errs."
    debian = DeviceFilter.from_patterns(DEBIAN_NETDEV_DEVICE_EXCLUDE, None)
    kept = parse(render(netdev_families(nics, debian))).series("node_network_receive_bytes_total")
    assert sorted(dict(k)["device"] for k in kept) == ["bond0", "eth0"]
    only = DeviceFilter.from_patterns(None, "^bond")
    kept = parse(render(netdev_families(nics, only))).series("node_network_receive_bytes_total")
    assert [dict(k)["device"] for k in kept] == ["bond0"]


def test_read_net_counters_through_psutil(psutil_fixture_proc: Path) -> None:
    nics = read_net_counters()
    assert nics["ens1f0"] == NetCounters(
        receive_bytes=98765432109876, receive_packets=76543210987, receive_errs=3,
        receive_drop=1234, transmit_bytes=12345678901234, transmit_packets=9876543210,
        transmit_errs=0, transmit_drop=17)
    exp = parse(render(NetdevCollector(DeviceFilter()).collect()))
    assert len(exp.series("node_network_receive_bytes_total")) == 6


def test_a_device_name_that_is_not_utf8_still_renders() -> None:
    # psutil decodes /proc with surrogateescape; the label must still be valid UTF-8.
    exp = parse(render(netdev_families({"eth\udcff": NIC}, DeviceFilter())))
    assert ("node_network_receive_bytes_total",
            frozenset({("device", "eth\ufffd")})) in exp.values
