"""The agent's jobs: each configured exporter with its interval and run timeout.

Adding a kind of exporter to the agent means one line in :func:`build_jobs` (and its section
in :mod:`agent.config` and :mod:`agent.config_load`). The CLI and probe exporters are imported
only when configured (netmiko and TextFSM are heavy; an agent without them pays nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent.config import AgentConfig
from exporters.contract import Exporter
from exporters.host import HostExporter
from exporters.snmp.client import SnmpStack
from exporters.snmp.exporter import SnmpExporter
from exporters.target_labels import TargetLabels

if TYPE_CHECKING:
    from exporters.cli import CliPool

__all__ = ["Job", "build_jobs"]


@dataclass(frozen=True, slots=True)
class Job:
    """An exporter the scheduler runs every ``interval`` seconds, each run bounded by
    ``timeout`` (at most the interval)."""

    exporter: Exporter
    interval: float
    timeout: float

    def __post_init__(self) -> None:
        if not 0 < self.timeout <= self.interval:
            raise ValueError(f"job {self.exporter.name}: timeout {self.timeout} must be "
                             f"positive and at most the interval {self.interval}")

    @property
    def name(self) -> str:
        return self.exporter.name


def build_jobs(config: AgentConfig, stack: SnmpStack | None,
               cli_pool: CliPool | None = None) -> list[Job]:
    """The jobs ``config`` asks for; SNMP targets share ``stack``, CLI devices ``cli_pool``
    (each required when there are such jobs)."""
    jobs: list[Job] = []
    if config.host.enabled:
        jobs.append(Job(HostExporter(config.host.host), config.host.interval,
                        config.host.run_timeout))
    if config.snmp and stack is None:
        raise ValueError("SNMP targets are configured: pass the process's SnmpStack")
    for target in config.snmp:
        assert stack is not None
        # Every SNMP series carries instance=<target>, as Prometheus gives snmp_exporter's.
        exporter = TargetLabels(SnmpExporter(target.target_config(), target.snmp, stack),
                                {"instance": target.target})
        jobs.append(Job(exporter, target.interval, target.run_timeout))
    if config.cli is not None and config.cli.devices:
        from exporters.cli import CliExporter

        if cli_pool is None:
            raise ValueError("CLI devices are configured: pass the process's CliPool")
        for device in config.cli.devices:
            jobs.append(Job(CliExporter(device, cli_pool, state_dir=config.cli.state_dir),
                            device.interval, device.run_timeout))
    if config.probes.targets:
        from exporters.probe import ProbeExporter

        # Not wrapped in TargetLabels: each series names its own `target`.
        jobs.append(Job(ProbeExporter(config.probes), config.probes.interval,
                        config.probes.interval))
    return jobs
