"""What one module asks of one target: snmp_exporter's ``ScrapeTarget``.

Dynamic ``filters`` first (walk the filter column, keep the matching indexes, then GET only
those rows of the target columns), then the ``get`` OIDs, then every ``walk`` subtree: one
after the other as snmp_exporter does, or (``parallel`` > 1, the collector's poller) up to
``parallel`` walks in flight at once, their values kept in the module's walk order, so the
result is the same; the first walk that fails cancels the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from exporters.errors import SnmpError
from exporters.snmp.client import SnmpSession
from exporters.snmp.config import Module
from exporters.snmp.value_text import value_as_text
from exporters.snmp.values import Oid, VarBind, parse_oid

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


async def walk_roots(session: SnmpSession, roots: Sequence[Oid], parallel: int = 1
                     ) -> list[VarBind]:
    """Walk every root, at most ``parallel`` at once; the values in the order of ``roots``."""
    if parallel <= 1 or len(roots) <= 1:
        out: list[VarBind] = []
        for root in roots:
            out.extend(await session.walk(root))
        return out
    bound = asyncio.Semaphore(parallel)

    async def one(root: Oid) -> list[VarBind]:
        async with bound:
            return await session.walk(root)

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(root)) for root in roots]
    except BaseExceptionGroup as failed:   # the first failure, as a sequential walk raises
        raise failed.exceptions[0] from None
    return [vb for task in tasks for vb in task.result()]


async def scrape_module(session: SnmpSession, module: Module, parallel: int = 1
                        ) -> ScrapeResult:
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
    varbinds.extend(await walk_roots(session, [parse_oid(w) for w in walks], parallel))
    log.debug("walked module=%s subtrees=%d total=%d", module.name, len(walks), len(varbinds))
    return ScrapeResult(varbinds, session.stats.sent - sent_before,
                        session.stats.retried - retried_before, time.perf_counter() - start)


__all__ = ["ScrapeResult", "scrape_module", "walk_roots"]
