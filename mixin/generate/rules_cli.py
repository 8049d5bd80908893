"""Alerts on what the agents read from the ward routers' CLI (``exporters.cli``): BGP peers,
IP SLA operations, optics, running-config changes, and the CLI checks themselves.

All of them are of the ``ward-router`` layer, so a ward whose router is unreachable has them
inhibited (Alertmanager's topology rules), and they carry the ward's identity labels that the
collector adds, so they route to the district's team.
"""

from __future__ import annotations

from mixin.generate.config import Config
from mixin.generate.model import Alert, Group, selector
from mixin.generate.rules_recording import WARD_ID

__all__ = ["cli_groups"]

_WARD = "{{ $labels.ward }}, {{ $labels.district }}"
_DEVICE = "{{ $labels.device }}"


def _alerts(config: Config) -> list[Alert]:
    s, t, w = config.selectors, config.thresholds, config.windows
    wr = s.ward_router
    return [
        Alert(
            "WardBgpPeerDown", f"""
            max by ({WARD_ID}, device, neighbor, remote_as) (
              {selector("netmon_cli_bgp_peer_established", wr)}
            ) == 0
            """,
            "warning", "ward-router",
            f"{_WARD}: phiên BGP với {{{{ $labels.neighbor }}}} không ở trạng thái Established",
            f"Router {_DEVICE} báo phiên BGP với láng giềng {{{{ $labels.neighbor }}}} (AS "
            "{{ $labels.remote_as }}) không thiết lập: các tuyến học từ láng giềng này đã mất.",
            "trạng thái uplink tới láng giềng, `show ip bgp neighbors` (lý do đóng phiên, "
            "hold timer), thay đổi cấu hình gần đây (Check first: the uplink towards the "
            "neighbour, the session's last reset reason and hold timer, recent config "
            "changes)."),
        Alert(
            "WardIpSlaFailing", f"""
            max by ({WARD_ID}, device, sla) (
              {selector("netmon_cli_ip_sla_success", wr)}
            ) == 0
            """,
            "warning", "ward-router",
            f"{_WARD}: IP SLA {{{{ $labels.sla }}}} báo lỗi",
            f"Thao tác IP SLA {{{{ $labels.sla }}}} trên router {_DEVICE} không trả về OK: "
            "đích đo không trả lời hoặc vượt ngưỡng.",
            "`show ip sla statistics {{ $labels.sla }}` (mã trả về), đường tới đích đo, độ trễ "
            "và mất gói đến data centre (Check first: the operation's return code, the path "
            "to its target, latency and loss to the data centres)."),
        Alert(
            "WardOpticalRxLow", f"""
            min by ({WARD_ID}, device, interface) (
              {selector("netmon_cli_transceiver_rx_power_dbm", wr)}
            ) < {t.optical_rx_dbm_min:g}
            """,
            "warning", "ward-router",
            f"{_WARD}: công suất thu quang thấp trên {{{{ $labels.interface }}}} "
            "({{ $value }} dBm)",
            f"Module quang {{{{ $labels.interface }}}} của router {_DEVICE} thu dưới "
            f"{t.optical_rx_dbm_min:g} dBm: sợi quang suy hao hoặc module sắp hỏng.",
            "đầu nối và dây nhảy quang (bẩn, gập), công suất phát ở đầu bên kia, nhiệt độ "
            "module (Check first: connectors and patch cords, dirty or bent; the far end's "
            "transmit power; the module's temperature)."),
        Alert(
            "WardRouterConfigChanged", f"""
            max by ({WARD_ID}, device) (
              increase({selector("netmon_cli_config_changes_total", wr)}[{w.config_change}])
            ) > 0
            """,
            "warning", "ward-router",
            f"{_WARD}: cấu hình đang chạy của router {_DEVICE} vừa thay đổi",
            f"netmon thấy cấu hình đang chạy (running-config) của {_DEVICE} khác trước trong "
            f"{w.config_change} qua (các dòng thay đổi liên tục đã được bỏ qua).",
            "lịch thay đổi đã được duyệt, ai đã đăng nhập router (AAA/syslog), so sánh với bản "
            "sao lưu cấu hình (Check first: the approved change calendar, who logged in to "
            "the router, a diff against the config backup)."),
        Alert(
            "WardCliChecksFailing", f"""
            max by ({WARD_ID}, device) ({selector("netmon_cli_up", wr)}) == 0
            """,
            "warning", "ward-router",
            f"{_WARD}: agent không đăng nhập được CLI của router {_DEVICE}",
            "Agent {{ $labels.agent }} không chạy được lệnh show trên router qua SSH: số liệu "
            "BGP, IP SLA, quang và kiểm tra cấu hình của phường này đã dừng. Lý do nằm ở "
            "netmon_cli_errors_total{kind}.",
            "netmon_cli_errors_total theo kind (auth: mật khẩu; unreachable/ssh: mạng, ACL "
            "vty, khóa host; prompt: phần mềm router), số phiên vty còn trống (Check first: "
            "the error kind; free vty lines; the router's SSH ACL and host key)."),
    ]


def cli_groups(config: Config) -> list[Group]:
    return [Group("netmon-ward-cli", _alerts(config))]
