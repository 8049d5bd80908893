"""The ``snmp:`` section of ``collector.yml``: module files, polling and the lookup cache.

One frozen object, loaded by :mod:`collector.polling.config_load`. Every field has a
default: without the section the collector polls the inventory's devices with netmon's own
module file (``exporters/snmp/modules/netmon.yml``), and ``/snmp`` answers with it.

The change markers of the lookup cache are OIDs, and so config, not code: ``sysUpTime.0``
(SNMPv2-MIB, RFC 3418) going back means the device restarted, and its interfaces may have
been renumbered; ``ifTableLastChange.0`` (IF-MIB, RFC 2863) and ``entLastChangeTime.0``
(ENTITY-MIB, RFC 6933) move when a row of their table is created or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Final

__all__ = ["LookupCacheConfig", "SnmpSettings"]

#: Columns worth keeping between polls: names of a module's metrics or of its lookups' labels.
DEFAULT_CACHED: Final = ("ifName", "ifDescr", "ifAlias", "ifType", "entPhysicalName")
SYS_UPTIME_0: Final = "1.3.6.1.2.1.1.3.0"
IF_TABLE_LAST_CHANGE_0: Final = "1.3.6.1.2.1.31.1.5.0"
ENT_LAST_CHANGE_TIME_0: Final = "1.3.6.1.2.1.47.1.4.1.0"


@dataclass(frozen=True, slots=True)
class LookupCacheConfig:
    """Columns that rarely change, kept per device and module between polls.

    They are walked again after ``refresh`` seconds, when ``uptime_oid`` went back (a
    restart), when one of ``watch_oids`` changed, or when a live column has rows the cached
    one lacks (or, for a cached metric column, the other way round)."""

    enabled: bool = True
    refresh: float = 1800.0
    columns: tuple[str, ...] = DEFAULT_CACHED
    uptime_oid: str = SYS_UPTIME_0
    watch_oids: tuple[str, ...] = (IF_TABLE_LAST_CHANGE_0, ENT_LAST_CHANGE_TIME_0)


@dataclass(frozen=True, slots=True)
class SnmpSettings:
    """What the collector needs for SNMP: the module files (``/snmp`` and polling), how many
    device polls run at once, how polls spread over their interval, the lookup cache."""

    #: snmp_exporter-format files (auths and modules); empty: netmon's own module file.
    files: tuple[Path, ...] = ()
    concurrency: int = 64
    #: each device's phase is spread over this fraction of its interval (0: all at once).
    jitter: float = 1.0
    lookup_cache: LookupCacheConfig = field(default_factory=LookupCacheConfig)
    #: ``/snmp``: the SNMP deadline when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds
    scrape_timeout: float = 30.0
    #: ... and how long before Prometheus's own timeout the SNMP deadline falls.
    timeout_offset: float = 0.5

    def module_files(self) -> tuple[Path, ...]:
        if self.files:
            return self.files
        return (Path(str(resources.files("exporters.snmp") / "modules" / "netmon.yml")),)
