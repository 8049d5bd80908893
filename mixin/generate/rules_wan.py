"""Alerts on the WAN: ward routers (reachability, uplinks, interfaces, health), the paths
between wards and data centres, and districts."""

from __future__ import annotations

from mixin.generate.config import Config
from mixin.generate.model import Alert, Group, selector
from mixin.generate.rules_recording import IF_KEY, WARD_ID, rate_name

__all__ = ["wan_groups"]

_WARD = "{{ $labels.ward }}, {{ $labels.district }}"
_IF = "{{ $labels.ifName }} ({{ $labels.ifAlias }})"


def _ward_router(config: Config) -> list[Alert]:
    s, t = config.selectors, config.thresholds
    wr = s.ward_router
    router_id = f"{WARD_ID}, instance"
    return [
        Alert(
            "WardRouterUnreachable", f"""
            max by ({WARD_ID}, exporter) (
              {selector("netmon_exporter_success", wr, s.snmp_exporter)}
            ) == 0
            """,
            "critical", "ward-site",
            f"Router của {_WARD} không trả lời SNMP",
            "Agent {{ $labels.agent }} vẫn gửi báo cáo nhưng không đọc được router "
            "({{ $labels.exporter }}): mọi số liệu giao diện của {{ $labels.ward }} đã dừng. "
            "Các cảnh báo giao diện, độ trễ và sức khỏe router của phường này được ẩn "
            "(inhibited).",
            "nguồn điện và đèn trạng thái của router, cáp LAN giữa máy agent và router, "
            "dịch vụ SNMP, community/người dùng SNMPv3 và ACL trên router (Check first: "
            "router power and status LEDs, the LAN cable between the agent's box and the "
            "router, the SNMP service, its community/v3 user and ACL)."),
        Alert(
            "WardRouterRebooted", f"""
              max by ({router_id}) ({selector("sysUpTime", wr)}) < {t.reboot_uptime_seconds:g} * 100
            or
              max by ({router_id}) (
                resets({selector("sysUpTime", wr)}[{config.windows.reboot}])
              ) > 0
            """,
            "warning", "ward-router",
            f"Router của {_WARD} vừa khởi động lại",
            "sysUpTime của router {{ $labels.instance }} (agent {{ $labels.agent }}) đã "
            f"về gần 0 trong {config.windows.reboot} qua hoặc còn dưới "
            f"{t.reboot_uptime_seconds:g} giây.",
            "nguồn điện và UPS tại phường, nhật ký của router (crash, watchdog), lịch bảo trì "
            "(Check first: power and UPS at the ward, the router's log for a crash or "
            "watchdog, the maintenance calendar). sysUpTime quay vòng sau 497 ngày cũng gây "
            "cảnh báo này (a 497-day TimeTicks wrap looks the same)."),
        Alert(
            "WardRouterHighCPU", f"""
            avg by ({router_id}) ({selector("hrProcessorLoad", wr)}) > {t.router_cpu_percent:g}
            """,
            "warning", "ward-router",
            f"CPU router của {_WARD} cao: {{{{ $value | humanize }}}}%",
            f"CPU trung bình của router {{{{ $labels.instance }}}} trên "
            f"{t.router_cpu_percent:g}%.",
            "tiến trình chiếm CPU trên router, lưu lượng bất thường hoặc tấn công, tần suất "
            "poll SNMP (Check first: what uses the CPU on the router, abnormal traffic or an "
            "attack, the SNMP polling rate)."),
        Alert(
            "WardRouterMemoryHigh", f"""
            max by ({router_id}) (
                {selector("hrStorageUsed", wr, s.router_memory)}
              / ({selector("hrStorageSize", wr, s.router_memory)} > 0)
            ) > {t.router_memory_ratio:g}
            """,
            "warning", "ward-router",
            f"Bộ nhớ router của {_WARD} gần đầy: {{{{ $value | humanizePercentage }}}}",
            f"Bộ nhớ đã dùng của router {{{{ $labels.instance }}}} trên "
            f"{t.router_memory_ratio:.0%}.",
            "rò rỉ bộ nhớ sau nâng cấp firmware, kích thước bảng định tuyến; lên lịch khởi "
            "động lại ngoài giờ (Check first: a memory leak after a firmware upgrade, the "
            "routing table's size; schedule a restart out of hours)."),
    ]


