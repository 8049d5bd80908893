"""The collector's own metrics (``/metrics``), in a registry owned by the app.

Per agent (yielded fresh on every scrape from the store, like a client_python custom
collector):

* ``netmon_agent_up{agent,site,district,ward,role,dc}``: 1 while its last report is fresher
  than ``staleness_intervals`` of its intervals; every agent of the inventory has one;
* ``netmon_agent_last_report_timestamp_seconds{agent}``: when the last report was accepted
  (collector clock);
* ``netmon_agent_reports_total{agent,result}``: ``accepted``, ``duplicate``, ``rejected``;
* ``netmon_agent_series{agent}``: series stored for it now;
* ``netmon_agent_newest_batch_timestamp_seconds{agent}``: the collection time (``ts``, the
  agent's clock) of the newest batch received: how current its data is, while
  ``last_report`` says whether it still reaches this collector (an agent whose reports
  arrive but whose newest batch is old is catching up, not dead);
* ``netmon_agent_late_samples_total{agent}``: samples of its late batches;
* ``netmon_site_info{site,kind,district,ward,latitude,longitude}`` 1 for every site of the
  inventory (the WAN map joins on ``site``).

Late samples and remote_write (:mod:`collector.remote_write`):

* ``netmon_collector_late_samples_total``: samples of late batches (not served, forwarded);
* ``netmon_collector_sample_lateness_seconds``: histogram of the receive time minus the
  batch's ``ts`` (0 if negative), one observation per sample of every accepted report;
* ``netmon_collector_remote_write_samples_total{result}``: ``sent``, ``retried`` (per failed
  attempt), ``dropped`` (out of spool room or retries), ``rejected`` (by the store);
* ``netmon_collector_remote_write_pending_samples``, ``..._pending_bytes``: in the spool;
* ``netmon_collector_remote_write_lag_seconds``: how long the oldest pending row has waited.

For the collector: ingest duration (decode + validate + render + store, and spooling what
goes to remote_write, after the body was read), samples and bytes ingested, reports rejected
by reason (``rate_limited``, ``too_many_series`` and ``body_timeout`` are the per-agent
and per-request limits of :mod:`collector.ratelimit`, :mod:`collector.cardinality` and
:mod:`collector.ingest`), authentication failures by reason, families and series dropped
at ingest, scope render duration, series stored, reloads, pushes in progress and the event
loop's lag (admission control: ``reports_rejected_total{reason="throttled"}`` counts the
429s).
``_created`` series are left out: they add a series per counter and nothing netmon uses.

Polled devices: ``netmon_target_*`` per device (:mod:`collector.polling.metrics`) and
``netmon_collector_snmp_requests_total{result}`` for ``/snmp`` (``success``, ``failure``,
``bad_request``).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Metric
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.exposition import generate_latest

from collector.polling.metrics import TargetMetrics
from collector.runtime import Live, Runtime
from exporters.exposition import format_value

if TYPE_CHECKING:
    from collector.admission import Admission
    from collector.remote_write.forwarder import Forwarder

__all__ = ["SelfMetrics", "WeightedHistogram"]

_LATENESS_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0,
                     21600.0, 86400.0)
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
        newest = GaugeMetricFamily("netmon_agent_newest_batch_timestamp_seconds",
                                   "Collection time (agent clock) of the newest batch "
                                   "received from the agent.", labels=["agent"])
        late = CounterMetricFamily("netmon_agent_late_samples", "Samples of the agent's "
                                   "late batches (not served; forwarded through "
                                   "remote_write).", labels=["agent"])
        for agent_id, identity in runtime.inventory.identities.items():
            state = store.agents.get(agent_id)
            if state is None or self.live.elsewhere(agent_id):
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
            if math.isfinite(state.newest_ts):
                newest.add_metric([agent_id], state.newest_ts)
            late.add_metric([agent_id], state.late_samples)
        stored = GaugeMetricFamily("netmon_collector_series", "Series stored, all agents.",
                                   value=store.samples)
        info = GaugeMetricFamily("netmon_collector_info", "This collector's data centre.",
                                 labels=["dc"])
        info.add_metric([runtime.config.dc], 1.0)
        yield from (up, last, reports, series, newest, late, stored, info, _sites(runtime))


def _sites(runtime: Runtime) -> Metric:
    """Every site of the inventory with its coordinates, for maps (joined on ``site``)."""
    districts = {d.code: d.name for d in runtime.inventory.districts}
    info = GaugeMetricFamily("netmon_site_info", "A site of the inventory: its kind (ward or "
                             "dc), district, ward name and coordinates (WGS 84 degrees).",
                             labels=["site", "kind", "district", "ward", "latitude",
                                     "longitude"])
    for site in runtime.inventory.sites:
        info.add_metric([site.id, site.kind, districts.get(site.district, ""),
                         site.name if site.kind == "ward" else "",
                         "" if site.lat is None else f"{site.lat:.6f}",
                         "" if site.lon is None else f"{site.lon:.6f}"], 1.0)
    return info


class WeightedHistogram:
    """A histogram whose observations carry a weight (a batch's lateness counts once per
    sample), which prometheus_client's Histogram cannot do."""

    def __init__(self, name: str, documentation: str, buckets: tuple[float, ...]) -> None:
        self.name, self.documentation = name, documentation
        self.bounds = buckets
        self.counts = [0] * (len(buckets) + 1)      # the last one is +Inf
        self.sum = 0.0

    def observe(self, value: float, weight: int = 1) -> None:
        if weight <= 0:
            return
        self.counts[bisect.bisect_left(self.bounds, value)] += weight
        self.sum += value * weight

    def collect(self) -> Iterator[Metric]:
        cumulative, buckets = 0, []
        for bound, count in zip((*self.bounds, math.inf), self.counts, strict=True):
            cumulative += count
            buckets.append((format_value(bound), cumulative))
        yield HistogramMetricFamily(self.name, self.documentation, buckets=buckets,
                                    sum_value=self.sum)


