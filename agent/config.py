"""The agent's one configuration object: typed, frozen, validated once.

:func:`agent.config_load.load_agent_config` builds it from ``agent.yml``; a program that runs
many agents in one process (the demo) builds it directly, sharing one loaded
:class:`~exporters.snmp.config.SnmpConfig` between all of them. Every object checks itself
in ``__post_init__`` and raises :class:`~exporters.errors.ConfigError`, so a mistake is caught
the same way whichever path built it.

Durations are seconds (floats). Defaults, and why:

* host every 15 s (node_exporter's usual scrape interval), SNMP every 60 s (the usual SNMP
  poll: an if_mib walk costs a small ward router real CPU, and 64-bit counters do not wrap);
* a run's ``timeout`` defaults to its interval: a run may take the whole interval but never
  overlap the next one (as Prometheus requires ``scrape_timeout <= scrape_interval``);
* ``jitter`` 1.0: each exporter's fixed phase is spread over its whole interval (see
  :mod:`netmon.schedule`), so 579 agents restarted together still report evenly spread;
* shipping retries without limit (a report leaves a collector's backlog when it is
  acknowledged, rejected, or dropped from the spool at a bound, counted), backoff from 1 s up
  to 30 s with full jitter, and 5 s at shutdown to finish runs and flush what can be flushed
  (the rest stays in the spool for the next start);
* the spool (:mod:`agent.spool`): ``/var/lib/netmon/agent/spool.db`` (the unit's
  ``StateDirectory``), at most 128 MiB of reports and 48 hours. A ward router's report is
  6.3 kB gzipped with the agent's own batch (1,083 samples), one per exporter and interval:
  a ward with the host exporter every 15 s and its router every 60 s sends 45 MB a day, so
  128 MiB keeps three days and the age bound is the one that binds; one with two exporters
  every 15 s sends 72 MB a day and keeps 44 hours, its newest;
* backlog catch-up at 1 report per second per collector, beside live data (the newest
  report always goes first). A ward polled every 60 s (the SNMP default) catches up an
  hour's outage in a minute; one sending two exporters every 15 s (480 reports an hour) in
  8 minutes, a day's outage in 3.2 hours. A collector spends 3 to 6 ms of CPU on a ward
  report (``python -m tests.collector.measure``): 100 wards catching up together cost it
  about half a core, but all 579 at once some 580 reports a second, more than a 2-core
  collector has. Each agent has only one push in flight per collector, so a slower collector
  slows its agents; its 429 with ``Retry-After``, which the shipper honours, is what sheds
  the rest.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from exporters.errors import ConfigError
from exporters.host import HostConfig
from exporters.probe.config import ProbeConfig
from exporters.secrets import Secret
from exporters.snmp.client import Limits
from exporters.snmp.config import SnmpConfig
from exporters.snmp.exporter import SnmpTargetConfig
from netmon.web.client import TlsClientConfig
from netmon.wire import PUSH_PATH

if TYPE_CHECKING:  # the CLI exporter (netmiko, TextFSM) is imported only when configured
    from exporters.cli import CliConfig

__all__ = ["AGENT_BATCH", "DEFAULT_SPOOL_PATH", "AgentConfig", "CollectorConfig",
           "HostJobConfig", "ShippingConfig", "SnmpJobConfig", "SpoolConfig"]

#: The name of the batch that carries the agent's own metrics; no exporter may take it.
AGENT_BATCH = "agent"

#: Where the spool lives unless ``shipping.spool.path`` says otherwise: the systemd unit's
#: ``StateDirectory=netmon/agent``. One agent per file: agents sharing a process need a path
#: each.
DEFAULT_SPOOL_PATH = "/var/lib/netmon/agent/spool.db"

AGENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

#: snmp_exporter's ``--scrape.timeout-offset``: the SNMP deadline ends this much before the
#: run's timeout, so the exporter reports its own ``kind="deadline"`` error metrics.
SNMP_TIMEOUT_OFFSET = 0.5


def _positive(value: float, what: str) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ConfigError(f"{what}: {value!r} must be a positive number of seconds")


def _run_timeout(interval: float, timeout: float | None, what: str) -> None:
    _positive(interval, f"{what}.interval")
    if timeout is not None:
        _positive(timeout, f"{what}.timeout")
        if timeout > interval:
            raise ConfigError(f"{what}.timeout: {timeout:g}s is longer than the interval "
                              f"({interval:g}s); runs of one exporter never overlap, so a run "
                              "may take at most its interval. Shorten the timeout or lengthen "
                              "the interval")


@dataclass(frozen=True, slots=True)
class CollectorConfig:
    """One collector to deliver every report to.

    ``tls`` (Prometheus's ``tls_config``: :mod:`netmon.web.client`) applies to an
    ``https://`` url; without it an https collector is still verified, against the system's
    CAs and the url's host. It is refused on an ``http://`` url, where it would be ignored."""

    url: str
    name: str = ""
    timeout: float = 10.0
    tls: TlsClientConfig | None = None

    def __post_init__(self) -> None:
        try:
            parts = urlsplit(self.url)
        except ValueError:  # "Invalid IPv6 URL": a "[" without its "]" (found by fuzz/config.py)
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"collector url {self.url!r} must be http:// or https:// with a "
                              "host, e.g. http://127.0.0.1:9750")
        if parts.username is not None or parts.password is not None:
            raise ConfigError(f"collector url of {self.name or parts.hostname!r} carries "
                              "credentials; the agent authenticates with its token file only")
        if parts.query or parts.fragment:
            raise ConfigError(f"collector url {self.url!r} must not have a query or fragment")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"collector url {self.url!r} has an invalid port") from None
        if not self.name:
            host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
            object.__setattr__(self, "name", f"{host}:{port}" if port else host)
        _positive(self.timeout, f"collector {self.name}.timeout")
        if self.tls is not None and parts.scheme != "https":
            raise ConfigError(f"collector {self.name}: tls is set but the url is "
                              f"{parts.scheme}://; use https:// (or remove tls)")

    @property
    def https(self) -> bool:
        return urlsplit(self.url).scheme == "https"

    @property
    def push_url(self) -> str:
        """Where reports are POSTed: the url (with any path prefix) and the push path."""
        return self.url.rstrip("/") + PUSH_PATH


