"""One ward: its state, uplink traffic, utilisation and errors, latency and loss to both data
centres, router CPU, memory and uptime, and its events (uplink state over time, firing
alerts)."""

from __future__ import annotations

from typing import Any

from mixin.generate.config import Config
from mixin.generate.grafana import (
    STATE_STEPS,
    Panel,
    Target,
    dashboard,
    query_variable,
    stat,
    state_mappings,
    table,
    timeseries,
)
from mixin.generate.model import selector
from mixin.generate.rules_recording import rate_name

__all__ = ["ward_page"]

_UP_DOWN = [{"type": "value", "options": {
    "1": {"text": "Up", "color": "green", "index": 0},
    "0": {"text": "Down", "color": "red", "index": 1}}}]
_OPER_STATUS = [{"type": "value", "options": {
    str(value): {"text": text, "color": color, "index": value}
    for value, text, color in ((1, "up", "green"), (2, "down", "red"),
                               (3, "testing", "blue"), (5, "dormant", "yellow"),
                               (7, "lowerLayerDown", "orange"))}}]


def _state_timeline(title: str, target: Target) -> Panel:
    return Panel("state-timeline", title, [target], width=24, height=6,
                 options={"showValue": "never", "mergeValues": True, "rowHeight": 0.8,
                          "legend": {"showLegend": True, "displayMode": "list",
                                     "placement": "bottom"}},
                 defaults={"color": {"mode": "thresholds"}, "mappings": _OPER_STATUS,
                           "thresholds": {"mode": "absolute", "steps": [
                               {"color": "red", "value": None},
                               {"color": "green", "value": 1},
                               {"color": "red", "value": 2}]}})


def ward_page(config: Config) -> dict[str, Any]:
    s, r, p = config.selectors, config.regexes, config.probes
    ward = 'district="$district", ward="$ward"'
    uplinks = f'ifAlias=~"{r.uplink_alias}"'
    legend_if = "{{ifName}} ({{ifAlias}})"
    w = config.windows
    panels = [
        stat("Trạng thái (state)", [Target(selector("netmon:ward:state", ward))], width=6,
             steps=STATE_STEPS, mappings=state_mappings()),
        stat("Agent báo cáo (agent reporting)", [Target(selector("netmon:ward:agent_up", ward),
                                                        legend="{{agent}}")],
             width=6, steps=[{"color": "red", "value": None}, {"color": "green", "value": 1}],
             mappings=_UP_DOWN),
        stat("Uplink", [Target(selector("netmon:ward_uplink:up", ward), legend=legend_if)],
             width=6, steps=[{"color": "red", "value": None}, {"color": "green", "value": 1}],
             mappings=_UP_DOWN),
        stat("Router hoạt động liên tục (uptime)", [
            Target(f"max({selector('sysUpTime', s.ward_router, ward)}) / 100")], unit="s",
             width=6, steps=[{"color": "orange", "value": None},
                             {"color": "green", "value": config.thresholds.reboot_uptime_seconds}]),
        timeseries("Lưu lượng uplink (uplink traffic)", [
            Target(selector(rate_name(config, "if_in_bps"), ward, uplinks),
                   legend=f"{legend_if} vào (in)"),
            Target(selector(rate_name(config, "if_out_bps"), ward, uplinks),
                   legend=f"{legend_if} ra (out)")], unit="bps"),
        timeseries("Sử dụng băng thông uplink (utilisation of ifHighSpeed)", [
            Target(selector(rate_name(config, "if_in_utilisation", "ratio_rate"), ward, uplinks),
                   legend=f"{legend_if} vào (in)"),
            Target(selector(rate_name(config, "if_out_utilisation", "ratio_rate"), ward,
                            uplinks), legend=f"{legend_if} ra (out)")], unit="percentunit"),
        timeseries("Lỗi và gói hủy trên uplink (errors and discards)", [
            Target(selector(rate_name(config, f"if_{d}_{k}"), ward, uplinks),
                   legend=f"{legend_if} {k} {d}")
            for d in ("in", "out") for k in ("errors", "discards")], unit="pps"),
        timeseries("Độ trễ đến từng DC (round trip to each data centre)", [
            Target(f"max by ({p.dc_label}) ({selector(p.rtt_metric, ward)})",
                   legend=f"DC {{{{{p.dc_label}}}}}")], unit="s"),
        timeseries("Mất gói đến từng DC (loss to each data centre)", [
            Target(f"max by ({p.dc_label}) (avg_over_time("
                   f"{selector(p.loss_metric, ward)}[{w.loss}]))",
                   legend=f"DC {{{{{p.dc_label}}}}}")], unit="percentunit"),
        timeseries("CPU router", [
            Target(f"avg({selector('hrProcessorLoad', s.ward_router, ward)})",
                   legend="CPU")], unit="percent"),
        timeseries("Bộ nhớ router (memory used)", [Target(f"""
              {selector("hrStorageUsed", s.ward_router, s.router_memory, ward)}
            / {selector("hrStorageSize", s.ward_router, s.router_memory, ward)}
            """, legend="{{hrStorageDescr}}")], unit="percentunit"),
        _state_timeline("Trạng thái uplink theo thời gian (uplink events)", Target(
            selector("ifOperStatus", s.ward_router, ward, uplinks), legend=legend_if)),
        table("Cảnh báo đang kích hoạt (firing alerts)", [Target(
            selector("ALERTS", 'alertstate="firing"', ward), instant=True, table=True)],
            width=24, transformations=[{"id": "organize", "options": {
                "excludeByName": {"Time": True, "Value": True, "__name__": True,
                                  "alertstate": True}}}],
            may_be_empty="chỉ có khi có cảnh báo (only while an alert fires)"),
    ]
    collector_up = selector("netmon_agent_up", s.collector, s.ward_router)
    in_district = 'district="$district"'
    variables = [
        query_variable("district", "Quận/huyện", f"label_values({collector_up}, district)"),
        query_variable("ward", "Phường/xã", "label_values("
                       f"{selector('netmon_agent_up', s.collector, s.ward_router, in_district)}"
                       ", ward)"),
    ]
    return dashboard(f"{config.dashboards.uid_prefix}-ward",
                     "netmon / Phường/xã (ward)", panels, variables,
                     refresh=config.dashboards.refresh, time_from=config.dashboards.time_from,
                     description="Một phường/xã: uplink, độ trễ và mất gói đến hai DC, CPU và "
                                 "bộ nhớ router, sự kiện.")
