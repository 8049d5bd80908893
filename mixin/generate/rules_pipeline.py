"""Alerts on netmon itself: agents (down versus late, spool, drops), collectors (down, most
agents down, ingest errors, reloads) and remote_write.

Agent *down* and agent *late* are told apart by whether reports still arrive: down is
``netmon_agent_up == 0`` at a collector and at no other (nothing arrives anywhere); late is
``netmon_agent_up == 1`` while the agent's own metrics say that what it delivers is old, at
every collector: the oldest report a collector has not acknowledged is older than the threshold
(``netmon_agent_spool_backlog_age_seconds{collector}``) or the backlog is deep
(``netmon_agent_spool_backlog_reports{collector}``, or before the spool
``netmon_agent_queue_reports{collector}``). Metrics that do not exist match nothing, so each
``or`` falls through to the one that exists.

Which collector a series came from: the label ``config.labels.collector_source`` of the
collectors' own series (default ``instance``, the scrape target), copied into ``collector``.
"""

from __future__ import annotations

import textwrap

from mixin.generate.config import Config
from mixin.generate.model import Alert, Group, promql, selector
from mixin.generate.rules_recording import WARD_ID

__all__ = ["pipeline_groups"]

_WARD = "{{ $labels.ward }}, {{ $labels.district }}"
_COLLECTOR = "Collector {{ $labels.collector }}"


def _agents(config: Config) -> list[Alert]:
    s, t, w = config.selectors, config.thresholds, config.windows
    up = "netmon:agent_up:by_collector"
    # The collector that is least behind: late only when every collector is behind (one far
    # behind alone is a path problem: WardPathDown).
    backlog = ("min by (agent) (netmon_agent_spool_backlog_reports or "
               "netmon_agent_queue_reports)")
    down_expr = """
          ({sel} == 0)
        unless on (agent)
          ({up} == 1)
        """
    return [
        Alert(
            "NetmonAgentDown", down_expr.format(sel=selector(up, s.ward_router), up=up),
            "critical", "ward-site",
            f"{_WARD}: mất liên lạc với agent {{{{ $labels.agent }}}}",
            "Không collector nào nhận được báo cáo của agent {{ $labels.agent }} "
            "(collector {{ $labels.collector }}: quá hạn): cả phường có thể đang mất mạng "
            "hoặc mất điện. Các cảnh báo giao diện, độ trễ và router của phường này được ẩn "
            "(inhibited).",
            "gọi cán bộ tại {{ $labels.ward }} kiểm tra điện/UPS và router, trạng thái cả "
            "hai uplink với nhà cung cấp, rồi đến máy chạy agent (Check first: call the "
            "ward's staff to check power/UPS and the router, ask the provider about both "
            "uplinks, then the agent's box)."),
        Alert(
            "NetmonAgentDown", down_expr.format(sel=selector(up, s.dc_host), up=up),
            "critical", "dc-host",
            "Máy chủ {{ $labels.agent }} (DC {{ $labels.dc }}, {{ $labels.district }}) "
            "không gửi báo cáo",
            "Không collector nào nhận được báo cáo của agent {{ $labels.agent }} trên máy "
            "chủ data centre {{ $labels.dc }}.",
            "máy chủ còn chạy không, dịch vụ netmon agent (systemctl status), token và kết "
            "nối đến collector (Check first: whether the host is up, the netmon agent "
            "service, its token and its connection to the collector)."),
        Alert(
            "NetmonAgentLate", f"""
              max by ({WARD_ID}) ({up}) == 1
            and on (agent)
              (
                  min by (agent) (netmon_agent_spool_backlog_age_seconds)
                    > {t.agent_late_seconds:g}
                or
                  {backlog} >= {t.agent_late_queue_reports:g}
              )
            """,
            "warning", "agent",
            f"{_WARD}: dữ liệu của agent {{{{ $labels.agent }}}} đến muộn (đang gửi dữ liệu "
            "lưu đệm)",
            "Agent vẫn báo cáo nhưng đang gửi dữ liệu đã lưu đệm (spool): phường không mất, "
            "số liệu chỉ đến chậm (late, not dead).",
            "băng thông uplink của phường (có nghẽn không), "
            "netmon_agent_reports_failed_total theo lý do, độ sâu spool trên dashboard "
            "netmon (Check first: the ward's uplink bandwidth, the agent's failed pushes by "
            "reason, the spool depth on the netmon dashboard)."),
        Alert(
            "NetmonAgentSpoolFilling", f"""
              max by ({WARD_ID}) (netmon_agent_spool_oldest_age_seconds)
                > {t.spool_age_seconds:g}
            or
              max by ({WARD_ID}) (netmon_agent_spool_reports) > {t.spool_reports:g}
            """,
            "warning", "agent",
            f"{_WARD}: spool của agent {{{{ $labels.agent }}}} đang đầy dần",
            f"Agent giữ hơn {t.spool_reports:g} báo cáo hoặc báo cáo cũ hơn "
            f"{t.spool_age_seconds:g} giây chưa gửi được.",
            "kết nối từ agent đến các collector (lỗi đẩy theo lý do), dung lượng đĩa của máy "
            "agent (Check first: the agent's connection to the collectors, its failed pushes "
            "by reason, the disk space of the agent's box)."),
        Alert(
            "NetmonAgentDroppingData", f"""
              sum by ({WARD_ID}) (increase(netmon_agent_spool_dropped_samples_total[{w.drops}]))
                > 0
            or
              sum by ({WARD_ID}) (increase(netmon_agent_reports_dropped_total[{w.drops}])) > 0
            """,
            "warning", "agent",
            f"{_WARD}: agent {{{{ $labels.agent }}}} đang bỏ dữ liệu",
            f"Agent đã bỏ dữ liệu giám sát trong {w.drops} qua: số liệu này mất hẳn "
            "(monitoring data is lost for good).",
            "lý do trong netmon_agent_reports_dropped_total (queue_full, rejected, retries), "
            "spool đầy, collector từ chối báo cáo (Check first: the reason label of the "
            "dropped reports, a full spool, a collector rejecting reports)."),
    ]


