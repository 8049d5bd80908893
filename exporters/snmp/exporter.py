"""The SNMP exporter: one target, one auth, one or more modules.

Its output for a target is what snmp_exporter's ``/snmp?target=&module=&auth=`` gives: the
device's series, then per module ``snmp_scrape_walk_duration_seconds``,
``snmp_scrape_packets_sent``, ``snmp_scrape_packets_retried``,
``snmp_scrape_pdus_returned`` and ``snmp_scrape_duration_seconds`` with a ``module`` label
(snmp_exporter >= 0.24's names). netmon adds, per module, ``netmon_snmp_module_success``
and, when it failed, ``netmon_snmp_module_error{kind}`` (kind: timeout, transport, protocol,
error_status, limit, deadline) and ``netmon_snmp_unparsable_values``.

A module that fails costs only its own series: the others are still reported. When every
module fails the exporter raises :class:`~exporters.errors.SnmpError` carrying the failure
metrics, so the harness records ``netmon_exporter_success 0`` and one log line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client import Metric

from exporters.errors import (
    ConfigError,
    SnmpError,
    SnmpErrorStatus,
    SnmpLimitExceeded,
    SnmpProtocolError,
    SnmpTimeout,
    SnmpTransportError,
)
from exporters.snmp.client import Limits, SnmpSession, SnmpStack, Target
from exporters.snmp.config import Auth, Module, SnmpConfig
from exporters.snmp.mapping import CompiledModule, MappingReport, map_pdus, pdus_by_oid
from exporters.snmp.scrape import ScrapeResult, scrape_module

log = logging.getLogger(__name__)

DEFAULT_AUTH = "public_v2"
#: A module's values are mapped in a worker thread past this many (a 10,000-port switch's
#: if_mib is 120,000 values, 1-2 s of mapping): the event loop that polls other devices and
#: takes agents' pushes keeps running (Python switches threads every 5 ms). Fewer are mapped
#: in place: a thread hop costs more than mapping a router's thousand values.
OFFLOAD_VALUES = 20_000

#: How a module is read from a session: :func:`~exporters.snmp.scrape.scrape_module`, or the
#: caller's own (the collector's poller keeps rarely-changing lookup columns between polls).
Scrape = Callable[[SnmpSession, Module], Awaitable[ScrapeResult]]


@dataclass(frozen=True, slots=True)
class SnmpTargetConfig:
    """What to poll: a target in snmp_exporter's syntax, modules, and the auth to use (for
    a file in the older layout, where modules carry their own auth, leave it empty)."""

    target: str
    modules: tuple[str, ...]
    auth: str = ""
    name: str = ""
    timeout: float = 30.0
    limits: Limits = field(default_factory=Limits)
    wrap_counters: bool = True

    @property
    def exporter_name(self) -> str:
        return self.name or f"snmp:{self.target}"


def _error_kind(exc: BaseException) -> str:
    kinds: list[tuple[type[BaseException], str]] = [
        (SnmpTimeout, "timeout"), (SnmpTransportError, "transport"),
        (SnmpProtocolError, "protocol"), (SnmpErrorStatus, "error_status"),
        (SnmpLimitExceeded, "limit"), (TimeoutError, "deadline")]
    for cls, kind in kinds:
        if isinstance(exc, cls):
            return kind
    return "other"


class SnmpExporter:
    """Polls one target with its modules; implements :class:`exporters.contract.Exporter`."""

    def __init__(self, config: SnmpTargetConfig, snmp: SnmpConfig, stack: SnmpStack,
                 scrape: Scrape = scrape_module) -> None:
        if not config.modules:
            raise ConfigError(f"snmp target {config.target}: no module given")
        self.config = config
        self.target = Target.parse(config.target)
        self.stack = stack
        self._scrape = scrape
        self.modules: list[tuple[Module, Auth, CompiledModule]] = []
        for name in config.modules:
            try:
                module = snmp.module(name)
            except KeyError as exc:
                raise ConfigError(f"snmp target {config.target}: {exc.args[0]}") from None
            auth = self._auth(snmp, module)
            self.modules.append((module, auth, CompiledModule.build(module)))

    def _auth(self, snmp: SnmpConfig, module: Module) -> Auth:
        name = self.config.auth
        if not name and module.auth is not None:
            return module.auth
        name = name or DEFAULT_AUTH
        auth = snmp.auths.get(name)
        if auth is None:
            if name == DEFAULT_AUTH:
                return Auth(DEFAULT_AUTH)
            known = ", ".join(sorted(snmp.auths)) or "none"
            raise ConfigError(f"snmp target {self.config.target}: unknown auth {name!r} "
                              f"(auths in {', '.join(snmp.sources)}: {known})")
        return auth

    @property
    def name(self) -> str:
        return self.config.exporter_name

    async def collect(self) -> list[Metric]:
        families: list[Metric] = []
        status = _StatusFamilies()
        failures: list[str] = []
        deadline = time.monotonic() + self.config.timeout
        for module, auth, compiled in self.modules:
            try:
                async with asyncio.timeout_at(_loop_deadline(deadline)):
                    families.extend(await self._collect_module(module, auth, compiled, status))
            except (SnmpError, TimeoutError) as exc:
                kind = _error_kind(exc)
                status.failed(module.name, kind)
                message = str(exc) or (
                    f"no answer within the scrape deadline ({self.config.timeout:g}s)")
                failures.append(f"module={module.name} kind={kind} error={message}")
            except ConfigError as exc:  # e.g. two SNMPv3 auths sharing a user name
                status.failed(module.name, "config")
                failures.append(f"module={module.name} kind=config error={exc}")
        if len(failures) == len(self.modules):
            # One log line for the whole failure: the harness writes it with this message.
            raise SnmpError(f"target={self.target} " + "; ".join(failures), status.families())
        for failure in failures:
            log.warning("snmp scrape failed target=%s %s", self.target, failure)
        return families + status.families()

    async def _collect_module(self, module: Module, auth: Auth, compiled: CompiledModule,
                              status: _StatusFamilies) -> list[Metric]:
        start = time.perf_counter()
        session = await self.stack.session(self.target, auth, module.walk_params,
                                           self.config.limits)
        result = await self._scrape(session, module)
        report = MappingReport()
        if len(result.varbinds) > OFFLOAD_VALUES:
            families = await asyncio.to_thread(self._map, compiled, result, report)
        else:
            families = self._map(compiled, result, report)
        if report.unparsable:
            log.info("snmp values not mapped target=%s module=%s count=%d first=%s",
                     self.target, module.name, report.unparsable, report.errors[0])
        status.succeeded(module.name, result.walk_seconds, result.packets_sent,
                         result.packets_retried, result.pdus_returned, report.unparsable,
                         time.perf_counter() - start)
        return families

    def _map(self, compiled: CompiledModule, result: ScrapeResult,
             report: MappingReport) -> list[Metric]:
        return map_pdus(compiled, pdus_by_oid(result.varbinds), report,
                        self.config.wrap_counters)


def _loop_deadline(monotonic_deadline: float) -> float:
    loop = asyncio.get_running_loop()
    return loop.time() + (monotonic_deadline - time.monotonic())


class _StatusFamilies:
    """The per-module self-metrics of one collect()."""

    def __init__(self) -> None:
        def gauge(name: str, help_text: str) -> Metric:
            return Metric(name, help_text, "gauge")

        self.walk = gauge("snmp_scrape_walk_duration_seconds", "Time SNMP walk/bulkwalk took.")
        self.sent = gauge("snmp_scrape_packets_sent",
                          "Packets sent for get, bulkget, and walk; including retries.")
        self.retried = gauge("snmp_scrape_packets_retried",
                             "Packets retried for get, bulkget, and walk.")
        self.pdus = gauge("snmp_scrape_pdus_returned", "PDUs returned from get, bulkget, and walk.")
        self.duration = gauge("snmp_scrape_duration_seconds",
                              "Total SNMP time scrape took (walk and processing).")
        self.success = gauge("netmon_snmp_module_success",
                             "Whether the module's last scrape of the target succeeded.")
        self.error = gauge("netmon_snmp_module_error",
                           "Why the module's last scrape failed (1 for the kind of failure).")
        self.unparsable = gauge("netmon_snmp_unparsable_values",
                                "Values of the last scrape that could not be mapped.")

    def succeeded(self, module: str, walk: float, sent: int, retried: int, pdus: int,
                  unparsable: int, duration: float) -> None:
        labels = {"module": module}
        for family, value in ((self.walk, walk), (self.sent, sent), (self.retried, retried),
                              (self.pdus, pdus), (self.duration, duration),
                              (self.success, 1.0), (self.unparsable, unparsable)):
            family.add_sample(family.name, labels, float(value))

    def failed(self, module: str, kind: str) -> None:
        self.success.add_sample(self.success.name, {"module": module}, 0.0)
        self.error.add_sample(self.error.name, {"module": module, "kind": kind}, 1.0)

    def families(self) -> list[Metric]:
        return [f for f in (self.walk, self.sent, self.retried, self.pdus, self.duration,
                            self.success, self.error, self.unparsable) if f.samples]