@dataclass(frozen=True, slots=True)
class HostJobConfig:
    """The host exporter: whether it runs, how often, and its node_exporter options."""

    enabled: bool = True
    interval: float = 15.0
    timeout: float | None = None
    host: HostConfig = field(default_factory=HostConfig)

    def __post_init__(self) -> None:
        _run_timeout(self.interval, self.timeout, "host")

    @property
    def name(self) -> str:
        return "host"

    @property
    def run_timeout(self) -> float:
        return self.timeout if self.timeout is not None else self.interval


@dataclass(frozen=True, slots=True)
class SnmpJobConfig:
    """One SNMP target polled with its modules, from ``snmp``'s loaded module files."""

    target: str
    modules: tuple[str, ...]
    snmp: SnmpConfig
    auth: str = ""
    name: str = ""
    interval: float = 60.0
    timeout: float | None = None
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if not self.target:
            raise ConfigError("snmp target: empty target")
        if not self.modules:
            raise ConfigError(f"snmp target {self.target}: no module given")
        _run_timeout(self.interval, self.timeout, f"snmp {self.exporter_name}")

    @property
    def exporter_name(self) -> str:
        return self.name or f"snmp:{self.target}"

    @property
    def run_timeout(self) -> float:
        return self.timeout if self.timeout is not None else self.interval

    def target_config(self) -> SnmpTargetConfig:
        """The exporter's own config; its deadline ends a little before the run's timeout."""
        timeout = self.run_timeout
        return SnmpTargetConfig(
            target=self.target, modules=self.modules, auth=self.auth, name=self.exporter_name,
            timeout=timeout - min(SNMP_TIMEOUT_OFFSET, timeout / 10), limits=self.limits)


