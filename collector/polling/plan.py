"""Which parts of a module are walked on every poll and which are kept between polls. Pure.

A module walks whole subtrees (``if_mib``: ``1.3.6.1.2.1.2`` and ``1.3.6.1.2.1.31.1.1``); the
columns to keep (:class:`~collector.polling.config.LookupCacheConfig`'s ``columns``: a
module's metric by name, such as ``ifType``, or a lookup by the label it adds, such as
``ifName``) lie inside them. A walk that holds one is split into walks of the columns the
module needs (its metrics, its lookups, and the type column before each combined-type
value), less the kept ones; a walk that lies inside a kept column is left to the refresh.
Everything the mapping reads is still read, so the series are the same.

For each kept column the plan also names a live column of the same table to compare rows
with (:class:`RowCheck`), so an interface added or removed between refreshes is noticed
on the next poll even on a device without ``ifTableLastChange``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from exporters.snmp.config import MetricSpec, Module
from exporters.snmp.value_text import COMBINED_TYPES
from exporters.snmp.values import Oid, format_oid, parse_oid

__all__ = ["ModulePlan", "RowCheck", "is_under", "needed_oids", "outermost", "plan_module"]


@dataclass(frozen=True, slots=True)
class RowCheck:
    """Compare the rows (index suffixes) of a kept column with a live one's.

    ``exact``: a kept *metric* column must have exactly the live rows (a row kept for an
    interface that is gone would be a series of its own); a kept *lookup* column need only
    cover them (an extra row is never looked up)."""

    cached: Oid
    live: Oid
    exact: bool


@dataclass(frozen=True, slots=True)
class ModulePlan:
    module: Module                 # as configured
    live: Module                   # what every poll reads: the module less the kept columns
    cached: tuple[Oid, ...]        # what a refresh walks
    checks: tuple[RowCheck, ...]

    @property
    def caches(self) -> bool:
        return bool(self.cached)


def is_under(oid: Oid, root: Oid) -> bool:
    """Whether ``oid`` is ``root`` or lies in its subtree."""
    return oid[:len(root)] == root


def type_column(oid: Oid) -> Oid:
    """The column before ``oid``'s: where a combined type (InetAddress...) keeps its type."""
    return (*oid[:-1], oid[-1] - 1)


def needed_oids(module: Module) -> set[Oid]:
    """Every OID the mapping may read: metrics, lookups, the type column of combined types."""
    out: set[Oid] = set()
    for spec in module.metrics:
        oid = parse_oid(spec.oid)
        out.add(oid)
        if spec.type in COMBINED_TYPES:
            out.add(type_column(oid))
        for lookup in spec.lookups:
            if lookup.oid:
                lk = parse_oid(lookup.oid)
                out.add(lk)
                if lookup.type in COMBINED_TYPES:
                    out.add(type_column(lk))
    return out


def outermost(oids: Iterable[Oid]) -> list[Oid]:
    """Sorted, without any OID that lies under another of them."""
    out: list[Oid] = []
    for oid in sorted(set(oids)):
        if not out or not is_under(oid, out[-1]):
            out.append(oid)
    return out


def _candidates(module: Module, names: Collection[str]) -> set[Oid]:
    out: set[Oid] = set()
    for spec in module.metrics:
        if spec.name in names:
            out.add(parse_oid(spec.oid))
        out.update(parse_oid(lk.oid) for lk in spec.lookups if lk.oid and lk.labelname in names)
    return out


def plan_module(module: Module, names: Collection[str]) -> ModulePlan:
    """The plan for ``module`` keeping the columns called ``names`` (none: no caching)."""
    walks = [parse_oid(w) for w in module.walk]
    cached = {c for c in _candidates(module, names)
              if any(is_under(c, w) or is_under(w, c) for w in walks)}
    needed = needed_oids(module)
    live: list[Oid] = []
    roots: list[Oid] = []
    for walk in walks:
        if any(is_under(walk, c) for c in cached):
            roots.append(walk)           # the walk is all kept: a refresh reads it
            continue
        inside = [c for c in cached if is_under(c, walk)]
        parts = [o for o in needed if is_under(o, walk)]
        if not inside or any(is_under(c, o) and c != o for c in inside for o in parts):
            # Nothing kept here, or the module maps something that holds a kept column
            # (then that column is read live, never kept).
            cached.difference_update(inside)
            live.append(walk)
            continue
        live.extend(o for o in parts if not any(is_under(o, c) for c in inside))
        roots.extend(inside)
    roots = outermost(r for r in roots if any(is_under(r, c) for c in cached))
    if not roots:
        return ModulePlan(module, module, (), ())
    live = outermost(live)
    live_module = dataclasses.replace(module, walk=tuple(format_oid(o) for o in live))
    return ModulePlan(module, live_module, tuple(roots),
                      tuple(_checks(module, set(roots), live)))


def _checks(module: Module, roots: set[Oid], live: list[Oid]) -> Iterable[RowCheck]:
    def walked_live(spec: MetricSpec) -> bool:
        oid = parse_oid(spec.oid)
        return oid not in roots and any(is_under(oid, w) for w in live)

    for root in sorted(roots):
        metric = next((s for s in module.metrics if parse_oid(s.oid) == root and s.indexes),
                      None)
        if metric is not None:
            twin = next((s for s in module.metrics if s.indexes == metric.indexes
                         and walked_live(s)), None)
            if twin is not None:
                yield RowCheck(root, parse_oid(twin.oid), exact=True)
            continue
        for spec in module.metrics:
            labels = tuple(i.labelname for i in spec.indexes)
            if labels and walked_live(spec) and any(
                    lk.oid and parse_oid(lk.oid) == root and lk.labels == labels
                    for lk in spec.lookups):
                yield RowCheck(root, parse_oid(spec.oid), exact=False)
                break
