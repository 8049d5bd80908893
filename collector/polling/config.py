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

__all__ = ["DEFAULT_PARALLEL_WALKS", "LookupCacheConfig", "SnmpSettings"]

#: Columns worth keeping between polls: names of a module's metrics or of its lookups' labels.
DEFAULT_CACHED: Final = ("ifName", "ifDescr", "ifAlias", "ifType", "entPhysicalName")
SYS_UPTIME_0: Final = "1.3.6.1.2.1.1.3.0"
IF_TABLE_LAST_CHANGE_0: Final = "1.3.6.1.2.1.31.1.5.0"
ENT_LAST_CHANGE_TIME_0: Final = "1.3.6.1.2.1.47.1.4.1.0"


#: Parallel column walks per device and module, decided by ``bench/large_table.py`` (one
#: switch with 10,000 interfaces, 12 IF-MIB columns, 120,002 values; medians of 3 rounds, 2
#: cores shared with other work; wall seconds of one poll; cache: the lookup cache; 1st/2nd:
#: the first and second poll, see :data:`collector.polling.scrape.SPLIT_VALUES`):
#:
#: ===================================  ========  =====  =====  =====  =============
#: answers delayed, poll                1 (seq.)  2      4      8      snmp_exporter
#: ===================================  ========  =====  =====  =====  =============
#: 0 ms (loopback), cache off, 2nd      2.70      2.13   2.53   2.23   3.71
#: 0 ms, cache on, 2nd                  2.21      1.60   1.97   1.94
#: 2 ms (a city WAN), cache off, 1st    15.68     12.39  11.03  11.15  17.89
#: 2 ms, cache off, 2nd (per column)    15.73     9.79   6.98   5.40
#: 2 ms, cache on, 1st                  15.85     9.44   6.29   5.80
#: 2 ms, cache on, 2nd                  10.71     6.91   4.29   3.92
#: ===================================  ========  =====  =====  =====  =============
#:
#: On loopback a poll is CPU-bound (the poller's and the responder's) and parallel walks
#: neither help nor hurt beyond the noise of a shared machine (1.4-1.7 CPU-s throughout);
#: with a round trip to wait for they overlap it: 4 walks make the poll 2.3-2.5 times
#: faster, 8 a little more again, at the same CPU (1.9-2.3 s; sequential 2.0-2.9 s). 4 is the
#: default: most of the gain, while a device's agent (a router's control-plane CPU) sees at
#: most 4 requests of one poll at once; raise it for devices far away.
#:
#: Only large modules are walked in parallel: those whose last poll returned more than
#: :data:`collector.polling.scrape.SPLIT_VALUES` values (2,000; a module's first poll is
#: sequential). The sweep of 579 ward routers (``python bench/sweep.py --rounds 3``: 24
#: interfaces, about 1,000 values a router) cost 10.1 CPU-s warm walked one column at a time
#: and 11.1 with 4 at a time (snmp_exporter 9.6-9.7 in the same runs): on a small table
#: overlapping a few round trips saves little, and the concurrent streams cost about a tenth
#: more CPU for the whole city.
DEFAULT_PARALLEL_WALKS: Final = 4


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
    #: walks of one module of one device in flight at once (:mod:`collector.polling.scrape`;
    #: 1: one after the other, as snmp_exporter does). See :data:`DEFAULT_PARALLEL_WALKS`.
    parallel_walks: int = DEFAULT_PARALLEL_WALKS
    #: values one module of one device may return in one poll (a guard against a lying
    #: device; a 10,000-port switch's if_mib needs more than the default).
    max_varbinds: int = 50_000

    def module_files(self) -> tuple[Path, ...]:
        if self.files:
            return self.files
        return (Path(str(resources.files("exporters.snmp") / "modules" / "netmon.yml")),)
