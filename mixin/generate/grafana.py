"""Grafana dashboard JSON, built from small values: targets, panels, variables, a layout that
fills rows of 24 columns, and the dashboard around them.

Every panel and target reads the datasource variable ``$datasource`` (type prometheus), so
each dashboard works against either data centre's Prometheus.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mixin.generate.model import promql

__all__ = ["DS", "Panel", "Target", "dashboard", "datasource_variable", "query_variable",
           "to_json"]

DS: dict[str, str] = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39
STATE_STEPS: list[dict[str, Any]] = [
    {"color": "green", "value": None}, {"color": "orange", "value": 1},
    {"color": "red", "value": 2}]


@dataclass(frozen=True)
class Target:
    expr: str
    legend: str = ""
    instant: bool = False
    table: bool = False

    def data(self, ref: str) -> dict[str, Any]:
        out: dict[str, Any] = {"datasource": DS, "refId": ref, "expr": promql(self.expr),
                               "legendFormat": self.legend or "__auto",
                               "range": not self.instant, "instant": self.instant}
        if self.table:
            out["format"] = "table"
        return out


@dataclass(frozen=True)
class Panel:
    """One panel; ``width`` and ``height`` in grid units (24 columns a row)."""

    kind: str
    title: str
    targets: Sequence[Target]
    width: int = 12
    height: int = 8
    unit: str = ""
    description: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    transformations: Sequence[Mapping[str, Any]] = ()
    #: Why this panel may show nothing against a healthy system (metrics that have not
    #: landed yet, or that exist only during incidents); empty: it always has data.
    may_be_empty: str = ""

    def data(self, panel_id: int, x: int, y: int) -> dict[str, Any]:
        defaults: dict[str, Any] = dict(self.defaults)
        if self.unit:
            defaults["unit"] = self.unit
        description = self.description
        if self.may_be_empty:
            description = (f"{description} " if description else "") + \
                f"(Có thể trống / may be empty: {self.may_be_empty})"
        out: dict[str, Any] = {
            "id": panel_id, "type": self.kind, "title": self.title,
            "gridPos": {"x": x, "y": y, "w": self.width, "h": self.height},
            "datasource": DS,
            "targets": [t.data(chr(ord("A") + i)) for i, t in enumerate(self.targets)],
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": dict(self.options),
        }
        if description:
            out["description"] = description
        if self.transformations:
            out["transformations"] = [dict(t) for t in self.transformations]
        return out


def _layout(panels: Sequence[Panel]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    x = y = row_height = 0
    for number, panel in enumerate(panels, start=1):
        if x + panel.width > 24:
            x, y, row_height = 0, y + row_height, 0
        out.append(panel.data(number, x, y))
        x += panel.width
        row_height = max(row_height, panel.height)
    return out


def datasource_variable() -> dict[str, Any]:
    return {"type": "datasource", "name": "datasource", "label": "Prometheus",
            "query": "prometheus", "current": {}, "hide": 0, "refresh": 1, "regex": "",
            "options": []}


def query_variable(name: str, label: str, query: str, *, multi: bool = False,
                   include_all: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "query", "name": name, "label": label, "datasource": DS,
        "definition": query, "query": {"query": query, "refId": f"{name}-variable"},
        "refresh": 2, "sort": 1, "multi": multi, "includeAll": include_all,
        "current": {}, "hide": 0, "options": [], "regex": ""}
    if include_all:
        out["allValue"] = ".*"
    return out


def dashboard(uid: str, title: str, panels: Sequence[Panel],
              variables: Sequence[Mapping[str, Any]], *, refresh: str, time_from: str,
              description: str = "") -> dict[str, Any]:
    return {
        "uid": uid, "title": title, "description": description, "tags": ["netmon"],
        "timezone": "browser", "editable": True, "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION, "version": 1, "refresh": refresh,
        "time": {"from": time_from, "to": "now"},
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "links": [{"type": "dashboards", "tags": ["netmon"], "asDropdown": True,
                   "title": "netmon", "includeVars": False, "keepTime": True}],
        "templating": {"list": [datasource_variable(), *variables]},
        "panels": _layout(panels),
    }


def to_json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# --- panel shorthands ---------------------------------------------------------------------

def state_mappings() -> list[dict[str, Any]]:
    """netmon:ward:state's values, in Vietnamese."""
    return [{"type": "value", "options": {
        "0": {"text": "Bình thường (OK)", "color": "green", "index": 0},
        "1": {"text": "Mất một uplink (degraded)", "color": "orange", "index": 1},
        "2": {"text": "Mất kết nối (down)", "color": "red", "index": 2}}}]


def timeseries(title: str, targets: Sequence[Target], unit: str = "", width: int = 12,
               height: int = 8, **kwargs: Any) -> Panel:
    return Panel("timeseries", title, targets, width, height, unit,
                 options={"legend": {"displayMode": "table", "placement": "bottom",
                                     "calcs": ["mean", "max", "lastNotNull"],
                                     "showLegend": True},
                          "tooltip": {"mode": "multi", "sort": "desc"}},
                 defaults={"custom": {"lineWidth": 1, "fillOpacity": 10}},
                 **kwargs)


def stat(title: str, targets: Sequence[Target], unit: str = "", width: int = 6,
         height: int = 4, steps: Sequence[Mapping[str, Any]] | None = None,
         mappings: Sequence[Mapping[str, Any]] = (), **kwargs: Any) -> Panel:
    defaults: dict[str, Any] = {
        "color": {"mode": "thresholds"},
        "thresholds": {"mode": "absolute",
                       "steps": list(steps or [{"color": "green", "value": None}])}}
    if mappings:
        defaults["mappings"] = list(mappings)
    return Panel("stat", title, targets, width, height, unit,
                 options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                                            "values": False},
                          "colorMode": "background", "graphMode": "none",
                          "textMode": "auto", "orientation": "auto", "justifyMode": "auto"},
                 defaults=defaults, **kwargs)


def table(title: str, targets: Sequence[Target], width: int = 12, height: int = 8,
          transformations: Sequence[Mapping[str, Any]] = (), unit: str = "",
          **kwargs: Any) -> Panel:
    return Panel("table", title, targets, width, height, unit,
                 options={"showHeader": True, "cellHeight": "sm"},
                 transformations=transformations, **kwargs)


def bargauge(title: str, targets: Sequence[Target], unit: str = "", width: int = 12,
             height: int = 10, **kwargs: Any) -> Panel:
    return Panel("bargauge", title, targets, width, height, unit,
                 options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                                            "values": False},
                          "orientation": "horizontal", "displayMode": "gradient",
                          "showUnfilled": True},
                 defaults={"color": {"mode": "continuous-GrYlRd"}}, **kwargs)
