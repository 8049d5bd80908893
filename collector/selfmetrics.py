"""The collector's own metrics (``/metrics``), in a registry owned by the app.

Per agent (yielded fresh on every scrape from the store, like a client_python custom
collector):

* ``netmon_agent_up{agent,site,district,ward,role,dc}``: 1 while its last report is fresher
  than ``staleness_intervals`` of its intervals; every agent of the inventory has one;
* ``netmon_agent_last_report_timestamp_seconds{agent}``: when the last report was accepted
  (collector clock);
* ``netmon_agent_reports_total{agent,result}``: ``accepted``, ``duplicate``, ``rejected``;
* ``netmon_agent_series{agent}``: series stored for it now.

For the collector: ingest duration (decode + validate + render + store, after the body was
read), samples and bytes ingested, reports rejected by reason, authentication failures,
families and series dropped at ingest, scope render duration, series stored, reloads.
``_created`` series are left out: they add a series per counter and nothing netmon uses.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import generate_latest

from collector.runtime import Live

__all__ = ["SelfMetrics"]

_INGEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
_RENDER_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Agents:
    """Per-agent series, from the store at scrape time."""

    def __init__(self, live: Live) -> None:
        self.live = live

    def collect(self) -> Iterator[Metric]:
        runtime, store = self.live.runtime, self.live.store
        if runtime is None or store is None:
            return
        now = store.clock.monotonic()
        up = GaugeMetricFamily("netmon_agent_up", "Whether the agent's reports are fresh "
                               "(1) or stale or missing (0).",
                               labels=["agent", "site", "district", "ward", "role", "dc"])
        last = GaugeMetricFamily("netmon_agent_last_report_timestamp_seconds",
                                 "When the collector accepted the agent's last report.",
                                 labels=["agent"])
        reports = CounterMetricFamily("netmon_agent_reports", "Reports received from the "
                                      "agent, by result.", labels=["agent", "result"])
        series = GaugeMetricFamily("netmon_agent_series", "Series stored for the agent.",
                                   labels=["agent"])
        for agent_id, identity in runtime.inventory.identities.items():
            state = store.agents.get(agent_id)
            if state is None:
                continue
            labels = identity.labels()
            up.add_metric([labels[k] for k in ("agent", "site", "district", "ward", "role",
                                                "dc")],
                          1.0 if state.is_up(now, store.staleness) else 0.0)
            if state.last_report_wall is not None:
                last.add_metric([agent_id], state.last_report_wall)
            for result, count in state.reports.items():
                reports.add_metric([agent_id, result], count)
            series.add_metric([agent_id], sum(f.samples for b in state.batches.values()
                                              for f in b.families))
        stored = GaugeMetricFamily("netmon_collector_series", "Series stored, all agents.",
                                   value=store.samples)
        info = GaugeMetricFamily("netmon_collector_info", "This collector's data centre.",
                                 labels=["dc"])
        info.add_metric([runtime.config.dc], 1.0)
        yield from (up, last, reports, series, stored, info)


class _WithoutCreated:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        for family in self.registry.collect():
            samples = [s for s in family.samples if not s.name.endswith("_created")]
            if samples:
                out = Metric(family.name, family.documentation, family.type, family.unit)
                out.samples = samples
                yield out


class SelfMetrics:
    def __init__(self, live: Live) -> None:
        r = self.registry = CollectorRegistry()
        self.ingest_duration = Histogram(
            "netmon_collector_ingest_duration_seconds", "Time to decode, validate, render and "
            "store one push, after its body was read.", buckets=_INGEST_BUCKETS, registry=r)
        self.ingest_samples = Counter("netmon_collector_ingest_samples", "Samples stored from "
                                      "accepted reports.", registry=r)
        self.ingest_bytes = Counter("netmon_collector_ingest_bytes", "Push body bytes read "
                                    "(as sent, compressed).", registry=r)
        self.rejected = Counter("netmon_collector_reports_rejected", "Pushes refused, by "
                                "reason.", ["reason"], registry=r)
        self.auth_failures = Counter("netmon_collector_auth_failures", "Pushes without a "
                                     "known bearer token.", registry=r)
        self.dropped = Counter("netmon_collector_dropped", "Families or series dropped at "
                               "ingest: families whose name another agent stored with another "
                               "type (type_conflict), series repeated within a family "
                               "(duplicate_series).", ["reason"], registry=r)
        self.render_duration = Histogram(
            "netmon_collector_render_duration_seconds", "Time to assemble a scope's "
            "exposition.", ["scope"], buckets=_RENDER_BUCKETS, registry=r)
        self.reload_success = Gauge("netmon_collector_config_last_reload_successful",
                                    "Whether the last config and inventory (re)load "
                                    "succeeded.", registry=r)
        self.reload_time = Gauge("netmon_collector_config_last_reload_success_timestamp_seconds",
                                 "When config and inventory were last loaded.", registry=r)
        for reason in ("not_ready", "unauthorized", "unsupported_media_type", "too_large",
                       "malformed"):
            self.rejected.labels(reason)
        for reason in ("type_conflict", "duplicate_series"):
            self.dropped.labels(reason)
        r.register(_Agents(live))

    def render(self) -> bytes:
        return generate_latest(_WithoutCreated(self.registry))
