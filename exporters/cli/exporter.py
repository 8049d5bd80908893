"""The CLI exporter: one device's show commands, parsed and mapped to metrics.

Each run is submitted to the process's :class:`~exporters.cli.pool.CliPool` (login, commands,
parsing: all blocking, all in the pool) and awaited; the event loop only merges the result
with the exporter's own series (:mod:`exporters.cli.self_metrics`).

Failures, and where they are told:

* the login fails (unreachable, ssh, auth, prompt, enable): :meth:`CliExporter.collect`
  raises :class:`~exporters.cli.errors.CliSessionError` carrying the own series, so the
  harness records ``netmon_exporter_success 0`` and writes the one log line (it names
  ``device=``);
* a command fails (timeout, invalid_command, session, skipped, parse): the other commands'
  families are returned as usual and the exporter writes one log line per failure;
* a run still busy when the next one is due (its thread outlived the harness's timeout) is
  not queued behind it: the new run fails at once with :class:`ExporterError`. A run that was
  still waiting in the pool's queue when the harness gave up is taken out of the queue.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from pathlib import Path

from prometheus_client import Metric

from exporters.cli.config import CliDeviceConfig
from exporters.cli.config_check import ConfigChangeTracker
from exporters.cli.errors import CliSessionError
from exporters.cli.pool import CliPool
from exporters.cli.run import DeviceRun, run_device
from exporters.cli.self_metrics import cli_families
from exporters.cli.session import Connector, netmiko_connect
from exporters.errors import ExporterError

__all__ = ["CliExporter"]

log = logging.getLogger(__name__)


class CliExporter:
    """One device over SSH; implements :class:`exporters.contract.Exporter`."""

    def __init__(self, device: CliDeviceConfig, pool: CliPool, *, state_dir: str = "",
                 connect: Connector = netmiko_connect,
                 tracker: ConfigChangeTracker | None = None) -> None:
        self.device = device
        self._pool = pool
        self._connect = connect
        if tracker is None and device.selected.config_check is not None:
            state = Path(state_dir) / f"{device.name}.config.json" if state_dir else None
            tracker = ConfigChangeTracker(device.name, state)
        self._tracker = tracker
        self._errors: dict[tuple[str, str], int] = {}
        self._inflight: Future[DeviceRun] | None = None

    @property
    def name(self) -> str:
        return self.device.exporter_name

    async def collect(self) -> list[Metric]:
        if self._inflight is not None and not self._inflight.done():
            raise ExporterError(f"device={self.device.name}: the previous run is still "
                                "running (it outlasted the run's timeout); this run is skipped")
        self._inflight = self._pool.submit(run_device, self.device, self._connect,
                                           self._tracker)
        run = await asyncio.wrap_future(self._inflight)
        self._count(run)
        families = run.families + cli_families(self.device.name, run, self._errors)
        error = run.session_error
        if error is not None and not run.connected:
            raise CliSessionError(error.kind, str(error), families)
        return families

    def _count(self, run: DeviceRun) -> None:
        """Add this run's failures to the counters; log those the harness will not."""
        if run.session_error is not None:
            self._add("", run.session_error.kind)
            if run.connected:  # a reconnect failed: the run goes on with what it has
                log.warning("cli session failed kind=%s %s", run.session_error.kind,
                            run.session_error)
        for result in run.commands:
            for error in result.errors:
                self._add(result.command, error.kind)
                log.warning("cli command failed kind=%s %s", error.kind, error)

    def _add(self, command: str, kind: str) -> None:
        self._errors[command, kind] = self._errors.get((command, kind), 0) + 1
