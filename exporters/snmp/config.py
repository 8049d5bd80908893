"""The typed model of snmp_exporter's configuration: auths (credentials) and modules (what to
walk and how to map it). Every object is frozen; :mod:`exporters.snmp.config_load` builds them
from YAML and is the only place that knows the file layouts.

Defaults are snmp_exporter's: SNMP v2c, community ``public``, ``max_repetitions`` 25,
``retries`` 3, ``timeout`` 5 s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from exporters.secrets import Secret

#: Metric and lookup types netmon understands (snmp_exporter's, plus ``IpAddr`` as an alias
#: of ``InetAddressIPv4`` as the generator writes it).
METRIC_TYPES = frozenset({
    "gauge", "counter", "Float", "Double", "DateAndTime", "ParseDateAndTime", "NTPTimeStamp",
    "EnumAsInfo", "EnumAsStateSet", "Bits", "OctetString", "DisplayString", "PhysAddress48",
    "InetAddress", "InetAddressMissingSize", "InetAddressIPv4", "InetAddressIPv6", "IpAddr",
    "LldpPortId",
})
#: Types an index can have (snmp_exporter panics on others; netmon refuses them at load time).
INDEX_TYPES = frozenset({
    "gauge", "counter", "Integer", "Integer32", "PhysAddress48", "OctetString",
    "DisplayString", "InetAddress", "InetAddressMissingSize", "InetAddressIPv4",
    "InetAddressIPv6", "IpAddr", "EnumAsInfo", "LldpPortId",
})


class SecurityLevel(Enum):
    NO_AUTH_NO_PRIV = "noAuthNoPriv"
    AUTH_NO_PRIV = "authNoPriv"
    AUTH_PRIV = "authPriv"


AUTH_PROTOCOLS = frozenset({"MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"})
PRIV_PROTOCOLS = frozenset({"DES", "AES", "AES192", "AES256", "AES192C", "AES256C"})


@dataclass(frozen=True, slots=True)
class Auth:
    """How to authenticate to a target: an entry of ``auths:``."""

    name: str
    version: int = 2
    community: Secret = field(default_factory=lambda: Secret("public"))
    security_level: SecurityLevel = SecurityLevel.NO_AUTH_NO_PRIV
    username: str = ""
    password: Secret = field(default_factory=lambda: Secret(""))
    auth_protocol: str = "MD5"
    priv_protocol: str = "DES"
    priv_password: Secret = field(default_factory=lambda: Secret(""))
    context_name: str = ""


@dataclass(frozen=True, slots=True)
class WalkParams:
    max_repetitions: int = 25
    retries: int = 3
    timeout: float = 5.0
    allow_nonincreasing_oids: bool = False
    use_unconnected_udp_socket: bool = False


@dataclass(frozen=True, slots=True)
class Index:
    labelname: str
    type: str
    fixed_size: int = 0
    implied: bool = False
    enum_values: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Lookup:
    """Adds (or, with no ``labels``, removes) a label by looking up another OID."""

    labels: tuple[str, ...]
    labelname: str
    oid: str = ""
    type: str = ""
    enum_values: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RegexExtract:
    """One ``regex_extracts`` rule: ``regex`` is anchored as snmp_exporter anchors it, ``^(?:...)``
    then ``\\Z`` (the translation of Go's ``$``; Python's ``$`` would also match before a final
    newline); ``value`` is a Go template (``$1``, ``${name}``)."""

    regex: re.Pattern[str]
    value: str


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    oid: str
    type: str
    help: str = ""
    indexes: tuple[Index, ...] = ()
    lookups: tuple[Lookup, ...] = ()
    enum_values: Mapping[int, str] = field(default_factory=dict)
    regex_extracts: Mapping[str, tuple[RegexExtract, ...]] = field(default_factory=dict)
    datetime_pattern: str = ""
    offset: float = 0.0
    scale: float = 0.0
    display_hint: str = ""


@dataclass(frozen=True, slots=True)
class DynamicFilter:
    """snmp_exporter's ``filters:``: walk ``oid`` first, keep the indexes whose value matches
    one of ``values`` (regexes), then GET only those indexes of the ``targets`` subtrees."""

    oid: str
    targets: tuple[str, ...]
    values: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    walk: tuple[str, ...] = ()
    get: tuple[str, ...] = ()
    metrics: tuple[MetricSpec, ...] = ()
    walk_params: WalkParams = field(default_factory=WalkParams)
    filters: tuple[DynamicFilter, ...] = ()
    #: The older layout (snmp_exporter < 0.23) keeps credentials inside each module.
    auth: Auth | None = None


@dataclass(frozen=True, slots=True)
class SnmpConfig:
    auths: Mapping[str, Auth]
    modules: Mapping[str, Module]
    sources: tuple[str, ...] = ()

    def module(self, name: str) -> Module:
        try:
            return self.modules[name]
        except KeyError:
            known = ", ".join(sorted(self.modules)) or "none"
            raise KeyError(
                f"unknown module {name!r} (modules in {', '.join(self.sources)}: {known})"
            ) from None
