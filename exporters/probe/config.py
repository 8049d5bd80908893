"""The probe exporter's one configuration object: what to probe, how, and how often.

A :class:`ProbeTarget` is one path from the agent's host: a name (the ``target`` label), an
address (IPv4 or IPv6 literal, or a host name resolved at every run), the labels every series
of the target carries (``probe_dc``, ``probe_role``, anything else), the method and, for TCP,
the port. A :class:`ProbeConfig` holds the targets and the timing shared by all of them.

Defaults, and why:

* ``count`` 10 packets per target and run, ``spacing`` 1 s between them, ``timeout`` 1 s per
  packet, ``interval`` 15 s between runs: ten samples spread over two thirds of the agent's
  usual 15 s interval (a loss estimate from 10 packets moves in steps of 10 %, which is what
  an alert averaged over 10 minutes, 400 packets, needs), and a run that always ends before
  the next one starts (checked: ``(count - 1) * spacing + timeout <= interval``). A reply
  slower than 1 s on a city WAN is counted as lost, as ``ping -W 1`` would.
* ``method`` ``auto``: ICMP echo when this host allows it (see :mod:`exporters.probe.sockets`),
  else a TCP connect to ``port``; ``icmp`` and ``tcp`` force one. Without a port, ``auto``
  has nothing to fall back to and reports ``netmon_probe_method{method="none"}``.
* ``ip_protocol`` ``auto``: the first address the resolver gives (its RFC 6724 order);
  ``ip4``/``ip6`` pick that family only, like blackbox_exporter's ``preferred_ip_protocol``
  without the fallback.

``probe_dc`` must be ``primary`` or ``backup`` and ``probe_role`` one of ``collector``,
``gateway``, ``upstream`` when given: the alert rules group by them, so a typo would silently
make a path nobody watches. Other label names are free, except those the exporter sets itself
(:data:`RESERVED_LABELS`).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from exporters.errors import ConfigError

__all__ = [
    "DC_VALUES",
    "IP_PROTOCOLS",
    "METHODS",
    "RESERVED_LABELS",
    "ROLE_VALUES",
    "IpProtocol",
    "Method",
    "ProbeConfig",
    "ProbeTarget",
]

Method = Literal["auto", "icmp", "tcp"]
IpProtocol = Literal["auto", "ip4", "ip6"]

METHODS: frozenset[str] = frozenset({"auto", "icmp", "tcp"})
IP_PROTOCOLS: frozenset[str] = frozenset({"auto", "ip4", "ip6"})
DC_VALUES: frozenset[str] = frozenset({"primary", "backup"})
ROLE_VALUES: frozenset[str] = frozenset({"collector", "gateway", "upstream"})
#: Labels the exporter sets on its own series; a target's labels may not take them.
RESERVED_LABELS: frozenset[str] = frozenset(
    {"target", "method", "socket", "phase", "reason", "stat", "ip", "host", "le", "quantile",
     "exporter", "instance", "job"})

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
MAX_COUNT = 10_000
MIN_SPACING = 0.001
MAX_TIMEOUT = 60.0


def _seconds(value: float, what: str, low: float = 0.0) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > low):
        floor = "positive" if low == 0 else f"above {low:g}"
        raise ConfigError(f"{what}: {value!r} must be a {floor} number of seconds")


def _is_hostname(text: str) -> bool:
    name = text[:-1] if text.endswith(".") else text
    return 0 < len(name) <= 253 and all(_HOST_LABEL.match(p) for p in name.split("."))


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    """One path to probe. ``labels`` is stored read-only, sorted by name."""

    name: str
    address: str
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    method: Method = "auto"
    port: int | None = None
    ip_protocol: IpProtocol = "auto"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ConfigError(f"probe target name {self.name!r} must be 1-128 ASCII letters, "
                              "digits, '.', '_', ':' or '-', starting with a letter or digit "
                              "(it is the target label, e.g. dc-primary-collector)")
        what = f"probe target {self.name}"
        self._check_address(what)
        labels = dict(self.labels)
        for key, value in labels.items():
            self._check_label(what, key, value)
        object.__setattr__(self, "labels", MappingProxyType(dict(sorted(labels.items()))))
        if self.method not in METHODS:
            raise ConfigError(f"{what}.method: {self.method!r} is not one of "
                              f"{', '.join(sorted(METHODS))}")
        if self.port is not None and not (
                isinstance(self.port, int) and not isinstance(self.port, bool)
                and 1 <= self.port <= 65535):
            raise ConfigError(f"{what}.port: {self.port!r} must be a TCP port, 1-65535")
        if self.method == "tcp" and self.port is None:
            raise ConfigError(f"{what}: method tcp needs a port (the collector's is 9750); "
                              "add port:")
        if self.ip_protocol not in IP_PROTOCOLS:
            raise ConfigError(f"{what}.ip_protocol: {self.ip_protocol!r} is not one of "
                              f"{', '.join(sorted(IP_PROTOCOLS))}")
        literal = self.ip_literal
        if literal is not None and self.ip_protocol not in ("auto", f"ip{literal.version}"):
            raise ConfigError(f"{what}: address {self.address} is IPv{literal.version} but "
                              f"ip_protocol is {self.ip_protocol}; leave ip_protocol out for "
                              "an address literal")

    def _check_address(self, what: str) -> None:
        if not isinstance(self.address, str) or not self.address:
            raise ConfigError(f"{what}.address is empty; give an IPv4 or IPv6 address or a "
                              "host name")
        if self.ip_literal is None and not _is_hostname(self.address):
            raise ConfigError(f"{what}.address: {self.address!r} is neither an IP address nor "
                              "a host name (no port, no scheme: 10.10.0.10, 2001:db8::a or "
                              "collector.dc1.wan.hanoi.example)")

    @staticmethod
    def _check_label(what: str, key: object, value: object) -> None:
        if not isinstance(key, str) or not _LABEL.match(key) or key.startswith("__"):
            raise ConfigError(f"{what}.labels: {key!r} is not a valid Prometheus label name "
                              "(letters, digits and _, not starting with a digit or __)")
        if key in RESERVED_LABELS:
            raise ConfigError(f"{what}.labels: {key!r} is set by the probe exporter itself; "
                              "choose another label name")
        if not isinstance(value, str):
            raise ConfigError(f"{what}.labels.{key}: {value!r} must be a string")
        if key == "probe_dc" and value not in DC_VALUES:
            raise ConfigError(f"{what}.labels.probe_dc: {value!r} is not one of "
                              f"{', '.join(sorted(DC_VALUES))} (the alert rules group by it)")
        if key == "probe_role" and value not in ROLE_VALUES:
            raise ConfigError(f"{what}.labels.probe_role: {value!r} is not one of "
                              f"{', '.join(sorted(ROLE_VALUES))}")

    @property
    def ip_literal(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """The address as an IP address, or None when it is a host name."""
        try:
            return ipaddress.ip_address(self.address)
        except ValueError:
            return None

    @property
    def series_labels(self) -> dict[str, str]:
        """``target`` and the configured labels: what every series of this target carries."""
        return {"target": self.name, **self.labels}


@dataclass(frozen=True, slots=True)
class ProbeConfig:
    """Every target of one probe exporter, and the timing they share (seconds)."""

    targets: tuple[ProbeTarget, ...] = ()
    count: int = 10
    spacing: float = 1.0
    timeout: float = 1.0
    interval: float = 15.0
    name: str = "probe"

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", tuple(self.targets))
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ConfigError(f"probes.name {self.name!r} must be 1-128 ASCII letters, digits, "
                              "'.', '_', ':' or '-' (it is the exporter label)")
        for target in self.targets:
            if not isinstance(target, ProbeTarget):
                raise ConfigError(f"probes.targets: {target!r} is not a ProbeTarget")
        names = [t.name for t in self.targets]
        for name in names:
            if names.count(name) > 1:
                raise ConfigError(f"probes.targets: the name {name!r} is used twice; give each "
                                  "target its own name (it is the target label)")
        if not (isinstance(self.count, int) and not isinstance(self.count, bool)
                and 1 <= self.count <= MAX_COUNT):
            raise ConfigError(f"probes.count: {self.count!r} must be a whole number of packets "
                              f"per run, 1-{MAX_COUNT}")
        _seconds(self.spacing, "probes.spacing")
        if self.spacing < MIN_SPACING:
            raise ConfigError(f"probes.spacing: {self.spacing:g}s is below {MIN_SPACING:g}s; "
                              "space packets at least a millisecond apart")
        _seconds(self.timeout, "probes.timeout")
        if self.timeout > MAX_TIMEOUT:
            raise ConfigError(f"probes.timeout: {self.timeout:g}s is over {MAX_TIMEOUT:g}s; a "
                              "reply that late is a lost packet")
        _seconds(self.interval, "probes.interval")
        if self.run_seconds > self.interval:
            raise ConfigError(
                f"probes: a run takes (count - 1) x spacing + timeout = {self.run_seconds:g}s, "
                f"longer than the interval ({self.interval:g}s); lower count or spacing, or "
                "lengthen the interval, so that runs never overlap")

    @property
    def run_seconds(self) -> float:
        """How long a run lasts at most (without name resolution): the last packet is sent
        ``(count - 1) * spacing`` after the first and waited for ``timeout``."""
        return (self.count - 1) * self.spacing + self.timeout
