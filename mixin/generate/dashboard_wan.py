"""WAN overview: a map of every ward coloured by its state, a grid by district, top talkers,
top error rates, the WAN's total traffic."""

from __future__ import annotations

from typing import Any

from mixin.generate.config import Config
from mixin.generate.grafana import (
    STATE_STEPS,
    Panel,
    Target,
    bargauge,
    dashboard,
    query_variable,
    stat,
    state_mappings,
    table,
    timeseries,
)
from mixin.generate.model import selector
from mixin.generate.rules_recording import IF_KEY, rate_name

__all__ = ["wan_overview"]

#: Hanoi's centre, for the map's first view.
HANOI = {"lat": 21.03, "lon": 105.72, "zoom": 9.5}


def _geomap(config: Config, district: str) -> Panel:
    expr = f"""
      {selector("netmon:ward:state", district)}
    * on (site) group_left (latitude, longitude)
      max by (site, latitude, longitude) (netmon_site_info{{kind="ward"}})
    """
    layer = {
        "type": "markers", "name": "Phường/xã", "tooltip": True,
        "location": {"mode": "coords", "latitude": "latitude", "longitude": "longitude"},
        "config": {"showLegend": True, "style": {
            "size": {"fixed": 6}, "opacity": 0.85,
            "color": {"field": "Value", "fixed": "green"},
            "symbol": {"mode": "fixed", "fixed": "img/icons/marker/circle.svg"}}},
    }
    return Panel(
        "geomap", "Bản đồ phường/xã theo trạng thái (map of wards by state)",
        [Target(expr, instant=True, table=True)], width=14, height=16,
        description="Mỗi điểm là một phường/xã tại toạ độ của nó trong inventory "
                    "(netmon_site_info, từ collector); xanh: bình thường, cam: mất một "
                    "uplink, đỏ: mất kết nối.",
        options={"view": {"id": "coords", **HANOI},
                 "controls": {"showZoom": True, "mouseWheelZoom": True,
                              "showAttribution": True},
                 "basemap": {"type": "default", "name": "Basemap"},
                 "layers": [layer], "tooltip": {"mode": "details"}},
        defaults={"color": {"mode": "thresholds"},
                  "thresholds": {"mode": "absolute", "steps": STATE_STEPS},
                  "mappings": state_mappings()},
        transformations=[{"id": "convertFieldType", "options": {"fields": {}, "conversions": [
            {"targetField": "latitude", "destinationType": "number"},
            {"targetField": "longitude", "destinationType": "number"}]}}])


def _district_table(district: str) -> Panel:
    organize: dict[str, Any] = {
        "excludeByName": {"Time": True},
        "renameByName": {"district": "Quận/huyện", "Value #A": "Phường/xã",
                         "Value #B": "Có sự cố (impaired)", "Value #C": "Mất kết nối (down)",
                         "Value #D": "Uplink down"}}
    return table(
        "Theo quận/huyện (by district)", [
            Target(selector("netmon:district:wards", district), instant=True, table=True),
            Target(selector("netmon:district:wards_impaired", district), instant=True,
                   table=True),
            Target(f"sum by (district) ({selector('netmon:ward:state', district)} == bool 2)",
                   instant=True, table=True),
            Target(f"sum by (district) ({selector('netmon:ward_uplink:up', district)} "
                   "== bool 0)", instant=True, table=True)],
        width=10, height=16,
        transformations=[{"id": "merge", "options": {}},
                         {"id": "organize", "options": organize},
                         {"id": "sortBy", "options": {"sort": [
                             {"field": "Có sự cố (impaired)", "desc": True}]}}])


def wan_overview(config: Config) -> dict[str, Any]:
    s, r = config.selectors, config.regexes
    district = 'district=~"$district"'
    uplinks = f'ifAlias=~"{r.uplink_alias}"'
    state = selector("netmon:ward:state", district)
    bps_in, bps_out = rate_name(config, "if_in_bps"), rate_name(config, "if_out_bps")
    errors = " + ".join(selector(rate_name(config, f"if_{d}_{k}"), district)
                        for d in ("in", "out") for k in ("errors", "discards"))
    firing = selector("ALERTS", 'alertstate="firing"', district)
    count_steps: list[dict[str, Any]] = [{"color": "green", "value": None},
                                         {"color": "red", "value": 1}]
    panels = [
        stat("Phường/xã bình thường (wards OK)", [Target(f"count({state} == 0) or vector(0)")],
             width=5),
        stat("Mất một uplink (degraded)", [Target(f"count({state} == 1) or vector(0)")],
             width=5, steps=[{"color": "green", "value": None},
                             {"color": "orange", "value": 1}]),
        stat("Mất kết nối (down)", [Target(f"count({state} == 2) or vector(0)")], width=5,
             steps=count_steps),
        stat("Uplink đang down", [Target(
            f"count({selector('netmon:ward_uplink:up', district)} == 0) or vector(0)")],
             width=4, steps=count_steps),
        stat("Cảnh báo đang kích hoạt (firing)", [Target(f"count({firing}) or vector(0)")],
             width=5, steps=[{"color": "green", "value": None},
                             {"color": "orange", "value": 1}]),
        _geomap(config, district),
        _district_table(district),
        stat("Tỉ lệ phường/xã có sự cố theo quận/huyện (grid by district)", [Target(
            f"{selector('netmon:district:wards_impaired', district)}"
            f" / {selector('netmon:district:wards', district)}", legend="{{district}}")],
             unit="percentunit", width=24, height=10,
             steps=[{"color": "green", "value": None}, {"color": "orange", "value": 0.01},
                    {"color": "red", "value": 0.5}]),
        bargauge("Top talkers: lưu lượng vào + ra (in + out)", [Target(f"""
            topk(10,
                {selector(bps_in, district)}
              + on ({IF_KEY}) group_left ()
                {selector(bps_out, district)}
            )
            """, legend="{{ward}} ({{district}}) {{ifName}}", instant=True)],
                 unit="bps"),
        bargauge("Top lỗi và gói hủy (errors + discards per second)", [Target(
            f"topk(10, {errors})",
            legend="{{ward}} ({{district}}) {{ifName}}", instant=True)], unit="pps"),
        timeseries("Tổng lưu lượng uplink WAN (total uplink traffic)", [
            Target(f"sum({selector(bps_in, district, uplinks)})", legend="vào (in)"),
            Target(f"sum({selector(bps_out, district, uplinks)})", legend="ra (out)")],
            unit="bps", width=24),
    ]
    variables = [query_variable(
        "district", "Quận/huyện",
        f"label_values({selector('netmon_agent_up', s.collector, s.ward_router)}, district)",
        multi=True, include_all=True)]
    return dashboard(f"{config.dashboards.uid_prefix}-wan-overview",
                     "netmon / WAN Hà Nội: tổng quan (WAN overview)", panels, variables,
                     refresh=config.dashboards.refresh, time_from=config.dashboards.time_from,
                     description="Mọi phường/xã của mạng WAN thành phố: bản đồ, theo "
                                 "quận/huyện, top talkers, top lỗi.")