def _uplinks(config: Config) -> list[Alert]:
    s, r = config.selectors, config.regexes
    wr = s.ward_router
    out = []
    for severity, matchers, which in (
            ("critical", (f'ifAlias=~"{r.primary_uplink_alias}"',), "chính (primary)"),
            ("warning", (f'ifAlias=~"{r.uplink_alias}"', f'ifAlias!~"{r.primary_uplink_alias}"'),
             "dự phòng (backup)")):
        out.append(Alert(
            "WardUplinkDown", f"""
              {selector("ifOperStatus", wr, *matchers)} != 1
            and on ({IF_KEY})
              {selector("ifAdminStatus", wr, *matchers)} == 1
            """,
            severity, "ward-interface",
            f"{_WARD}: uplink WAN {which} {{{{ $labels.ifName }}}} mất kết nối",
            f"Giao diện {_IF} trên router của {_WARD} đang down (ifOperStatus "
            "{{ $value }}) trong khi vẫn được bật (ifAdminStatus up).",
            "đèn cổng và cáp/quang tại tủ mạng của phường, module quang (công suất thu), "
            "rồi báo nhà cung cấp đường truyền (Check first: the port LED and the cable or "
            "fibre at the ward's cabinet, the transceiver's receive power, then call the "
            "line provider).",
            {"uplink": "primary" if severity == "critical" else "backup"}))
    return out


def _interfaces(config: Config) -> list[Alert]:
    s, t, w = config.selectors, config.thresholds, config.windows
    wr = s.ward_router
    out = [Alert(
        "WardInterfaceFlapping", f"""
        changes({selector("ifOperStatus", wr)}[{w.flap}]) >= {t.flap_changes:g}
        """,
        "warning", "ward-interface",
        f"{_WARD}: giao diện {{{{ $labels.ifName }}}} chập chờn",
        f"{_IF} đổi trạng thái {{{{ $value }}}} lần trong {w.flap}.",
        "đầu nối và cáp/quang, công suất thu của module quang (entPhySensorValue), nhật ký "
        "router; nếu là uplink, hỏi nhà cung cấp (Check first: connectors and cable or "
        "fibre, the transceiver's receive power, the router's log; for an uplink, ask the "
        "provider).")]
    for direction, word in (("in", "chiều vào"), ("out", "chiều ra")):
        errors = rate_name(config, f"if_{direction}_errors")
        discards = rate_name(config, f"if_{direction}_discards")
        packets = rate_name(config, f"if_{direction}_packets")
        labels = {"direction": direction}
        out += [
            Alert(
                "WardInterfaceBandwidthHigh", f"""
                {rate_name(config, f"if_{direction}_utilisation", "ratio_rate")}
                  > {t.bandwidth_utilisation:g}
                """,
                "warning", "ward-interface",
                f"{_WARD}: {{{{ $labels.ifName }}}} dùng {{{{ $value | humanizePercentage }}}} "
                f"băng thông ({word})",
                f"Lưu lượng {word} của {_IF} trung bình {w.rate} trên "
                f"{t.bandwidth_utilisation:.0%} tốc độ giao diện (ifHighSpeed).",
                "top talkers trên dashboard WAN, lưu lượng bất thường (sao lưu, cập nhật, "
                "tấn công), rồi xem xét nâng băng thông (Check first: the top talkers on the "
                "WAN dashboard, unusual traffic such as backups, updates or an attack, then "
                "consider a bigger line).", labels),
            Alert(
                "WardInterfaceErrors", f"""
                  {errors} > {t.if_error_min_rate:g}
                and on ({IF_KEY})
                  {errors} / on ({IF_KEY}) group_left () ({packets} + {errors})
                  > {t.if_error_ratio:g}
                """,
                "warning", "ward-interface",
                f"{_WARD}: lỗi trên {{{{ $labels.ifName }}}} ({word})",
                f"{_IF}: {{{{ $value | humanize }}}} gói lỗi/giây {word}, trên "
                f"{t.if_error_ratio:.0%} số gói.",
                "cáp và đầu nối, module quang, tốc độ/duplex ở hai đầu (Check first: cable "
                "and connectors, the transceiver, speed and duplex on both ends).", labels),
            Alert(
                "WardInterfaceDiscards", f"""
                  {discards} > {t.if_discard_min_rate:g}
                and on ({IF_KEY})
                  {discards} / on ({IF_KEY}) group_left () ({packets} + {discards})
                  > {t.if_discard_ratio:g}
                """,
                "warning", "ward-interface",
                f"{_WARD}: gói bị hủy trên {{{{ $labels.ifName }}}} ({word})",
                f"{_IF}: {{{{ $value | humanize }}}} gói/giây bị hủy {word}, trên "
                f"{t.if_discard_ratio:.0%} số gói.",
                "nghẽn hàng đợi: lưu lượng so với băng thông, chính sách QoS (Check first: "
                "queue congestion: traffic against the line's speed, the QoS policy).",
                labels),
        ]
    return out


