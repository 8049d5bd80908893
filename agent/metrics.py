"""The agent's own metrics, ``netmon_agent_*``: what it ran, what it delivered, what it lost.

They travel in every report as the batch named ``agent`` (see :mod:`agent.report`), so a
collector always holds the agent's newest view of itself. Every label value is known from the
config, and every series is there from the start at 0 (a counter that appears at 1 hides its
first increment from ``rate()``):

    netmon_agent_build_info{version}                         1
    netmon_agent_exporter_runs_total{exporter}               runs started
    netmon_agent_exporter_skipped_runs_total{exporter}       ticks skipped: the run before was
                                                             still going
    netmon_agent_reports_sent_total{collector}               reports acknowledged
    netmon_agent_report_bytes_total{collector}               their gzipped bytes
    netmon_agent_last_success_timestamp_seconds{collector}   when the last one was (0: never)
    netmon_agent_reports_failed_total{collector,reason}      pushes that failed (timeout,
                                                             connection, server_error,
                                                             throttled, unauthorized,
                                                             rejected, bad_answer)
    netmon_agent_reports_dropped_total{collector,reason}     reports given up: dropped from
                                                             the spool (max_bytes, max_age,
                                                             disk_full, corrupt) or by the
                                                             shipper (rejected, retries)
    netmon_agent_spool_dropped_samples_total{collector,reason}  the samples in the reports the
                                                             spool dropped before the
                                                             collector had them
    netmon_agent_spool_quarantined_total                     corrupt spool files set aside
    netmon_agent_spool_reports                               reports in the spool
    netmon_agent_spool_bytes                                 their bytes (gzipped, as sent)
    netmon_agent_spool_oldest_age_seconds                    age of the oldest (0: empty)
    netmon_agent_spool_backlog_reports{collector}            reports the collector has not
                                                             acknowledged yet
    netmon_agent_spool_backlog_age_seconds{collector}        age of the oldest of them (0:
                                                             none): how late the site's data
                                                             is at that collector

A report the spool drops is lost for every collector that had not acknowledged it, so it is
counted once for each of them; a report delivered everywhere is removed and counted nowhere.

Each exporter's ``netmon_exporter_duration_seconds`` and ``netmon_exporter_success`` travel in
that exporter's own batch, with the run they describe (see :mod:`agent.report`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import Metric

from agent.outbox import SpoolStats

__all__ = ["DROP_REASONS", "FAILURE_REASONS", "SPOOL_DROP_REASONS", "AgentMetrics"]

FAILURE_REASONS = ("timeout", "connection", "server_error", "throttled", "unauthorized",
                   "rejected", "bad_answer")
#: Why the spool drops a report: a bound was reached (``max_bytes``, ``max_age``), the disk
#: was full, or the report's bytes were found corrupt.
SPOOL_DROP_REASONS = ("max_bytes", "max_age", "disk_full", "corrupt")
DROP_REASONS = (*SPOOL_DROP_REASONS, "rejected", "retries")


def _version() -> str:
    try:
        return version("netmon")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


class AgentMetrics:
    """Counters and gauges of one agent; :meth:`families` gives them as metric families."""

    def __init__(self, collectors: Sequence[str], exporters: Sequence[str]) -> None:
        self.version = _version()
        self.runs = dict.fromkeys(exporters, 0)
        self.skipped = dict.fromkeys(exporters, 0)
        self.sent = dict.fromkeys(collectors, 0)
        self.bytes = dict.fromkeys(collectors, 0)
        self.last_success = dict.fromkeys(collectors, 0.0)
        self.failed = {(c, r): 0 for c in collectors for r in FAILURE_REASONS}
        self.dropped = {(c, r): 0 for c in collectors for r in DROP_REASONS}
        self.dropped_samples = {(c, r): 0 for c in collectors for r in SPOOL_DROP_REASONS}
        self.quarantined = 0

    # --- updates --------------------------------------------------------------------------

    def ran(self, exporter: str) -> None:
        self.runs[exporter] = self.runs.get(exporter, 0) + 1

    def add_skipped(self, exporter: str, ticks: int) -> None:
        self.skipped[exporter] = self.skipped.get(exporter, 0) + ticks

    def delivered(self, collector: str, size: int, now: float) -> None:
        self.sent[collector] += 1
        self.bytes[collector] += size
        self.last_success[collector] = now

    def failure(self, collector: str, reason: str) -> None:
        self.failed[collector, reason] = self.failed.get((collector, reason), 0) + 1

    def drop(self, collector: str, reason: str, reports: int = 1) -> None:
        self.dropped[collector, reason] = self.dropped.get((collector, reason), 0) + reports

    def spool_drop(self, collector: str, reason: str, reports: int, samples: int) -> None:
        """The spool dropped ``reports`` (holding ``samples``) the collector never had."""
        self.drop(collector, reason, reports)
        key = (collector, reason)
        self.dropped_samples[key] = self.dropped_samples.get(key, 0) + samples

    # --- exposition -------------------------------------------------------------------------

    def families(self, spool: SpoolStats | None = None) -> list[Metric]:
        """The families, with the spool's gauges as they are now (none without a spool)."""
        info = Metric("netmon_agent_build_info", "The netmon agent's version.", "gauge")
        info.add_sample(info.name, {"version": self.version}, 1.0)
        out = [
            info,
            _family("netmon_agent_exporter_runs_total", "counter",
                    "Exporter runs started by the agent's scheduler.", "exporter", self.runs),
            _family("netmon_agent_exporter_skipped_runs_total", "counter",
                    "Scheduled runs skipped because the exporter's previous run was still "
                    "going (it takes longer than its interval).", "exporter", self.skipped),
            _family("netmon_agent_reports_sent_total", "counter",
                    "Reports the collector acknowledged.", "collector", self.sent),
            _family("netmon_agent_report_bytes_total", "counter",
                    "Bytes (gzipped, as sent) of the reports the collector acknowledged.",
                    "collector", self.bytes),
            _family("netmon_agent_last_success_timestamp_seconds", "gauge",
                    "When the collector last acknowledged a report (Unix time; 0: never).",
                    "collector", self.last_success),
            _pairs("netmon_agent_reports_failed_total", "counter",
                   "Pushes of a report to the collector that failed, by reason.", self.failed),
            _pairs("netmon_agent_reports_dropped_total", "counter",
                   "Reports given up without delivery to the collector, by reason.",
                   self.dropped),
            _pairs("netmon_agent_spool_dropped_samples_total", "counter",
                   "Samples in the reports the spool dropped before the collector had them "
                   "(a bound reached, the disk full, a corrupt report), by reason.",
                   self.dropped_samples),
        ]
        quarantined = Metric("netmon_agent_spool_quarantined_total",
                             "Corrupt spool files set aside (renamed) at open.", "counter")
        quarantined.add_sample(quarantined.name, {}, float(self.quarantined))
        out.append(quarantined)
        if spool is not None:
            out += [
                _gauge("netmon_agent_spool_reports", "Reports in the spool.", spool.reports),
                _gauge("netmon_agent_spool_bytes",
                       "Bytes of the reports in the spool (gzipped, as sent).", spool.bytes),
                _gauge("netmon_agent_spool_oldest_age_seconds",
                       "Age of the oldest report in the spool (0: empty).", spool.oldest_age),
                _family("netmon_agent_spool_backlog_reports", "gauge",
                        "Reports in the spool the collector has not acknowledged yet.",
                        "collector", {c: spool.backlog.get(c, 0) for c in self.sent}),
                _family("netmon_agent_spool_backlog_age_seconds", "gauge",
                        "Age of the oldest report the collector has not acknowledged yet "
                        "(0: none): how late this agent's data is there.", "collector",
                        {c: spool.backlog_age.get(c, 0.0) for c in self.sent}),
            ]
        return [f for f in out if f.samples]


def _gauge(name: str, help_text: str, value: float) -> Metric:
    family = Metric(name, help_text, "gauge")
    family.add_sample(name, {}, float(value))
    return family


def _pairs(name: str, kind: str, help_text: str,
           values: Mapping[tuple[str, str], int]) -> Metric:
    family = Metric(name, help_text, kind)
    for (collector, reason), count in values.items():
        family.add_sample(name, {"collector": collector, "reason": reason}, float(count))
    return family


def _family(name: str, kind: str, help_text: str, label: str,
            values: Mapping[str, int] | Mapping[str, float]) -> Metric:
    family = Metric(name, help_text, kind)
    for key, value in values.items():
        family.add_sample(name, {label: key}, float(value))
    return family
