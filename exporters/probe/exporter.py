"""The probe exporter: every configured target probed concurrently, once per run.

Each :meth:`ProbeExporter.collect` probes all targets at the same time (one task, one socket
per target; see :mod:`exporters.probe.run`) and returns families for that run plus the
counters kept since the exporter was created (:mod:`exporters.probe.state`). It takes about
``config.run_seconds``: the agent calls it once per ``config.interval`` and never twice at
once (a lock makes sure of it anyway, so counters and sequence numbers stay consistent).

A target's trouble never raises: a name that does not resolve, no ICMP permission and no
port to fall back on, a dead path, all are metrics (``probe_success 0``,
``netmon_probe_errors_total{reason}``, ``netmon_probe_method{method="none"}``). The log says
when something *changes*, once: a target's method (with why ICMP was not used), a target
that stops or starts answering. Every run is logged at debug level.

The edges are injectable for tests: ``opener`` (how ICMP sockets are opened) and
``resolver`` (how addresses are found).
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import Metric

from exporters.probe.config import ProbeConfig, ProbeTarget
from exporters.probe.families import probe_families
from exporters.probe.resolve import Resolver, resolve
from exporters.probe.run import IcmpOpener, TargetRun, probe_target
from exporters.probe.sockets import open_icmp_socket
from exporters.probe.state import TargetState

__all__ = ["ProbeExporter"]

log = logging.getLogger(__name__)


class ProbeExporter:
    """ICMP/TCP path probes; implements :class:`exporters.contract.Exporter`."""

    def __init__(self, config: ProbeConfig, *, opener: IcmpOpener = open_icmp_socket,
                 resolver: Resolver = resolve) -> None:
        self._config = config
        self._opener = opener
        self._resolver = resolver
        self._states = {target.name: TargetState() for target in config.targets}
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return self._config.name

    @property
    def config(self) -> ProbeConfig:
        return self._config

    async def collect(self) -> list[Metric]:
        async with self._lock:
            runs = await asyncio.gather(*(self._probe(t) for t in self._config.targets))
        return probe_families(runs, self._states)

    async def _probe(self, target: ProbeTarget) -> TargetRun:
        state = self._states[target.name]
        first_seq = state.take_sequences(self._config.count)
        run = await probe_target(target, self._config, first_seq, opener=self._opener,
                                 resolver=self._resolver)
        _log_changes(run, state)
        state.record(run)
        state.last_method, state.last_success = run.method, run.success
        return run


def _log_changes(run: TargetRun, state: TargetState) -> None:
    target = run.target.name
    packets = run.packets
    log.debug("probe run target=%s method=%s socket=%s ip=%s sent=%d received=%d loss=%.3f "
              "median=%s jitter=%s late=%d duplicates=%d errors=%s duration=%.3fs", target,
              run.method, run.socket or "-", run.ip or "-", packets.sent, packets.received,
              packets.loss_ratio, _seconds(packets.median), _seconds(packets.jitter),
              packets.late, packets.duplicates, dict(packets.errors) or "-",
              run.duration_seconds)
    if run.method != state.last_method:
        if run.method == "none":
            log.warning("probe cannot probe target=%s address=%s method=%s reason=%s", target,
                        run.target.address, run.target.method, run.note)
        elif run.note:
            log.warning("probe method target=%s ip=%s method=%s socket=%s reason=%s", target,
                        run.ip, run.method, run.socket, run.note)
        else:
            log.info("probe method target=%s ip=%s method=%s socket=%s", target, run.ip,
                     run.method, run.socket)
    if run.method != "none" and run.success != state.last_success:
        if not run.success:
            log.warning("probe target not answering target=%s ip=%s method=%s sent=%d "
                        "errors=%s", target, run.ip, run.method, packets.sent,
                        dict(packets.errors) or "-")
        elif state.last_success is not None:
            log.info("probe target answering again target=%s ip=%s method=%s loss=%.3f",
                     target, run.ip, run.method, packets.loss_ratio)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.6f}s"