def _collectors(config: Config) -> list[Alert]:
    s, t, r, w = config.selectors, config.thresholds, config.regexes, config.windows
    src = config.labels.collector_source

    def named(expr: str) -> str:
        """``expr`` with the collector's name copied into the label ``collector``."""
        inner = promql(expr)
        if "\n" not in inner:
            return f'label_replace({inner}, "collector", "$1", "{src}", "(.*)")'
        return (f"label_replace(\n{textwrap.indent(inner, '  ')},\n"
                f'  "collector", "$1", "{src}", "(.*)"\n)')

    up = "netmon:agent_up:by_collector"
    rejected = selector("netmon_collector_reports_rejected_total", s.collector)
    accepted = selector("netmon_agent_reports_total", s.collector, 'result="accepted"')
    samples = selector("netmon_collector_remote_write_samples_total", s.collector)
    return [
        Alert(
            "NetmonCollectorDown", named(selector("up", s.collector)) + " == 0",
            "critical", "collector",
            f"{_COLLECTOR} không phản hồi Prometheus",
            "Prometheus không đọc được metrics của collector {{ $labels.collector }}. Cảnh "
            "báo agent down chỉ thấy qua collector này được ẩn (inhibited).",
            "tiến trình netmon collector (systemctl status, nhật ký), tài nguyên máy chủ, "
            "tường lửa giữa Prometheus và collector (Check first: the netmon collector "
            "process and its log, the host's resources, the firewall between Prometheus and "
            "the collector)."),
        Alert(
            "NetmonCollectorMostAgentsDown", f"""
              count by (collector) ({up} == 0) / count by (collector) ({up})
            > {t.collector_agents_down_ratio:g}
            """,
            "critical", "collector",
            f"{_COLLECTOR} thấy {{{{ $value | humanizePercentage }}}} agent down",
            "Phần lớn agent không còn báo cáo về collector {{ $labels.collector }}: sự cố ở "
            "phía collector hoặc đường vào data centre, không phải ở từng phường. Cảnh báo "
            "agent down và đường truyền chỉ thấy qua collector này được ẩn (inhibited).",
            "đường vào data centre của collector, chứng chỉ/token sau lần reload gần nhất, "
            "netmon_collector_reports_rejected_total theo lý do (Check first: the data "
            "centre's ingress, certificates or tokens after the last reload, rejected "
            "reports by reason)."),
        Alert(
            "NetmonCollectorIngestErrors", named(f"""
                sum by ({src}) (rate({rejected}[{w.late_ingest}]))
              /
                (
                    sum by ({src}) (rate({rejected}[{w.late_ingest}]))
                  + sum by ({src}) (rate({accepted}[{w.late_ingest}]))
                )
            """) + f" > {t.ingest_reject_ratio:g}",
            "warning", "collector",
            f"{_COLLECTOR} từ chối {{{{ $value | humanizePercentage }}}} báo cáo",
            f"Trên {t.ingest_reject_ratio:.0%} báo cáo gửi đến collector "
            "{{ $labels.collector }} bị từ chối.",
            "netmon_collector_reports_rejected_total theo lý do (unauthorized: token; "
            "too_large: giới hạn; malformed: phiên bản agent) và nhật ký collector (Check "
            "first: rejected reports by reason: unauthorized means tokens, too_large the "
            "limits, malformed an agent version; and the collector's log)."),
        Alert(
            "NetmonCollectorConfigReloadFailed",
            named(selector("netmon_collector_config_last_reload_successful", s.collector))
            + " == 0",
            "warning", "collector",
            f"{_COLLECTOR}: nạp lại cấu hình thất bại",
            "Lần nạp lại cấu hình hoặc inventory gần nhất của collector "
            "{{ $labels.collector }} thất bại; collector vẫn chạy với cấu hình cũ.",
            "nhật ký collector, `netmon collector --check-config` với tệp mới (Check first: "
            "the collector's log, `netmon collector --check-config` on the new files)."),
        Alert(
            "NetmonRemoteWriteBehind", named(f"""
            max by ({src}) ({selector("netmon_collector_remote_write_lag_seconds",
                                      s.collector)})
            """) + f" > {t.remote_write_lag_seconds:g}",
            "warning", "collector",
            f"{_COLLECTOR}: remote_write chậm {{{{ $value | humanizeDuration }}}}",
            f"Dữ liệu remote_write của collector {{{{ $labels.collector }}}} trễ hơn "
            f"{t.remote_write_lag_seconds:g} giây.",
            "đích remote_write còn nhận không, băng thông giữa hai data centre, "
            "netmon_collector_remote_write_samples_total theo kết quả (Check first: whether "
            "the remote_write endpoint accepts, the bandwidth between the data centres, "
            "samples by result)."),
        Alert(
            "NetmonRemoteWriteFailing", named(f"""
                sum by ({src}) (rate({selector(samples,
                                      f'result=~"{r.remote_write_failed_results}"')}[{w.late_ingest}]))
              /
                sum by ({src}) (rate({selector(samples,
                                      f'result=~"{r.remote_write_done_results}"')}[{w.late_ingest}]))
            """) + f" > {t.remote_write_failed_ratio:g}",
            "warning", "collector",
            f"{_COLLECTOR}: remote_write thất bại {{{{ $value | humanizePercentage }}}}",
            f"Trên {t.remote_write_failed_ratio:.0%} mẫu remote_write của collector "
            "{{ $labels.collector }} không gửi được.",
            "nhật ký collector, trạng thái đích remote_write (Check first: the collector's "
            "log, the remote_write endpoint's health)."),
    ]


def pipeline_groups(config: Config) -> list[Group]:
    return [Group("netmon-agents", _agents(config)),
            Group("netmon-collectors", _collectors(config))]
