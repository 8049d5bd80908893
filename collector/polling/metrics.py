"""Per-target metrics of the collector's polling, on ``/metrics`` (read at scrape time):

* ``netmon_target_up{target}``: 1 when the device's last poll succeeded in every module (0
  for a device that is not polled because its modules or auth are unknown);
* ``netmon_target_poll_duration_seconds{target}``, ``netmon_target_pdus_returned{target}``,
  ``netmon_target_packets_sent{target}``: the last poll;
  ``netmon_target_poll_delay_seconds{target}``: how late after its tick the last poll
  started (waiting for a free slot of ``snmp.concurrency``, or a busy event loop);
* ``netmon_target_last_success_timestamp_seconds{target}``;
* ``netmon_target_polls_total{target,result}`` (``success``, ``failure``),
  ``netmon_target_errors_total{target,kind}`` (``timeout``, ``transport``, ``protocol``,
  ``error_status``, ``limit``, ``deadline``, ``config``, ``other``),
  ``netmon_target_skipped_polls_total{target}`` (a poll outlasted its interval),
  ``netmon_target_lookup_cache_refreshes_total{target,reason}`` (:mod:`..cache`);
* ``netmon_collector_polls_in_flight``.

``target`` is the device's name, which is also the ``agent`` label of its series.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from collector.polling.cache import REASONS

if TYPE_CHECKING:
    from collector.polling.poller import Poller

__all__ = ["TargetMetrics"]


class TargetMetrics:
    def __init__(self) -> None:
        self.poller: Poller | None = None

    def collect(self) -> Iterator[Metric]:
        poller = self.poller
        up = GaugeMetricFamily("netmon_target_up", "Whether the device's last poll by this "
                               "collector succeeded in every module.", labels=["target"])
        duration = GaugeMetricFamily("netmon_target_poll_duration_seconds", "How long the "
                                     "device's last poll took.", labels=["target"])
        delay = GaugeMetricFamily("netmon_target_poll_delay_seconds", "How late after its "
                                  "tick the device's last poll started.", labels=["target"])
        pdus = GaugeMetricFamily("netmon_target_pdus_returned", "Values the device returned "
                                 "in its last poll.", labels=["target"])
        packets = GaugeMetricFamily("netmon_target_packets_sent", "Requests sent to the "
                                    "device in its last poll, retries included.",
                                    labels=["target"])
        success = GaugeMetricFamily("netmon_target_last_success_timestamp_seconds", "When "
                                    "the device's last successful poll ended.",
                                    labels=["target"])
        polls = CounterMetricFamily("netmon_target_polls", "Polls of the device, by result.",
                                    labels=["target", "result"])
        errors = CounterMetricFamily("netmon_target_errors", "Failed polls of the device's "
                                     "modules, by kind.", labels=["target", "kind"])
        skipped = CounterMetricFamily("netmon_target_skipped_polls", "Polls not made because "
                                      "the previous one outlasted the interval.",
                                      labels=["target"])
        refreshes = CounterMetricFamily("netmon_target_lookup_cache_refreshes", "Reads of the "
                                        "device's kept lookup columns, by reason.",
                                        labels=["target", "reason"])
        if poller is not None:
            for name, target in sorted(poller.targets.items()):
                stats = target.stats
                up.add_metric([name], 1.0 if stats.up else 0.0)
                if stats.polls:
                    duration.add_metric([name], stats.duration)
                    delay.add_metric([name], stats.delay)
                    pdus.add_metric([name], stats.pdus)
                    packets.add_metric([name], stats.packets)
                if stats.last_success is not None:
                    success.add_metric([name], stats.last_success)
                for result in ("success", "failure"):
                    polls.add_metric([name, result], stats.polls[result])
                for kind, count in sorted(stats.errors.items()):
                    errors.add_metric([name, kind], count)
                skipped.add_metric([name], stats.skipped)
                if target.scrape.plans and any(p.caches for p in target.scrape.plans.values()):
                    for reason in REASONS:
                        refreshes.add_metric([name, reason], target.scrape.refreshes[reason])
            for name in sorted(poller.invalid):
                up.add_metric([name], 0.0)
                errors.add_metric([name, "config"], 1.0)
        yield from (up, duration, delay, pdus, packets, success, polls, errors, skipped, refreshes)
        yield GaugeMetricFamily("netmon_collector_polls_in_flight", "Device polls in progress.",
                                value=poller.in_flight if poller is not None else 0)
