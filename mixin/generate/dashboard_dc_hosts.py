"""Data-centre hosts, node-mixin's essentials: CPU, load, memory, filesystems, disk I/O,
network traffic and errors, clock offset."""

from __future__ import annotations

from typing import Any

from mixin.generate.config import Config
from mixin.generate.grafana import Target, dashboard, query_variable, timeseries
from mixin.generate.model import selector

__all__ = ["dc_hosts"]


def dc_hosts(config: Config) -> dict[str, Any]:
    s, w = config.selectors, "$__rate_interval"
    host = f'{s.dc_host}, dc=~"$dc", agent=~"$host"'
    fs = s.node_filesystem
    legend = "{{agent}}"
    panels = [
        timeseries("CPU bận (CPU busy)", [Target(f"""
            1 - avg by (agent) (rate({selector("node_cpu_seconds_total", host,
                                               'mode="idle"')}[{w}]))
            """, legend=legend)], unit="percentunit"),
        timeseries("Tải (load average, 1m)", [
            Target(selector("node_load1", host), legend=legend)]),
        timeseries("Bộ nhớ khả dụng (memory available)", [Target(f"""
              {selector("node_memory_MemAvailable_bytes", host)}
            / {selector("node_memory_MemTotal_bytes", host)}
            """, legend=legend)], unit="percentunit"),
        timeseries("Dung lượng trống (filesystem space available)", [Target(f"""
              {selector("node_filesystem_avail_bytes", host, fs)}
            / {selector("node_filesystem_size_bytes", host, fs)}
            """, legend="{{agent}} {{mountpoint}}")], unit="percentunit"),
        timeseries("Đĩa bận (disk busy)", [Target(
            f"rate({selector('node_disk_io_time_seconds_total', host, s.node_disk)}[{w}])",
            legend="{{agent}} {{device}}")], unit="percentunit"),
        timeseries("Đọc/ghi đĩa (disk throughput)", [
            Target(f"rate({selector('node_disk_read_bytes_total', host, s.node_disk)}[{w}])",
                   legend="{{agent}} {{device}} đọc (read)"),
            Target(f"rate({selector('node_disk_written_bytes_total', host, s.node_disk)}"
                   f"[{w}])", legend="{{agent}} {{device}} ghi (write)")], unit="Bps"),
        timeseries("Lưu lượng mạng (network traffic)", [
            Target(f"rate({selector('node_network_receive_bytes_total', host, s.node_network)}"
                   f"[{w}]) * 8", legend="{{agent}} {{device}} nhận (rx)"),
            Target(f"rate({selector('node_network_transmit_bytes_total', host, s.node_network)}"
                   f"[{w}]) * 8",
                   legend="{{agent}} {{device}} gửi (tx)")], unit="bps"),
        timeseries("Lỗi mạng (network errors)", [
            Target(f"rate({selector(f'node_network_{d}_errs_total', host, s.node_network)}"
                   f"[{w}])", legend=f"{{{{agent}}}} {{{{device}}}} {d}")
            for d in ("receive", "transmit")], unit="pps"),
        timeseries("Lệch đồng hồ (clock offset)", [Target(f"""
              {selector("node_timex_offset_seconds", host)}
            or on (agent)
              (
                  max by (agent) ({selector("node_time_seconds", host)})
                - on (agent)
                  max by (agent) ({selector("netmon_agent_last_report_timestamp_seconds",
                                            s.collector)})
              )
            """, legend=legend)],
            unit="s", width=24,
            description="node_timex_offset_seconds khi có (node_exporter); nếu không, ước "
                        "lượng: đồng hồ máy lúc thu thập trừ đồng hồ collector lúc nhận "
                        "(gồm cả độ trễ gửi)."),
    ]
    node_cpu = selector("node_cpu_seconds_total", s.dc_host)
    in_dc = 'dc=~"$dc"'
    variables = [
        query_variable("dc", "Data centre", f"label_values({node_cpu}, dc)", multi=True,
                       include_all=True),
        query_variable("host", "Máy chủ (host)",
                       f"label_values({selector('node_cpu_seconds_total', s.dc_host, in_dc)}, "
                       "agent)", multi=True, include_all=True),
    ]
    return dashboard(f"{config.dashboards.uid_prefix}-dc-hosts",
                     "netmon / Máy chủ data centre (DC hosts)", panels, variables,
                     refresh=config.dashboards.refresh, time_from=config.dashboards.time_from)
