"""One polled device: its exporter (netmon's SNMP exporter with the device's lookup cache;
:mod:`collector.polling.commit` labels every series ``instance=<address>``, as an agent labels
its router's), and what its polls did, for ``/metrics``."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from collector.inventory import Device
from collector.polling.config import SnmpSettings
from collector.polling.scrape import CachedScrape
from exporters.errors import ConfigError
from exporters.harness import ExporterRun
from exporters.snmp.client import Limits, SnmpStack
from exporters.snmp.config import SnmpConfig
from exporters.snmp.exporter import SnmpExporter, SnmpTargetConfig

__all__ = ["PollSummary", "PolledTarget", "TargetStats", "build_target", "check_devices"]

#: The SNMP deadline ends this much before the poll's timeout, so the exporter reports its
#: own ``kind="deadline"`` error metrics (as the agent does, from snmp_exporter's offset).
_DEADLINE_OFFSET: Final = 0.5


@dataclass(frozen=True, slots=True)
class PollSummary:
    """What one poll did, read from the families it produced."""

    success: bool               # every module answered
    duration: float
    pdus: int                   # values the device returned (snmp_scrape_pdus_returned)
    packets: int                # requests sent, retries included
    errors: tuple[str, ...]     # error kinds (timeout, transport, protocol, deadline...)

    @classmethod
    def of(cls, run: ExporterRun) -> PollSummary:
        pdus = packets = 0
        kinds: list[str] = []
        for family in run.families:
            if family.name == "snmp_scrape_pdus_returned":
                pdus += int(sum(s.value for s in family.samples))
            elif family.name == "snmp_scrape_packets_sent":
                packets += int(sum(s.value for s in family.samples))
            elif family.name == "netmon_snmp_module_error":
                kinds.extend(s.labels.get("kind", "other") for s in family.samples)
        if not run.success and not kinds:
            kinds.append("deadline" if run.error.startswith("timed out") else "other")
        return cls(run.success and not kinds, run.duration_seconds, pdus, packets,
                   tuple(kinds))


@dataclass(slots=True)
class TargetStats:
    up: bool = False
    duration: float = 0.0
    delay: float = 0.0                          # last poll's start after its tick
    pdus: int = 0
    packets: int = 0
    last_success: float | None = None          # wall clock
    polls: Counter[str] = field(default_factory=Counter)     # success, failure
    errors: Counter[str] = field(default_factory=Counter)    # by kind
    skipped: int = 0

    def record(self, summary: PollSummary, wall: float) -> None:
        self.up = summary.success
        self.duration, self.pdus, self.packets = summary.duration, summary.pdus, summary.packets
        self.polls["success" if summary.success else "failure"] += 1
        self.errors.update(summary.errors)
        if summary.success:
            self.last_success = wall


@dataclass(slots=True)
class PolledTarget:
    device: Device
    modules: SnmpConfig             # the module files it was built from
    settings: SnmpSettings
    exporter: SnmpExporter
    scrape: CachedScrape
    stats: TargetStats = field(default_factory=TargetStats)
    #: report numbers of its polls, contiguous (the store keeps them as ranges), from the
    #: wall clock in ms as a fresh agent's spool starts, so a restart continues above them
    seq: int = field(default_factory=lambda: int(time.time() * 1000))

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    @property
    def name(self) -> str:
        return self.device.name

    @property
    def labels(self) -> dict[str, str]:
        """Added to every series of the device (unless a series has the label already)."""
        return {"instance": self.device.address}

    def current(self, device: Device, modules: SnmpConfig, settings: SnmpSettings) -> bool:
        """Built from these? (Otherwise it is rebuilt, its cache and counters dropped.)"""
        return (self.device == device and self.modules is modules
                and self.settings.lookup_cache == settings.lookup_cache
                and self.settings.jitter == settings.jitter
                and self.settings.parallel_walks == settings.parallel_walks
                and self.settings.max_varbinds == settings.max_varbinds)


def build_target(device: Device, modules: SnmpConfig, settings: SnmpSettings,
                 stack: SnmpStack) -> PolledTarget:
    """The device's target; raises ConfigError naming the device (unknown module or auth)."""
    view = modules
    if device.retries is not None:
        retried = {
            name: dataclasses.replace(m, walk_params=dataclasses.replace(
                m.walk_params, retries=device.retries))
            for name, m in modules.modules.items() if name in device.modules}
        view = dataclasses.replace(modules, modules={**modules.modules, **retried})
    timeout = device.poll_timeout
    config = SnmpTargetConfig(device.address, device.modules, device.auth,
                              name=f"snmp:{device.name}",
                              timeout=max(timeout - _DEADLINE_OFFSET, timeout / 2),
                              limits=Limits(max_varbinds=settings.max_varbinds))
    scrape = CachedScrape(device.name, settings.lookup_cache,
                          parallel=settings.parallel_walks)
    try:
        exporter = SnmpExporter(config, view, stack, scrape)
    except ConfigError as exc:
        raise ConfigError(f"device {device.name}: {exc}") from None
    return PolledTarget(device, modules, settings, exporter, scrape)


def check_devices(devices: Iterable[Device], modules: SnmpConfig,
                  settings: SnmpSettings) -> list[str]:
    """What is wrong with each device that would keep it from being polled (empty: none).
    Builds the targets and opens no socket."""
    stack = SnmpStack()
    problems = []
    for device in devices:
        try:
            build_target(device, modules, settings, stack)
        except ConfigError as exc:
            problems.append(str(exc))
    return problems