class _RemoteWriteQueue:
    """The spool's depth and lag, read at scrape time (0 without remote_write)."""

    def __init__(self) -> None:
        self.forwarder: Forwarder | None = None

    def collect(self) -> Iterator[Metric]:
        forwarder = self.forwarder
        spool = forwarder.spool if forwarder is not None else None
        yield GaugeMetricFamily("netmon_collector_remote_write_pending_samples", "Samples "
                                "spooled for remote_write, not yet answered by the store.",
                                value=spool.pending_samples if spool is not None else 0)
        yield GaugeMetricFamily("netmon_collector_remote_write_pending_bytes", "Bytes of the "
                                "spooled remote_write requests (snappy-compressed).",
                                value=spool.pending_bytes if spool is not None else 0)
        yield GaugeMetricFamily("netmon_collector_remote_write_lag_seconds", "How long the "
                                "oldest pending remote_write request has waited (0: none).",
                                value=forwarder.lag() if forwarder is not None else 0.0)


class _Load:
    """Admission control's view: pushes in progress and the event loop's lag."""

    def __init__(self) -> None:
        self.admission: Admission | None = None

    def collect(self) -> Iterator[Metric]:
        admission = self.admission
        yield GaugeMetricFamily("netmon_collector_pushes_in_flight", "Pushes admitted and not "
                                "yet answered.",
                                value=admission.in_flight if admission is not None else 0)
        yield GaugeMetricFamily("netmon_collector_event_loop_lag_seconds", "How late the "
                                "collector's event loop runs (the average over the last "
                                "second); past admission's limits pushes are answered 429.",
                                value=admission.lag.current() if admission is not None else 0)


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
            "store one push (spooling for remote_write included), after its body was read.",
            buckets=_INGEST_BUCKETS, registry=r)
        self.ingest_samples = Counter("netmon_collector_ingest_samples", "Samples stored from "
                                      "accepted reports.", registry=r)
        self.ingest_bytes = Counter("netmon_collector_ingest_bytes", "Push body bytes read "
                                    "(as sent, compressed).", registry=r)
        self.rejected = Counter("netmon_collector_reports_rejected", "Pushes refused, by "
                                "reason.", ["reason"], registry=r)
        self.auth_failures = Counter("netmon_collector_auth_failures", "Pushes refused for "
                                     "their token, by reason: missing (no bearer token), "
                                     "unknown (not in the inventory, or revoked), expired.",
                                     ["reason"], registry=r)
        for reason in ("missing", "unknown", "expired"):
            self.auth_failures.labels(reason)
        self.dropped = Counter("netmon_collector_dropped", "Families or series dropped at "
                               "ingest: families whose name another agent stored with another "
                               "type (type_conflict), series repeated within a family "
                               "(duplicate_series), samples of late batches with no "
                               "remote_write configured (late).", ["reason"], registry=r)
        self.render_duration = Histogram(
            "netmon_collector_render_duration_seconds", "Time to assemble a scope's "
            "exposition.", ["scope"], buckets=_RENDER_BUCKETS, registry=r)
        self.reload_success = Gauge("netmon_collector_config_last_reload_successful",
                                    "Whether the last config and inventory (re)load "
                                    "succeeded.", registry=r)
        self.reload_time = Gauge("netmon_collector_config_last_reload_success_timestamp_seconds",
                                 "When config and inventory were last loaded.", registry=r)
        for reason in ("not_ready", "unauthorized", "unsupported_media_type", "too_large",
                       "malformed", "throttled", "client_gone", "rate_limited",
                       "too_many_series", "body_timeout", "identity_mismatch"):
            self.rejected.labels(reason)
        self.late_samples = Counter("netmon_collector_late_samples", "Samples of late batches "
                                    "(collected more than late_after_intervals ago, or older "
                                    "than the batch stored): not served, forwarded through "
                                    "remote_write.", registry=r)
        self.lateness = WeightedHistogram(
            "netmon_collector_sample_lateness_seconds", "Receive time minus collection time "
            "(agent clock) of every accepted sample.", _LATENESS_BUCKETS)
        r.register(self.lateness)
        self.remote_write_samples = Counter(
            "netmon_collector_remote_write_samples", "Samples forwarded through remote_write, "
            "by result: sent (2xx), retried (a failed attempt, per attempt), dropped (no "
            "room in the spool, or out of retries), rejected (by the store, not retried).",
            ["result"], registry=r)
        for result in ("sent", "retried", "dropped", "rejected"):
            self.remote_write_samples.labels(result)
        self.remote_write_queue = _RemoteWriteQueue()
        r.register(self.remote_write_queue)
        for reason in ("type_conflict", "duplicate_series", "late"):
            self.dropped.labels(reason)
        self.admission = _Load()
        r.register(self.admission)
        r.register(_Agents(live))
        self.targets = TargetMetrics()
        r.register(self.targets)
        self.snmp_requests = Counter("netmon_collector_snmp_requests", "/snmp requests, by "
                                     "result: success, failure (a module failed: 500), "
                                     "bad_request (400).", ["result"], registry=r)
        for result in ("success", "failure", "bad_request"):
            self.snmp_requests.labels(result)

    def render(self) -> bytes:
        return generate_latest(_WithoutCreated(self.registry))
