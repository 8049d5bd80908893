"""The mixin's configuration (``mixin/config.yml``): one frozen object, loaded and checked once.

Every key is required and typed; an unknown or missing key is refused with its path
(``thresholds.flap_changes``). Overrides (the tests' short ``for:`` durations, a test webhook)
are merged into the file's mapping before the check, so they obey the same rules.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from mixin.generate.errors import MixinConfigError

__all__ = ["Alertmanager", "Config", "Dashboards", "Team", "load_config"]

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config.yml"
_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")


@dataclass(frozen=True)
class Selectors:
    ward_router: str
    dc_host: str
    snmp_exporter: str
    collector: str
    district_router: str
    router_memory: str
    node_filesystem: str
    node_network: str
    node_disk: str


@dataclass(frozen=True)
class Regexes:
    uplink_alias: str
    primary_uplink_alias: str
    district_uplink_alias: str
    remote_write_failed_results: str
    remote_write_done_results: str


@dataclass(frozen=True)
class Labels:
    collector_source: str


@dataclass(frozen=True)
class Probes:
    rtt_metric: str
    loss_metric: str
    dc_label: str


@dataclass(frozen=True)
class Windows:
    rate: str
    flap: str
    reboot: str
    loss: str
    late_ingest: str
    drops: str
    fs_predict: str
    host_rate: str
    config_change: str
    clock_sync: str


@dataclass(frozen=True)
class Thresholds:
    bandwidth_utilisation: float
    if_error_ratio: float
    if_error_min_rate: float
    if_discard_ratio: float
    if_discard_min_rate: float
    flap_changes: float
    reboot_uptime_seconds: float
    router_cpu_percent: float
    router_memory_ratio: float
    latency_seconds: float
    loss_ratio: float
    optical_rx_dbm_min: float
    district_min_wards: float
    district_ratio: float
    agent_late_seconds: float
    agent_late_queue_reports: float
    spool_age_seconds: float
    spool_reports: float
    collector_agents_down_ratio: float
    ingest_reject_ratio: float
    remote_write_lag_seconds: float
    remote_write_failed_ratio: float
    host_cpu_ratio: float
    host_memory_available_ratio: float
    fs_filling_warning_available_ratio: float
    fs_filling_warning_hours: float
    fs_filling_critical_available_ratio: float
    fs_filling_critical_hours: float
    fs_almost_full_ratio: float
    disk_busy_ratio: float
    disk_queue_depth: float
    clock_skew_seconds: float
    clock_skew_estimate_seconds: float
    host_network_error_ratio: float


@dataclass(frozen=True)
class Annotations:
    runbook_base_url: str


@dataclass(frozen=True)
class Team:
    name: str
    districts: tuple[str, ...]


@dataclass(frozen=True)
class Alertmanager:
    group_by: tuple[str, ...]
    group_wait: str
    group_interval: str
    repeat_interval: str
    resolve_timeout: str
    webhook_url: str
    platform_team: str
    default_team: str
    teams: tuple[Team, ...]


@dataclass(frozen=True)
class Dashboards:
    uid_prefix: str
    refresh: str
    time_from: str


@dataclass(frozen=True)
class Config:
    selectors: Selectors
    regexes: Regexes
    labels: Labels
    probes: Probes
    windows: Windows
    thresholds: Thresholds
    for_: Mapping[str, str]
    annotations: Annotations
    alertmanager: Alertmanager
    dashboards: Dashboards
    source: Path

    def for_duration(self, alert: str) -> str:
        try:
            return self.for_[alert]
        except KeyError:
            raise MixinConfigError(f"{self.source}: for: has no duration for the alert "
                                   f"{alert}") from None


T = TypeVar("T")


def _mapping(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise MixinConfigError(f"{path}: expected a mapping")
    return value


def _scalar(value: object, kind: Any, path: str) -> object:
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise MixinConfigError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise MixinConfigError(f"{path}: expected an integer, got {value!r}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise MixinConfigError(f"{path}: expected a string, got {value!r}")
        return value
    if kind == "tuple[str, ...]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise MixinConfigError(f"{path}: expected a list of strings")
        return tuple(value)
    raise AssertionError(kind)


def _section(cls: type[T], value: object, path: str, **given: object) -> T:
    """A frozen dataclass from a mapping whose keys are exactly the dataclass's fields
    (those in ``given`` are checked and built by the caller)."""
    data = _mapping(value, path)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise MixinConfigError(f"{path}.{unknown[0]}: unknown key (allowed: "
                               f"{', '.join(fields)})")
    missing = sorted(set(fields) - set(data))
    if missing:
        raise MixinConfigError(f"{path}.{missing[0]}: missing")
    kinds = {"float": float, "int": int, "str": str}
    values = {name: _scalar(data[name], kinds.get(str(f.type), str(f.type)), f"{path}.{name}")
              for name, f in fields.items() if name not in given}
    return cls(**values, **given)


def _durations(value: object, path: str) -> dict[str, str]:
    out = {}
    for key, item in _mapping(value, path).items():
        if not isinstance(item, str) or not _DURATION.match(item):
            raise MixinConfigError(f"{path}.{key}: expected a Prometheus duration, got "
                                   f"{item!r}")
        out[key] = item
    return out


def _alertmanager(value: object, path: str) -> Alertmanager:
    data = _mapping(value, path)
    teams_raw = data.get("teams")
    if not isinstance(teams_raw, list):
        raise MixinConfigError(f"{path}.teams: expected a list of teams")
    teams = tuple(_section(Team, t, f"{path}.teams[{i}]") for i, t in enumerate(teams_raw))
    seen: dict[str, str] = {}
    for team in teams:
        for district in team.districts:
            if district in seen:
                raise MixinConfigError(f"{path}.teams: {district} belongs to both "
                                       f"{seen[district]} and {team.name}")
            seen[district] = team.name
    return _section(Alertmanager, data, path, teams=teams)


def merge(base: Mapping[str, object], overrides: Mapping[str, object]) -> dict[str, object]:
    """``base`` with ``overrides`` merged in, mapping by mapping (lists are replaced)."""
    out = dict(base)
    for key, value in overrides.items():
        current = out.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            out[key] = merge(current, value)
        else:
            out[key] = value
    return out


def load_config(path: Path = DEFAULT_PATH,
                overrides: Mapping[str, object] | None = None) -> Config:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MixinConfigError(f"{path}: {exc}") from exc
    data = merge(_mapping(raw, str(path)), overrides or {})
    allowed = ("selectors", "regexes", "labels", "probes", "windows", "thresholds", "for",
               "annotations", "alertmanager", "dashboards")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise MixinConfigError(f"{path}: {unknown[0]}: unknown key (allowed: "
                               f"{', '.join(allowed)})")
    missing = sorted(set(allowed) - set(data))
    if missing:
        raise MixinConfigError(f"{path}: {missing[0]}: missing")
    windows = _section(Windows, data["windows"], "windows")
    for name, duration in dataclasses.asdict(windows).items():
        if not _DURATION.match(duration):
            raise MixinConfigError(f"{path}: windows.{name}: expected a Prometheus duration")
    return Config(
        selectors=_section(Selectors, data["selectors"], "selectors"),
        regexes=_section(Regexes, data["regexes"], "regexes"),
        labels=_section(Labels, data["labels"], "labels"),
        probes=_section(Probes, data["probes"], "probes"),
        windows=windows,
        thresholds=_section(Thresholds, data["thresholds"], "thresholds"),
        for_=_durations(data["for"], "for"),
        annotations=_section(Annotations, data["annotations"], "annotations"),
        alertmanager=_alertmanager(data["alertmanager"], "alertmanager"),
        dashboards=_section(Dashboards, data["dashboards"], "dashboards"),
        source=path,
    )
