"""One device's module reads with its lookup cache: the poller's
:data:`~exporters.snmp.exporter.Scrape`, given to the :class:`SnmpExporter` of that device.

Per module and poll: one GET of the change markers (``sysUpTime.0`` and the watched OIDs),
then the module's live part (:mod:`collector.polling.plan`), then, only when
:mod:`collector.polling.cache` says so, the kept columns. The mapping gets the kept values
and the live ones together, so the series are exactly those of a full walk; the
``snmp_scrape_pdus_returned`` and ``snmp_scrape_packets_sent`` of the poll count what the
device really sent. A module with nothing to keep is read as snmp_exporter reads it.

**Parallel walks** (``snmp.parallel_walks``, issue 5 item 2): for a large module (its last
poll returned more than :data:`SPLIT_VALUES` values) up to ``parallel`` of its walks run at
once as separate GETBULK streams, so a device's round trips overlap (figures:
:data:`collector.polling.config.DEFAULT_PARALLEL_WALKS`); a small one is walked one column
after the other, which costs less CPU for the same values. The plan's live part is already
one walk per column. A module with nothing to keep walks its subtrees as configured until a
poll returns more than :data:`SPLIT_VALUES` values; from the next poll on its walks are split
per column (:func:`~collector.polling.columns.split_columns`), because splitting a small
module costs requests (``system`` would take ten GETBULKs instead of two) while a large
table gains one stream per column. The values and series are the same either way. (A
module with ``filters`` is never split: they name the walks they replace.)
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Final

from collector.polling.cache import CacheEntry, Markers, refresh_reason, rows_reason
from collector.polling.columns import split_columns
from collector.polling.config import LookupCacheConfig
from collector.polling.plan import ModulePlan, plan_module
from exporters.errors import SnmpErrorStatus
from exporters.snmp.client import SnmpSession
from exporters.snmp.config import Module
from exporters.snmp.scrape import ScrapeResult, scrape_module, walk_roots
from exporters.snmp.values import parse_oid

log = logging.getLogger(__name__)

__all__ = ["SPLIT_VALUES", "CachedScrape"]

#: A module whose poll returned more values than this is large: walked ``parallel`` walks at
#: a time from its next poll on, and, with nothing to keep, per column: 80 GETBULKs of 25 or
#: more.
SPLIT_VALUES: Final = 2000


class CachedScrape:
    """Reads the modules of one device (``name``, for logs), keeping its lookup columns."""

    def __init__(self, name: str, config: LookupCacheConfig,
                 clock: Callable[[], float] = time.monotonic, parallel: int = 1) -> None:
        self.name = name
        self.config = config
        self.clock = clock
        self.parallel = parallel
        self.uptime_oid = parse_oid(config.uptime_oid)
        self.markers = [self.uptime_oid, *(parse_oid(o) for o in config.watch_oids)]
        self.plans: dict[str, ModulePlan] = {}
        self.entries: dict[str, CacheEntry] = {}
        self.uptimes: dict[str, int | None] = {}     # module -> sysUpTime at its last poll
        self.sizes: dict[str, int] = {}              # module -> values of its last poll
        #: refreshes by reason (cache.REASONS), for netmon_target_lookup_cache_refreshes_total
        self.refreshes: Counter[str] = Counter()

    def plan(self, module: Module) -> ModulePlan:
        plan = self.plans.get(module.name)
        if plan is None or plan.module is not module:
            columns = self.config.columns if self.config.enabled else ()
            plan = self.plans[module.name] = plan_module(module, columns)
        return plan

    def parallel_for(self, module: Module) -> int:
        """How many of the module's walks run at once: ``parallel`` for a large module."""
        return self.parallel if self.sizes.get(module.name, 0) > SPLIT_VALUES else 1

    async def __call__(self, session: SnmpSession, module: Module) -> ScrapeResult:
        result = await self._scrape(session, module)
        self.sizes[module.name] = len(result.varbinds)
        return result

    async def _scrape(self, session: SnmpSession, module: Module) -> ScrapeResult:
        plan = self.plan(module)
        parallel = self.parallel_for(module)
        if not plan.caches:
            result = await scrape_module(session, plan.live, parallel)
            if self.parallel > 1 and len(result.varbinds) > SPLIT_VALUES \
                    and plan.live is plan.module and not module.filters:
                split = split_columns(module)
                self.plans[module.name] = dataclasses.replace(plan, live=split)
                log.debug("walks split per column device=%s module=%s values=%d walks=%d",
                          self.name, module.name, len(result.varbinds), len(split.walk))
            return result
        start = time.perf_counter()
        sent, retried = session.stats.sent, session.stats.retried
        try:
            marker_binds = await session.get(self.markers)
        except SnmpErrorStatus as exc:  # a device that refuses them: rows and age still work
            log.debug("change markers refused device=%s module=%s error=%s", self.name,
                      module.name, exc)
            marker_binds = []
        markers = Markers.of(marker_binds, self.uptime_oid)
        entry = self.entries.get(module.name)
        reason = refresh_reason(entry, markers, self.uptimes.get(module.name), self.clock(),
                                self.config.refresh)
        self.uptimes[module.name] = markers.uptime
        live = await scrape_module(session, plan.live, parallel)
        if reason is None and entry is not None:
            reason = rows_reason(plan, entry, live.varbinds)
        pdus = len(marker_binds) + len(live.varbinds)
        if reason is not None or entry is None:
            kept = await walk_roots(session, plan.cached, parallel)
            pdus += len(kept)
            entry = self.entries[module.name] = CacheEntry.of(plan, kept, markers,
                                                              self.clock())
            self.refreshes[reason or "first"] += 1
            log.debug("lookup cache refreshed device=%s module=%s reason=%s values=%d",
                      self.name, module.name, reason, len(kept))
        return ScrapeResult([*entry.varbinds, *live.varbinds],
                            session.stats.sent - sent, session.stats.retried - retried,
                            time.perf_counter() - start, pdus=pdus)
