"""Parsed rows to metric families, as a table's mapping says. Pure: no I/O, no clock.

Every sample carries ``device``; see :mod:`exporters.cli.mapping` for how a field's text
becomes a value. Metrics of a table that share a name (inlet and hotspot temperature) become
one family.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import Metric

from exporters.cli.mapping import UNPARSABLE, TableMapping

__all__ = ["MappedTable", "map_rows"]


@dataclass(frozen=True, slots=True)
class MappedTable:
    """A table's families, and how many field texts could not be read as values."""

    families: list[Metric]
    unparsable: int


def map_rows(table: TableMapping, rows: Sequence[Mapping[str, str]],
             device: str) -> MappedTable:
    """The families of one table's rows."""
    families: dict[str, Metric] = {}
    unparsable = 0
    for metric in table.metrics:
        family = families.get(metric.name)
        if family is None:
            family = families[metric.name] = Metric(metric.name, metric.help, metric.type)
        for row in rows:
            value = metric.convert(row.get(metric.value, ""))
            if value is UNPARSABLE:
                unparsable += 1
                continue
            if not isinstance(value, float):  # None: no sample, by the mapping's choice
                continue
            labels = {"device": device}
            labels.update((label, row.get(field, "").strip()) for field, label in metric.labels)
            labels.update(metric.const_labels)
            family.add_sample(metric.name, labels, value)
    return MappedTable([f for f in families.values() if f.samples], unparsable)
