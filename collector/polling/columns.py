"""A module's walks split per column, for parallel walks (:mod:`collector.polling.scrape`).
Pure.

``if_mib`` walks two subtrees (``1.3.6.1.2.1.2`` and ``1.3.6.1.2.1.31.1.1``); split, it walks
each column the mapping reads (its metrics, its lookups, the type column before a
combined-type value: :mod:`collector.polling.plan`'s rule), so several GETBULK streams can
run at once. Columns the module does not map are no longer read, so
``snmp_scrape_pdus_returned`` counts fewer values than snmp_exporter's walk of the whole
subtree (the series are the same). A walk with nothing mapped under it is kept whole.
"""

from __future__ import annotations

import dataclasses

from collector.polling.plan import is_under, needed_oids, outermost
from exporters.snmp.config import Module
from exporters.snmp.values import Oid, format_oid, parse_oid

__all__ = ["split_columns"]


def split_columns(module: Module) -> Module:
    """``module`` with each walk replaced by the outermost mapped OIDs under it."""
    needed = needed_oids(module)
    roots: list[Oid] = []
    for walk in (parse_oid(w) for w in module.walk):
        if any(is_under(walk, o) for o in needed):   # the walk is one column (or inside one)
            roots.append(walk)
            continue
        parts = [o for o in needed if is_under(o, walk)]
        roots.extend(parts or [walk])
    return dataclasses.replace(module, walk=tuple(format_oid(o) for o in outermost(roots)))
