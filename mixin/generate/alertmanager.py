"""Alertmanager's configuration: routing by district to the team that owns it, grouping by
alert and district (an outage of a district is one notification), and inhibition that follows
the topology (see the ``layer`` label in :mod:`mixin.generate.model`):

1. a ward's router or agent down (``ward-site``) silences that ward's interface, path and
   router alerts;
2. a district outage or aggregation link down (``district``) silences every ward alert of
   its district;
3. a collector down, or one that sees most agents down (``collector``), silences the
   "agent down" and "path down" alerts seen through that collector;
4. an uplink down silences the flapping, bandwidth, error and discard alerts of that same
   interface;
5. a critical alert silences the warning of the same alert on the same object.
"""

from __future__ import annotations

from mixin.generate.config import Config

__all__ = ["DC_HOST_ROLE", "PLATFORM_LAYERS", "alertmanager_config"]

#: Layers, and the role, that belong to no district's team but to the platform team.
PLATFORM_LAYERS = ("collector", "dc-host")
DC_HOST_ROLE = "dc-host"
_REGEX_SPECIAL = set(".+*?()[]{}|^$\\")


def regex_alternatives(values: tuple[str, ...]) -> str:
    return "|".join("".join(f"\\{c}" if c in _REGEX_SPECIAL else c for c in v) for v in values)


def _matcher(label: str, values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return f'{label}="{values[0]}"'
    return f'{label}=~"{regex_alternatives(values)}"'


def alertmanager_config(config: Config) -> dict[str, object]:
    am = config.alertmanager
    teams = [am.default_team, am.platform_team, *(t.name for t in am.teams)]
    platform = ["alertname", "collector", "dc"]
    routes: list[dict[str, object]] = [
        {"receiver": am.platform_team, "matchers": [_matcher("layer", PLATFORM_LAYERS)],
         "group_by": platform},
        {"receiver": am.platform_team, "matchers": [_matcher("role", (DC_HOST_ROLE,))],
         "group_by": platform},
    ]
    routes += [{"receiver": team.name, "matchers": [_matcher("district", team.districts)]}
               for team in am.teams]
    ward_layers = ("ward-interface", "ward-path", "ward-router")
    return {
        "global": {"resolve_timeout": am.resolve_timeout},
        "route": {
            "receiver": am.default_team,
            "group_by": list(am.group_by),
            "group_wait": am.group_wait,
            "group_interval": am.group_interval,
            "repeat_interval": am.repeat_interval,
            "routes": routes,
        },
        "receivers": [
            {"name": team, "webhook_configs": [
                {"url": am.webhook_url.replace("{team}", team), "send_resolved": True}]}
            for team in teams],
        "inhibit_rules": [
            {"source_matchers": ['layer="ward-site"'],
             "target_matchers": [_matcher("layer", ward_layers)],
             "equal": ["district", "ward"]},
            {"source_matchers": ['layer="district"'],
             "target_matchers": [_matcher("layer", ("ward-site", *ward_layers, "agent"))],
             "equal": ["district"]},
            {"source_matchers": [_matcher("alertname", ("NetmonCollectorDown",
                                                        "NetmonCollectorMostAgentsDown"))],
             "target_matchers": [_matcher("alertname", ("NetmonAgentDown", "WardPathDown"))],
             "equal": ["collector"]},
            {"source_matchers": ['alertname="WardUplinkDown"'],
             "target_matchers": [_matcher("alertname", (
                 "WardInterfaceFlapping", "WardInterfaceBandwidthHigh", "WardInterfaceErrors",
                 "WardInterfaceDiscards"))],
             "equal": ["agent", "instance", "ifIndex"]},
            {"source_matchers": ['severity="critical"'],
             "target_matchers": ['severity="warning"'],
             "equal": ["alertname", "agent", "instance", "ifIndex", "device", "mountpoint",
                       "collector"]},
        ],
    }
