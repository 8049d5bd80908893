"""The collector's configuration: one frozen object, loaded and validated once.

Read from ``collector.yml`` by :mod:`collector.config_load`; every field has a default, so an
empty file (or none at all, with ``--inventory``) gives a working collector on
127.0.0.1:9750.

Scopes select agents by their inventory attributes: the identity labels (``agent``, ``site``,
``district``, ``ward``, ``role``, ``dc``) and the site's ``kind`` (``ward`` or ``dc``). Each
matcher is a regular expression that must match the whole value, as in Prometheus's
relabelling (so a plain word matches itself); an agent belongs to a scope when every matcher of
the scope matches. Three scopes exist by default; a configured scope of the same name replaces
its default, other configured scopes are added after them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from collector.admission import AdmissionConfig
from collector.polling.config import SnmpSettings
from collector.remote_write.config import RemoteWriteConfig
from collector.sharding.config import ShardingConfig
from collector.traps.config import TrapsConfig
from netmon.wire import Limits

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 9750
DC_NAMES: Final = frozenset({"primary", "backup"})
#: What a scope matcher can look at: the identity labels and the site's kind.
MATCHABLE: Final = frozenset({"agent", "site", "district", "ward", "role", "dc", "kind"})
SCOPE_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True, slots=True)
class Matcher:
    label: str
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, label: str, regex: str) -> Matcher:
        return cls(label, re.compile(regex))

    def matches(self, attributes: dict[str, str]) -> bool:
        return self.pattern.fullmatch(attributes.get(self.label, "")) is not None


@dataclass(frozen=True, slots=True)
class Scope:
    name: str
    matchers: tuple[Matcher, ...]

    def contains(self, attributes: dict[str, str]) -> bool:
        return all(m.matches(attributes) for m in self.matchers)

    @property
    def path(self) -> str:
        return f"/scopes/{self.name}/metrics"


DEFAULT_SCOPES: Final = (
    Scope("wan", (Matcher.of("kind", "ward"),)),
    Scope("dc-primary", (Matcher.of("dc", "primary"),)),
    Scope("dc-backup", (Matcher.of("dc", "backup"),)),
)


@dataclass(frozen=True, slots=True)
class CollectorConfig:
    """Everything one collector process needs to know (all validated)."""

    inventory: Path | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    #: host:port put in the /sd targets; empty: the Host the /sd request was sent to.
    advertise: str = ""
    #: which data centre this collector serves (informational: netmon_collector_info).
    dc: str = "primary"
    #: an agent (a batch) is stale after this many of its (the batch's) intervals.
    staleness_intervals: float = 3.0
    #: a batch collected more than this many of its intervals ago is late: not served on the
    #: scopes (its values are not current), forwarded through remote_write instead.
    late_after_intervals: float = 2.0
    limits: Limits = field(default_factory=Limits)
    scopes: tuple[Scope, ...] = DEFAULT_SCOPES
    remote_write: RemoteWriteConfig = field(default_factory=RemoteWriteConfig)
    admission: AdmissionConfig = field(default_factory=AdmissionConfig)
    #: SNMP module files (/snmp and the polling of the inventory's devices), polling, cache.
    snmp: SnmpSettings = field(default_factory=SnmpSettings)
    #: SNMP traps and informs (collector.traps); off unless a ``traps:`` section is given.
    traps: TrapsConfig = field(default_factory=TrapsConfig)
    #: several collectors of the data centre sharing its devices (collector.sharding).
    sharding: ShardingConfig = field(default_factory=ShardingConfig)

    @property
    def listen(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def merge_scopes(configured: tuple[Scope, ...]) -> tuple[Scope, ...]:
    """The defaults (replaced by a configured scope of the same name), then the others."""
    by_name = {s.name: s for s in configured}
    defaults = tuple(by_name.pop(s.name, s) for s in DEFAULT_SCOPES)
    return defaults + tuple(by_name.values())
