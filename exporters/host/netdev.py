"""node_exporter's ``netdev`` collector: ``node_network_{receive,transmit}_*_total{device}``.

psutil's ``net_io_counters(pernic=True, nowrap=False)`` reads ``/proc/net/dev`` of the agent's
network namespace. node_exporter 1.5 asks netlink for the same kernel counters and, unless
``--collector.netdev.enable-detailed-metrics`` is set, folds them into ``/proc/net/dev``'s
columns (``receive_drop`` = rx_dropped + rx_missed_errors, as the kernel prints it), so the
values are equal. ``nowrap=False`` keeps psutil's wrap-around correction out of the numbers.

Not reported, because psutil does not read them: the fifo, frame, compressed, multicast,
collisions, carrier and nohandler counters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import psutil
from prometheus_client import Metric

from exporters.host.collector import DeviceFilter, counter, label_text

__all__ = ["NetCounters", "NetdevCollector", "netdev_families", "read_net_counters"]


@dataclass(frozen=True, slots=True)
class NetCounters:
    """One network device's counters, named after node_exporter's statistics."""

    receive_bytes: int
    receive_packets: int
    receive_errs: int
    receive_drop: int
    transmit_bytes: int
    transmit_packets: int
    transmit_errs: int
    transmit_drop: int


NetSource = Callable[[], Mapping[str, NetCounters]]

_STATISTICS = ("receive_bytes", "receive_drop", "receive_errs", "receive_packets",
               "transmit_bytes", "transmit_drop", "transmit_errs", "transmit_packets")


def read_net_counters() -> dict[str, NetCounters]:
    nics = psutil.net_io_counters(pernic=True, nowrap=False)
    return {
        name: NetCounters(
            receive_bytes=io.bytes_recv, receive_packets=io.packets_recv,
            receive_errs=io.errin, receive_drop=io.dropin,
            transmit_bytes=io.bytes_sent, transmit_packets=io.packets_sent,
            transmit_errs=io.errout, transmit_drop=io.dropout)
        for name, io in nics.items()
    }


class NetdevCollector:
    """Traffic, error and drop counters of every network device the filter lets through."""

    name = "netdev"

    def __init__(self, devices: DeviceFilter, read: NetSource = read_net_counters) -> None:
        self._devices = devices
        self._read = read

    def collect(self) -> list[Metric]:
        return netdev_families(self._read(), self._devices)


def netdev_families(nics: Mapping[str, NetCounters], devices: DeviceFilter) -> list[Metric]:
    families = {
        stat: counter(f"node_network_{stat}_total", f"Network device statistic {stat}.")
        for stat in _STATISTICS
    }
    for device in sorted(nics):
        if devices.ignored(device):
            continue
        counters = nics[device]
        labels = {"device": label_text(device)}
        for stat, family in families.items():
            family.add_sample(family.name, labels, float(getattr(counters, stat)))
    return list(families.values())
