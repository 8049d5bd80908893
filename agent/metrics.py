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
    netmon_agent_reports_dropped_total{collector,reason}     reports given up (queue_full,
                                                             rejected, retries)
    netmon_agent_queue_reports{collector}                    reports waiting to be delivered

Each exporter's ``netmon_exporter_duration_seconds`` and ``netmon_exporter_success`` travel in
that exporter's own batch, with the run they describe (see :mod:`agent.report`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version

from prometheus_client import Metric

__all__ = ["DROP_REASONS", "FAILURE_REASONS", "AgentMetrics"]

FAILURE_REASONS = ("timeout", "connection", "server_error", "throttled", "unauthorized",
                   "rejected", "bad_answer")
DROP_REASONS = ("queue_full", "rejected", "retries")


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

    # --- exposition -------------------------------------------------------------------------

    def families(self, queue_depths: Mapping[str, int]) -> list[Metric]:
        """The families, with each collector's queue depth as it is now."""
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
        ]
        failed = Metric("netmon_agent_reports_failed_total",
                        "Pushes of a report to the collector that failed, by reason.", "counter")
        for (collector, reason), count in self.failed.items():
            failed.add_sample(failed.name, {"collector": collector, "reason": reason},
                              float(count))
        dropped = Metric("netmon_agent_reports_dropped_total",
                         "Reports given up without delivery to the collector, by reason.",
                         "counter")
        for (collector, reason), count in self.dropped.items():
            dropped.add_sample(dropped.name, {"collector": collector, "reason": reason},
                               float(count))
        out += [failed, dropped, _family(
            "netmon_agent_queue_reports", "gauge",
            "Reports waiting for delivery to the collector.", "collector",
            {c: queue_depths.get(c, 0) for c in self.sent})]
        return [f for f in out if f.samples]


def _family(name: str, kind: str, help_text: str, label: str,
            values: Mapping[str, int] | Mapping[str, float]) -> Metric:
    family = Metric(name, help_text, kind)
    for key, value in values.items():
        family.add_sample(name, {label: key}, float(value))
    return family
