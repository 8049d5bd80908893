"""The lookup cache of one device: kept columns per module, and when to read them again.

Pure: :mod:`collector.polling.scrape` does the reading. A module's kept columns
(:class:`~collector.polling.plan.ModulePlan`) are read again when

* nothing is kept yet (``first``), or ``refresh`` seconds have passed (``expired``);
* ``sysUpTime`` is lower than at the previous poll (``restarted``: interfaces may have been
  renumbered);
* a watched marker (``ifTableLastChange``, ``entLastChangeTime``) changed (``changed``);
* a live column of the same table has a row the kept column lacks, or a kept metric column
  has a row the live one lacks (``rows``: an interface came or went, and the device does
  not keep ``ifTableLastChange``).

The reason labels ``netmon_target_lookup_cache_refreshes_total``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from collector.polling.plan import ModulePlan
from exporters.snmp.values import Oid, Value, VarBind

__all__ = ["REASONS", "CacheEntry", "Markers", "refresh_reason", "rows_reason"]

REASONS = ("first", "expired", "restarted", "changed", "rows")


@dataclass(frozen=True, slots=True)
class Markers:
    """What a device says about change: its uptime and the watched values."""

    uptime: int | None
    watched: tuple[tuple[Oid, int, Value], ...]

    @classmethod
    def of(cls, varbinds: Sequence[VarBind], uptime_oid: Oid) -> Markers:
        uptime = None
        watched = []
        for oid, tag, value in varbinds:
            if oid == uptime_oid:
                uptime = value if isinstance(value, int) else None
            else:
                watched.append((oid, tag, value))
        return cls(uptime, tuple(sorted(watched, key=lambda vb: vb[0])))


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """The kept columns of one module of one device, as read at ``fetched`` (monotonic)."""

    varbinds: tuple[VarBind, ...]
    rows: dict[Oid, frozenset[Oid]]
    markers: Markers
    fetched: float

    @classmethod
    def of(cls, plan: ModulePlan, varbinds: Sequence[VarBind], markers: Markers,
           fetched: float) -> CacheEntry:
        columns = {check.cached for check in plan.checks}
        return cls(tuple(varbinds), {c: rows_of(varbinds, c) for c in columns}, markers,
                   fetched)


def rows_of(varbinds: Iterable[VarBind], column: Oid) -> frozenset[Oid]:
    """The index suffixes of ``column``'s values among ``varbinds``."""
    size = len(column)
    return frozenset(oid[size:] for oid, _, _ in varbinds if oid[:size] == column)


def refresh_reason(entry: CacheEntry | None, markers: Markers, last_uptime: int | None,
                   now: float, refresh: float) -> str | None:
    """Why the kept columns must be read again before this poll's mapping, or None.
    ``last_uptime``: the uptime the previous poll saw (a restart since the last refresh
    but before the previous poll has been noticed by that poll already)."""
    if entry is None:
        return "first"
    if now - entry.fetched >= refresh:
        return "expired"
    if markers.uptime is not None and last_uptime is not None and markers.uptime < last_uptime:
        return "restarted"
    if markers.watched != entry.markers.watched:
        return "changed"
    return None


def rows_reason(plan: ModulePlan, entry: CacheEntry, live: Sequence[VarBind]) -> str | None:
    """``rows`` when this poll's live rows no longer match the kept ones."""
    seen: dict[Oid, frozenset[Oid]] = {}
    for check in plan.checks:
        rows = seen.get(check.live)
        if rows is None:
            rows = seen[check.live] = rows_of(live, check.live)
        kept = entry.rows.get(check.cached, frozenset())
        if not rows <= kept or (check.exact and rows != kept):
            return "rows"
    return None
