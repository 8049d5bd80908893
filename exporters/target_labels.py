"""Labels that name where a metric came from, added to every sample of an exporter.

Prometheus puts a scraped target's labels (``instance``, and whatever relabelling adds) on
every series of that target. An agent that polls its routers itself has no scrape to add them,
so it wraps each SNMP exporter in :class:`TargetLabels`: an agent with two routers keeps their
``ifHCInOctets{ifIndex="1"}`` apart by ``instance``, as snmp_exporter's users are used to.
A label the exporter already set is left as it is (the exporter knows better).
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Metric

from exporters.contract import Exporter


class TargetLabels:
    """An exporter whose samples all carry ``labels`` too."""

    def __init__(self, exporter: Exporter, labels: Mapping[str, str]) -> None:
        self.exporter = exporter
        self.labels = dict(labels)

    @property
    def name(self) -> str:
        return self.exporter.name

    async def collect(self) -> list[Metric]:
        families = await self.exporter.collect()
        # Exporters share one labels dict between the samples of a row; so does this.
        extended: dict[int, dict[str, str]] = {}
        out = []
        for family in families:
            copy = Metric(family.name, family.documentation, family.type)
            for sample in family.samples:
                labels = extended.get(id(sample.labels))
                if labels is None:
                    labels = extended[id(sample.labels)] = {**self.labels, **sample.labels}
                copy.samples.append(sample._replace(labels=labels))
            out.append(copy)
        return out
