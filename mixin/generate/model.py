"""Rules as values: an alert, a recording rule, a group; and how each becomes YAML data.

Every alert carries ``severity`` (critical | warning) and ``layer``, the place in the topology
that Alertmanager's inhibition follows:

    district        a district's aggregation (silences every ward-* alert of its district)
    ward-site       a ward as a whole: its agent or its router is gone (silences the ward's
                    ward-interface, ward-path and ward-router alerts)
    ward-interface  one interface of a ward router
    ward-path       the path between a ward and a data centre
    ward-router     the ward router's own health (CPU, memory, reboots)
    agent           an agent's delivery (late, spool, drops)
    collector       a collector (silences the agent-down and path alerts seen through it)
    dc-host         a data-centre host

Annotations: ``summary`` and ``description`` in Vietnamese, naming the district and ward
where there is one; the description ends with what to check first ("Kiểm tra trước: ...",
English in parentheses); ``runbook_url``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mixin.generate.config import Config

__all__ = ["LAYERS", "Alert", "Group", "Record", "promql"]

LAYERS = ("district", "ward-site", "ward-interface", "ward-path", "ward-router", "agent",
          "collector", "dc-host")
SEVERITIES = ("critical", "warning")


def promql(text: str) -> str:
    """An expression written as an indented multi-line string, dedented, without its
    surrounding blank lines (a first line indented deeper than the rest stays so)."""
    return textwrap.dedent(text).strip("\n").rstrip()


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    severity: str
    layer: str
    summary: str
    description: str
    check_first: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.name}: severity {self.severity!r}")
        if self.layer not in LAYERS:
            raise ValueError(f"{self.name}: layer {self.layer!r}")

    def rule(self, config: Config) -> dict[str, object]:
        return {
            "alert": self.name,
            "expr": promql(self.expr),
            "for": config.for_duration(self.name),
            "labels": {"severity": self.severity, "layer": self.layer, **self.labels},
            "annotations": {
                "summary": self.summary,
                "description": f"{self.description.strip()}\nKiểm tra trước: "
                               f"{self.check_first.strip()}",
                "runbook_url": f"{config.annotations.runbook_base_url}/{self.name}",
            },
        }


@dataclass(frozen=True)
class Record:
    name: str
    expr: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def rule(self, config: Config) -> dict[str, object]:
        out: dict[str, object] = {"record": self.name, "expr": promql(self.expr)}
        if self.labels:
            out["labels"] = dict(self.labels)
        return out


@dataclass(frozen=True)
class Group:
    name: str
    rules: Sequence[Alert | Record]
    interval: str = ""

    def data(self, config: Config) -> dict[str, object]:
        out: dict[str, object] = {"name": self.name}
        if self.interval:
            out["interval"] = self.interval
        out["rules"] = [r.rule(config) for r in self.rules]
        return out

    @property
    def alerts(self) -> list[Alert]:
        return [r for r in self.rules if isinstance(r, Alert)]


def selector(metric: str, *matchers: str) -> str:
    """``metric{m1, m2}`` from matchers (empty ones skipped); ``metric`` may already carry
    braces (``probe_icmp_duration_seconds{phase="rtt"}``)."""
    parts = [m for m in matchers if m]
    if metric.endswith("}") and "{" in metric:
        name, inner = metric[:-1].split("{", 1)
        parts = [inner.strip(), *parts] if inner.strip() else parts
        metric = name
    return f"{metric}{{{', '.join(parts)}}}" if parts else metric
