"""netmon's own health: collectors up, agents reporting, ingest rate and latency, rejected
reports, agent freshness, spool depth, remote_write lag."""

from __future__ import annotations

from typing import Any

from mixin.generate.config import Config
from mixin.generate.grafana import Target, bargauge, dashboard, query_variable, stat, timeseries
from mixin.generate.model import selector

__all__ = ["netmon_health"]



def netmon_health(config: Config) -> dict[str, Any]:
    s = config.selectors
    src = config.labels.collector_source
    col = f'{s.collector}, {src}=~"$collector"'
    w = "$__rate_interval"
    by = f"{{{{{src}}}}}"
    panels = [
        stat("Collector đang chạy (collectors up)", [Target(f"sum({selector('up', col)})")],
             width=6, steps=[{"color": "red", "value": None}, {"color": "green", "value": 1}]),
        stat("Agent đang báo cáo (agents reporting)", [
            Target(f"count(max by (agent) ({selector('netmon_agent_up', col)}) == 1)"
                   " or vector(0)")], width=6),
        stat("Agent im lặng (agents silent)", [
            Target(f"count(max by (agent) ({selector('netmon_agent_up', col)}) == 0)"
                   " or vector(0)")], width=6,
             steps=[{"color": "green", "value": None}, {"color": "orange", "value": 1}]),
        stat("Series đang lưu (series stored)", [
            Target(f"sum({selector('netmon_collector_series', col)})")], width=6),
        timeseries("Tốc độ nhận mẫu (samples ingested per second)", [Target(
            f"sum by ({src}) (rate({selector('netmon_collector_ingest_samples_total', col)}"
            f"[{w}]))", legend=by)], unit="short"),
        timeseries("Thời gian xử lý một báo cáo, p99 (ingest latency)", [Target(f"""
            histogram_quantile(0.99, sum by (le, {src}) (
              rate({selector("netmon_collector_ingest_duration_seconds_bucket", col)}[{w}])
            ))
            """, legend=by)], unit="s"),
        timeseries("Báo cáo theo kết quả (reports by result)", [
            Target(f"sum by (result) (rate({selector('netmon_agent_reports_total', col)}"
                   f"[{w}]))", legend="{{result}}"),
            Target(f"sum by (reason) (rate("
                   f"{selector('netmon_collector_reports_rejected_total', col)}[{w}]))",
                   legend="từ chối (rejected): {{reason}}")], unit="reqps"),
        bargauge("Độ tươi: báo cáo cũ nhất (agent freshness, oldest last report)", [Target(f"""
            topk(15, time() - max by (agent) (
              {selector("netmon_agent_last_report_timestamp_seconds", col)}
            ))
            """, legend="{{agent}}", instant=True)], unit="s"),
        timeseries("Độ sâu spool (reports waiting, deepest agents)", [Target(
            "topk(10, max by (agent) (netmon_agent_spool_reports))", legend="{{agent}}")],
            unit="short"),
        timeseries("Dữ liệu chưa được nhận, cũ nhất (backlog age per agent, worst 10)", [
            Target("topk(10, max by (agent) (netmon_agent_spool_backlog_age_seconds))",
                   legend="{{agent}}")], unit="s"),
        timeseries("Độ trễ dữ liệu khi đến collector, p99 (sample lateness)", [Target(f"""
            histogram_quantile(0.99, sum by (le, {src}) (
              rate({selector("netmon_collector_sample_lateness_seconds_bucket", col)}[{w}])
            ))
            """, legend=by)], unit="s"),
        timeseries("Báo cáo agent gửi thất bại (failed pushes by reason)", [Target(
            f"sum by (reason) (rate(netmon_agent_reports_failed_total[{w}]))",
            legend="{{reason}}")], unit="reqps"),
        timeseries("Độ trễ remote_write (remote_write lag)", [Target(
            selector("netmon_collector_remote_write_lag_seconds", col), legend=by)],
            unit="s"),
        timeseries("Mẫu remote_write theo kết quả (remote_write samples by result)", [Target(
            f"sum by ({src}, result) (rate("
            f"{selector('netmon_collector_remote_write_samples_total', col)}[{w}]))",
            legend=f"{by} {{{{result}}}}")], unit="short"),
    ]
    variables = [query_variable(
        "collector", "Collector",
        f"label_values({selector('netmon_collector_info', s.collector)}, {src})",
        multi=True, include_all=True)]
    return dashboard(f"{config.dashboards.uid_prefix}-health",
                     "netmon / Sức khỏe hệ thống giám sát (netmon health)", panels, variables,
                     refresh=config.dashboards.refresh, time_from=config.dashboards.time_from)
