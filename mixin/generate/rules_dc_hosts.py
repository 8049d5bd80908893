"""Alerts on data-centre hosts, in node-mixin's manner, on node_exporter's names (which
``netmon host`` prints): CPU, memory, filesystems predicted to fill, disk I/O saturation,
clock skew, network errors.

Two departures from node-mixin, both because of what ``netmon host`` has today:

* disk saturation uses ``node_disk_io_time_weighted_seconds_total`` (queue depth, as
  node-mixin) where it exists and the busy fraction ``node_disk_io_time_seconds_total``
  otherwise (``netmon host`` has only the latter);
* clock skew uses ``node_timex_offset_seconds`` where it exists and otherwise estimates the
  host's offset from the collector's clock: ``node_time_seconds`` (host clock at collection)
  minus ``netmon_agent_last_report_timestamp_seconds`` (collector clock at receipt). The
  estimate includes the delivery delay, so its threshold is coarser.
"""

from __future__ import annotations

from mixin.generate.config import Config
from mixin.generate.model import Alert, Group, selector

__all__ = ["dc_host_groups"]

DC_ID = "agent, site, district, dc, role"
_HOST = "Máy chủ {{ $labels.agent }} (DC {{ $labels.dc }}, {{ $labels.district }})"


def dc_host_groups(config: Config) -> list[Group]:
    s, t, w = config.selectors, config.thresholds, config.windows
    dc = s.dc_host
    fs = s.node_filesystem
    avail = selector("node_filesystem_avail_bytes", dc, fs)
    size = selector("node_filesystem_size_bytes", dc, fs)
    readonly = selector("node_filesystem_readonly", dc, fs)
    filling = []
    for severity, ratio, hours in (
            ("warning", t.fs_filling_warning_available_ratio, t.fs_filling_warning_hours),
            ("critical", t.fs_filling_critical_available_ratio, t.fs_filling_critical_hours)):
        filling.append(Alert(
            "DcHostFilesystemFillingUp", f"""
              {avail} / {size} < {ratio:g}
            and
              predict_linear({avail}[{w.fs_predict}], {hours:g} * 3600) < 0
            and
              {readonly} == 0
            """,
            severity, "dc-host",
            f"{_HOST}: {{{{ $labels.mountpoint }}}} sẽ đầy trong {hours:g} giờ",
            f"Hệ thống tệp {{{{ $labels.mountpoint }}}} ({{{{ $labels.device }}}}) còn "
            f"{{{{ $value | humanizePercentage }}}} và theo xu hướng {w.fs_predict} qua sẽ "
            f"đầy trong {hours:g} giờ.",
            "thư mục lớn lên nhanh (du -x), nhật ký và dữ liệu TSDB, xoay vòng log (Check "
            "first: what grows (du -x), logs and TSDB data, log rotation)."))
    net = s.node_network
    network = []
    for direction, word in (("receive", "nhận"), ("transmit", "gửi")):
        network.append(Alert(
            "DcHostNetworkErrors", f"""
                rate({selector(f"node_network_{direction}_errs_total", dc, net)}[{w.host_rate}])
              / rate({selector(f"node_network_{direction}_packets_total", dc, net)}[{w.host_rate}])
            > {t.host_network_error_ratio:g}
            """,
            "warning", "dc-host",
            f"{_HOST}: lỗi {word} trên {{{{ $labels.device }}}}",
            f"{{{{ $value | humanizePercentage }}}} số gói {word} trên card "
            "{{ $labels.device }} bị lỗi.",
            "cáp và cổng switch, driver/firmware card mạng, tốc độ/duplex (Check first: the "
            "cable and switch port, the NIC's driver and firmware, speed and duplex).",
            {"direction": direction}))
    disk = s.node_disk
    return [Group("netmon-dc-hosts", [
        Alert(
            "DcHostHighCPU", f"""
            1 - avg by ({DC_ID}) (
              rate({selector("node_cpu_seconds_total", dc, 'mode="idle"')}[{w.host_rate}])
            ) > {t.host_cpu_ratio:g}
            """,
            "warning", "dc-host",
            f"{_HOST}: CPU {{{{ $value | humanizePercentage }}}}",
            f"CPU của máy chủ bận trên {t.host_cpu_ratio:.0%} trong {w.host_rate}.",
            "tiến trình chiếm CPU (top), số agent/ward dồn về collector này, benchmark hay "
            "tác vụ định kỳ (Check first: the processes using it, how many agents this "
            "collector serves, a benchmark or cron job)."),
        Alert(
            "DcHostMemoryLow", f"""
              {selector("node_memory_MemAvailable_bytes", dc)}
            / {selector("node_memory_MemTotal_bytes", dc)}
            < {t.host_memory_available_ratio:g}
            """,
            "warning", "dc-host",
            f"{_HOST}: bộ nhớ còn {{{{ $value | humanizePercentage }}}}",
            f"Bộ nhớ khả dụng dưới {t.host_memory_available_ratio:.0%}.",
            "tiến trình dùng nhiều bộ nhớ (số series của collector, Prometheus), swap, OOM "
            "trong dmesg (Check first: the processes using it, the collector's series count, "
            "swap, OOM kills in dmesg)."),
        *filling,
        Alert(
            "DcHostFilesystemAlmostFull", f"""
              {avail} / {size} < {t.fs_almost_full_ratio:g}
            and
              {readonly} == 0
            """,
            "critical", "dc-host",
            f"{_HOST}: {{{{ $labels.mountpoint }}}} gần đầy",
            f"Hệ thống tệp {{{{ $labels.mountpoint }}}} ({{{{ $labels.device }}}}) còn dưới "
            f"{t.fs_almost_full_ratio:.0%}.",
            "giải phóng chỗ ngay: log cũ, bản sao lưu, dữ liệu TSDB (Check first: free "
            "space now: old logs, backups, TSDB data)."),
        Alert(
            "DcHostDiskIOSaturated", f"""
              rate({selector("node_disk_io_time_weighted_seconds_total", dc, disk)}[{w.host_rate}])
                > {t.disk_queue_depth:g}
            or
              rate({selector("node_disk_io_time_seconds_total", dc, disk)}[{w.host_rate}])
                > {t.disk_busy_ratio:g}
            """,
            "warning", "dc-host",
            f"{_HOST}: đĩa {{{{ $labels.device }}}} bão hòa I/O",
            "Đĩa {{ $labels.device }} bận liên tục (độ sâu hàng đợi hoặc thời gian bận "
            "{{ $value | humanize }}).",
            "tiến trình ghi nhiều (iotop), compaction của TSDB, sao lưu đang chạy, tình "
            "trạng SMART của đĩa (Check first: the processes writing (iotop), TSDB "
            "compaction, a running backup, the disk's SMART health)."),
        Alert(
            "DcHostClockSkew", f"""
              abs({selector("node_timex_offset_seconds", dc)}) > {t.clock_skew_seconds:g}
            or
              (
                  abs(
                      max by ({DC_ID}) ({selector("node_time_seconds", dc)})
                    - on (agent) group_left ()
                      max by (agent) ({selector("netmon_agent_last_report_timestamp_seconds",
                                                s.collector)})
                  ) > {t.clock_skew_estimate_seconds:g}
                unless on (agent)
                  {selector("node_timex_offset_seconds", dc)}
              )
            """,
            "warning", "dc-host",
            f"{_HOST}: đồng hồ lệch {{{{ $value | humanizeDuration }}}}",
            "Đồng hồ của máy chủ lệch so với chuẩn (node_timex_offset_seconds) hoặc so với "
            "đồng hồ của collector (ước lượng khi không có timex).",
            "dịch vụ NTP/chrony (chronyc tracking), kết nối đến máy chủ NTP (Check first: "
            "the NTP/chrony service (chronyc tracking), reachability of the NTP servers)."),
        Alert(
            "DcHostClockNotSynchronising", f"""
              min_over_time({selector("node_timex_sync_status", dc)}[{w.clock_sync}]) == 0
            and
              {selector("node_timex_maxerror_seconds", dc)} >= 16
            """,
            "warning", "dc-host",
            f"{_HOST}: đồng hồ không được đồng bộ NTP",
            "Nhân hệ điều hành báo đồng hồ không đồng bộ với máy chủ thời gian nào "
            "(adjtimex TIME_ERROR, sai số tối đa 16 s, như node-mixin): mọi dấu thời gian của "
            "máy này, kể cả số liệu nó gửi, có thể trôi.",
            "dịch vụ NTP/chrony có chạy không (systemctl status chrony), nguồn thời gian có "
            "tới được không (chronyc sources) (Check first: whether chrony/ntpd runs, "
            "whether its sources are reachable)."),
        *network,
    ])]