@dataclass(frozen=True, slots=True)
class SpoolConfig:
    """The on-disk spool every report is written to before it is sent (:mod:`agent.spool`).

    ``max_bytes`` bounds the reports' bytes (gzipped, as sent; the file is a few per cent
    larger, plus a write-ahead log and a reserve of under 1 MiB); ``max_age`` bounds how old
    the oldest report may be. Reaching either drops the oldest reports, counted."""

    path: str = DEFAULT_SPOOL_PATH
    max_bytes: int = 128 * 2**20
    max_age: float = 48 * 3600.0

    def __post_init__(self) -> None:
        if not self.path:
            raise ConfigError("shipping.spool.path is empty; give the spool file's path")
        if not (isinstance(self.max_bytes, int) and self.max_bytes >= 2**20):
            raise ConfigError(f"shipping.spool.max_bytes: {self.max_bytes!r} must be at least "
                              "1MiB (a report is some kilobytes, a bound below that keeps "
                              "nothing)")
        _positive(self.max_age, "shipping.spool.max_age")


@dataclass(frozen=True, slots=True)
class ShippingConfig:
    """How reports are delivered: retries, backoff, catch-up pace, the spool, the shutdown
    grace.

    ``retries`` None retries a report until it is acknowledged or dropped from the spool; a
    number drops it (counted) after that many failed retries. ``catchup_rate`` is the pace,
    in reports per second and per collector, at which a backlog is sent beside live data.
    """

    retries: int | None = None
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    catchup_rate: float = 1.0
    grace: float = 5.0
    spool: SpoolConfig = field(default_factory=SpoolConfig)

    def __post_init__(self) -> None:
        if self.retries is not None and self.retries < 0:
            raise ConfigError(f"shipping.retries: {self.retries} must be 0 or more (leave it "
                              "out to retry until the report is delivered)")
        _positive(self.backoff_base, "shipping.backoff_base")
        _positive(self.backoff_max, "shipping.backoff_max")
        if self.backoff_max < self.backoff_base:
            raise ConfigError("shipping.backoff_max must not be shorter than "
                              "shipping.backoff_base")
        rate = self.catchup_rate
        if not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0):
            raise ConfigError(f"shipping.catchup_rate: {rate!r} must be a positive number of "
                              "reports per second")
        if not (math.isfinite(self.grace) and self.grace >= 0):
            raise ConfigError(f"shipping.grace: {self.grace!r} must be 0 or more seconds")


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """Everything one agent needs. ``token`` is None only when it was not read (``--once``)."""

    agent_id: str
    collectors: tuple[CollectorConfig, ...] = ()
    token: Secret | None = None
    token_file: str = ""
    host: HostJobConfig = field(default_factory=HostJobConfig)
    snmp: tuple[SnmpJobConfig, ...] = ()
    #: CLI checks over SSH (``exporters.cli``): None when the section is absent.
    cli: CliConfig | None = None
    #: WAN path probes (``exporters.probe``); no targets: none run.
    probes: ProbeConfig = field(default_factory=ProbeConfig)
    jitter: float = 1.0
    shipping: ShippingConfig = field(default_factory=ShippingConfig)
    #: The file it was read from, for messages ("" when built in code).
    source: str = ""

    def __post_init__(self) -> None:
        if not AGENT_ID.match(self.agent_id):
            raise ConfigError(f"agent_id {self.agent_id!r} must be 1-128 ASCII letters, digits, "
                              "'.', '_', ':' or '-', starting with a letter or digit (it names "
                              "the agent in logs; who it is to a collector comes from its token)")
        if not (math.isfinite(self.jitter) and 0 <= self.jitter <= 1):
            raise ConfigError(f"jitter: {self.jitter!r} must be between 0 and 1 (the fraction "
                              "of each interval over which exporters' phases are spread)")
        names = [c.name for c in self.collectors]
        for name in names:
            if names.count(name) > 1:
                raise ConfigError(f"collector name {name!r} is used twice; give each collector "
                                  "its own name")
        exporters = self.exporter_names
        for name in exporters:
            if name == AGENT_BATCH:
                raise ConfigError(f"exporter name {AGENT_BATCH!r} is reserved for the agent's "
                                  "own metrics; choose another name")
            if exporters.count(name) > 1:
                raise ConfigError(f"exporter name {name!r} is used twice; give each SNMP target "
                                  "and CLI device its own name")

    @property
    def exporter_names(self) -> list[str]:
        cli = [d.exporter_name for d in self.cli.devices] if self.cli is not None else []
        probes = [self.probes.name] if self.probes.targets else []
        return ([self.host.name] if self.host.enabled else []) + [
            s.exporter_name for s in self.snmp] + cli + probes
