"""From a run to the bytes on the wire: batches, merged families, sequence numbers."""

from __future__ import annotations

import math

from prometheus_client import Metric

from agent.metrics import DROP_REASONS, FAILURE_REASONS, SPOOL_DROP_REASONS, AgentMetrics
from agent.outbox import SpoolStats
from agent.report import SequenceCounter, encode, exporter_batch, merge_families
from exporters.exposition import render
from exporters.harness import ExporterRun
from netmon.wire import batch, decode_report


def gauge(name: str, *samples: tuple[dict[str, str], float]) -> Metric:
    family = Metric(name, f"{name} help", "gauge")
    for labels, value in samples:
        family.add_sample(name, labels, value)
    return family


def test_families_sharing_a_name_are_merged_as_the_exposition_prints_them() -> None:
    a = gauge("sysUpTime", ({}, 100.0))
    b = gauge("ifOperStatus", ({"ifIndex": "1"}, 1.0))
    c = gauge("sysUpTime", ({}, 200.0), ({"x": "1"}, 3.0))
    merged = merge_families([a, b, c])
    assert [f.name for f in merged] == ["sysUpTime", "ifOperStatus"]
    assert [(s.labels, s.value) for s in merged[0].samples] == [({}, 100.0), ({"x": "1"}, 3.0)]
    assert merged[1] is b
    assert a.samples == [a.samples[0]] and len(a.samples) == 1  # inputs untouched
    assert render(merged) == render([a, b, c])


def test_exporter_batch_carries_the_run_and_the_harness_families() -> None:
    run = ExporterRun("snmp:r1", 0.25, False, [gauge("netmon_snmp_module_success",
                                                     ({"module": "if_mib"}, 0.0))], "boom")
    out = exporter_batch(run, 1_795_779_004.9, 60.0)
    assert (out.exporter, out.ts, out.interval) == ("snmp:r1", 1_795_779_004.9, 60.0)
    rows = {f.name: f.rows for f in out.families}
    assert rows["netmon_exporter_success"] == [[0.0, "snmp:r1"]]
    assert rows["netmon_exporter_duration_seconds"] == [[0.25, "snmp:r1"]]
    assert rows["netmon_snmp_module_success"] == [[0.0, "if_mib"]]


def test_encoded_report_decodes_with_the_collectors_decoder() -> None:
    nan = gauge("odd", ({"k": "Đông Anh"}, math.nan), ({"k": "x"}, math.inf))
    report = encode(42, [batch("host", 1.0, 15.0, [nan])], 2.0)
    decoded = decode_report(report.body)
    assert (decoded.seq, decoded.sent) == (42, 2.0)
    rows = decoded.batches[0].families[0].rows
    assert math.isnan(rows[0][0]) and rows[0][1] == "Đông Anh" and rows[1][0] == math.inf
    assert report.samples == 2 and report.exporter == "host"


def test_sequence_numbers_increase_and_survive_a_restart() -> None:
    first_run = SequenceCounter(clock=lambda: 1_795_779_000.0)
    seqs = [first_run.next() for _ in range(5000)]  # 5,000 reports in that second
    assert seqs == list(range(1_795_779_000_000, 1_795_779_005_000))
    restarted = SequenceCounter(clock=lambda: 1_795_779_010.0)  # ten seconds later
    assert restarted.next() > seqs[-1]


def test_agent_metrics_start_at_zero_for_every_label() -> None:
    metrics = AgentMetrics(["dc-primary", "dc-backup"], ["host", "snmp:r1"])
    stats = SpoolStats(reports=3, bytes=16_200, oldest_age=45.0, backlog={"dc-primary": 3},
                       backlog_age={"dc-primary": 45.0})
    families = {f.name: f for f in metrics.families(stats)}
    assert set(families) == {
        "netmon_agent_build_info", "netmon_agent_exporter_runs_total",
        "netmon_agent_exporter_skipped_runs_total", "netmon_agent_reports_sent_total",
        "netmon_agent_report_bytes_total", "netmon_agent_last_success_timestamp_seconds",
        "netmon_agent_reports_failed_total", "netmon_agent_reports_dropped_total",
        "netmon_agent_spool_dropped_samples_total", "netmon_agent_spool_quarantined_total",
        "netmon_agent_spool_reports", "netmon_agent_spool_bytes",
        "netmon_agent_spool_oldest_age_seconds", "netmon_agent_spool_backlog_reports",
        "netmon_agent_spool_backlog_age_seconds"}
    failed = families["netmon_agent_reports_failed_total"].samples
    assert len(failed) == 2 * len(FAILURE_REASONS) and all(s.value == 0 for s in failed)
    assert len(families["netmon_agent_reports_dropped_total"].samples) == 2 * len(DROP_REASONS)
    samples = families["netmon_agent_spool_dropped_samples_total"].samples
    assert len(samples) == 2 * len(SPOOL_DROP_REASONS) and all(s.value == 0 for s in samples)
    backlog = {s.labels["collector"]: s.value
               for s in families["netmon_agent_spool_backlog_reports"].samples}
    assert backlog == {"dc-primary": 3.0, "dc-backup": 0.0}
    assert families["netmon_agent_spool_bytes"].samples[0].value == 16_200
    assert families["netmon_agent_reports_sent_total"].type == "counter"
    assert families["netmon_agent_spool_quarantined_total"].type == "counter"
    # without a spool (--once), no spool gauges
    assert "netmon_agent_spool_bytes" not in {f.name for f in metrics.families(None)}


def test_a_spool_drop_counts_reports_and_samples() -> None:
    metrics = AgentMetrics(["dc-primary"], ["host"])
    metrics.spool_drop("dc-primary", "max_bytes", 2, 2060)
    assert metrics.dropped["dc-primary", "max_bytes"] == 2
    assert metrics.dropped_samples["dc-primary", "max_bytes"] == 2060
