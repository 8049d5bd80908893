"""What one module asks of one target: snmp_exporter's ``ScrapeTarget``.

Dynamic ``filters`` first (walk the filter column, keep the matching indexes, then GET only
those rows of the target columns), then the ``get`` OIDs, then every ``walk`` subtree.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from exporters.errors import SnmpError
from exporters.snmp.client import SnmpSession
from exporters.snmp.config import Module
from exporters.snmp.value_text import value_as_text
from exporters.snmp.values import VarBind, parse_oid

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScrapeResult:
    varbinds: list[VarBind]
    packets_sent: int
    packets_retried: int
    walk_seconds: float
    #: Values the device returned, when not all of ``varbinds`` came from it (a scrape that
    #: reuses values it kept from an earlier one); None: ``len(varbinds)``.
    pdus: int | None = None

    @property
    def pdus_returned(self) -> int:
        return len(self.varbinds) if self.pdus is None else self.pdus


async def scrape_module(session: SnmpSession, module: Module) -> ScrapeResult:
    start = time.perf_counter()
    sent_before = session.stats.sent
    retried_before = session.stats.retried
    gets = list(module.get)
    walks = list(module.walk)
    for flt in module.filters:
        try:
            rows = await session.walk(parse_oid(flt.oid))
        except SnmpError as exc:  # snmp_exporter, too, skips a filter it cannot walk
            log.info("filter walk failed, not filtering module=%s oid=%s error=%s",
                     module.name, flt.oid, exc)
            continue
        allowed = [str(oid[-1]) for oid, tag, value in rows
                   if any(p.search(value_as_text(tag, value, "DisplayString"))
                          for p in flt.values)]
        walks = [w for w in walks if w not in flt.targets]
        gets = [g for g in gets if not any(g.startswith(t) for t in flt.targets)]
        gets.extend(f"{t}.{i}" for t in flt.targets for i in allowed)
    varbinds: list[VarBind] = []
    if gets:
        varbinds.extend(await session.get([parse_oid(g) for g in gets]))
    for subtree in walks:
        varbinds.extend(await session.walk(parse_oid(subtree)))
        log.debug("walked module=%s subtree=%s total=%d", module.name, subtree, len(varbinds))
    return ScrapeResult(varbinds, session.stats.sent - sent_before,
                        session.stats.retried - retried_before, time.perf_counter() - start)


__all__ = ["ScrapeResult", "scrape_module"]