def _paths(config: Config) -> list[Alert]:
    s, t, p = config.selectors, config.thresholds, config.probes
    wr = s.ward_router
    dc = f"{{{{ $labels.{p.dc_label} }}}}"
    return [
        Alert(
            "WardLatencyHigh", f"""
            max by ({WARD_ID}, {p.dc_label}) ({selector(p.rtt_metric, wr)})
              > {t.latency_seconds:g}
            """,
            "warning", "ward-path",
            f"{_WARD}: độ trễ đến DC {dc} cao ({{{{ $value | humanizeDuration }}}})",
            f"Thời gian khứ hồi từ {_WARD} đến data centre {dc} trên "
            f"{t.latency_seconds * 1000:g} ms.",
            "lưu lượng uplink (có nghẽn không), phường đang đi đường chính hay dự phòng, độ "
            "trễ đến DC còn lại (Check first: uplink traffic for congestion, whether the "
            "ward runs on its primary or backup uplink, the latency to the other DC)."),
        Alert(
            "WardPacketLoss", f"""
            max by ({WARD_ID}, {p.dc_label}) (
              avg_over_time({selector(p.loss_metric, wr)}[{config.windows.loss}])
            ) > {t.loss_ratio:g}
            """,
            "warning", "ward-path",
            f"{_WARD}: mất gói đến DC {dc} ({{{{ $value | humanizePercentage }}}})",
            f"Tỉ lệ gói probe bị mất từ {_WARD} đến data centre {dc} trong "
            f"{config.windows.loss} trên {t.loss_ratio:.0%}.",
            "lỗi và hủy gói trên uplink, lưu lượng so với băng thông, mất gói đến DC còn "
            "lại (Check first: errors and discards on the uplinks, traffic against the "
            "line's speed, loss to the other DC)."),
        Alert(
            "WardPathDown", f"""
              ({selector("netmon:agent_up:by_collector", wr)} == 0)
            and on (agent)
              ({selector("netmon:agent_up:by_collector", wr)} == 1)
            """,
            "warning", "ward-path",
            f"{_WARD}: collector {{{{ $labels.collector }}}} không nhận được dữ liệu, "
            "collector khác vẫn nhận",
            "Agent {{ $labels.agent }} vẫn báo cáo về data centre còn lại: phường vẫn hoạt "
            "động, sự cố nằm trên đường từ phường đến collector {{ $labels.collector }} "
            "(a path problem, not a site problem).",
            "định tuyến và tường lửa giữa mạng WAN và data centre đó, "
            "netmon_agent_reports_failed_total của agent theo lý do (Check first: routing "
            "and firewalls between the WAN and that data centre, the agent's "
            "netmon_agent_reports_failed_total by reason)."),
    ]


def _districts(config: Config) -> list[Alert]:
    s, t, r = config.selectors, config.thresholds, config.regexes
    links = f'ifAlias=~"{r.district_uplink_alias}"'
    return [
        Alert(
            "DistrictOutage", f"""
              netmon:district:wards_impaired >= {t.district_min_wards:g}
            and
              netmon:district:wards_impaired / netmon:district:wards >= {t.district_ratio:g}
            """,
            "critical", "district",
            "{{ $labels.district }}: {{ $value }} phường/xã mất kết nối hoặc mất uplink cùng "
            "lúc",
            f"Ít nhất {t.district_min_wards:g} phường/xã và {t.district_ratio:.0%} số "
            "phường/xã của {{ $labels.district }} đang down hoặc mất uplink: nhiều khả năng "
            "là sự cố ở tuyến trục hoặc router tổng của quận, không phải từng phường. Cảnh "
            "báo riêng của từng phường trong quận được ẩn (inhibited).",
            "router tổng và tuyến trục của quận, nguồn điện tại điểm tập trung, nhà cung cấp "
            "đường truyền (Check first: the district's aggregation router and trunk, power "
            "at the aggregation site, the line provider)."),
        Alert(
            "DistrictAggregationLinkDown", f"""
              {selector("ifOperStatus", s.district_router, links)} != 1
            and on ({IF_KEY})
              {selector("ifAdminStatus", s.district_router, links)} == 1
            """,
            "critical", "district",
            "{{ $labels.district }}: tuyến trục {{ $labels.ifName }} của router tổng quận "
            "mất kết nối",
            f"Giao diện {_IF} của router tổng {{{{ $labels.instance }}}} "
            "({{ $labels.district }}) đang down trong khi vẫn được bật. Cảnh báo riêng của "
            "từng phường trong quận được ẩn (inhibited).",
            "đèn cổng, cáp/quang và module quang tại điểm tập trung của quận, rồi báo nhà "
            "cung cấp tuyến trục (Check first: the port LED, cable or fibre and transceiver "
            "at the district's aggregation site, then call the trunk's provider)."),
    ]


def wan_groups(config: Config) -> list[Group]:
    return [
        Group("netmon-ward-routers", _ward_router(config) + _uplinks(config)),
        Group("netmon-ward-interfaces", _interfaces(config)),
        Group("netmon-ward-paths", _paths(config)),
        Group("netmon-districts", _districts(config)),
    ]
