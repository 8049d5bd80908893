"""The one contract every exporter implements.

An exporter is configured once (its constructor takes a typed, frozen config) and then,
each time it runs, returns fresh Prometheus metric families, the way a custom collector of
prometheus_client yields them from ``collect()``.

Families are :class:`prometheus_client.Metric` objects used in the *Prometheus text format*
sense: ``family.name`` is the name that appears on the ``# HELP``/``# TYPE`` lines, so a
counter family is named ``node_cpu_seconds_total`` (node_exporter) or ``ifHCInOctets``
(snmp_exporter) exactly as those exporters print it. Nothing strips or appends ``_total``.

An exporter raises :class:`exporters.errors.ExporterError` (or any exception) when it cannot
produce its families at all; the harness turns that into ``netmon_exporter_success 0`` and one
log line. Partial trouble (one bad value among many) is reported as metrics by the exporter
itself and is not an exception.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from prometheus_client import Metric

__all__ = ["Exporter", "Metric"]


@runtime_checkable
class Exporter(Protocol):
    """A configured source of metric families."""

    @property
    def name(self) -> str:
        """Unique name of this configured exporter: the ``exporter`` label of its self-metrics."""
        ...

    async def collect(self) -> list[Metric]:
        """Produce this run's families. Must not block the event loop."""
        ...
