"""Recording rules: the per-collector agent state, a ward's state, interface rates and
utilisation, and district counts; what the alerts and the dashboards share.

    netmon:agent_up:by_collector          netmon_agent_up with a `collector` label
    netmon:ward:agent_up                  1 when any collector hears the ward's agent
    netmon:ward_uplink:up                 per admin-up uplink: 1 oper up, 0 down
    netmon:ward:state                     0 ok, 1 degraded (an uplink down), 2 down (agent
                                          silent everywhere, or its router unreachable)
    netmon:district:wards                 wards per district
    netmon:district:wards_impaired        wards per district in state 1 or 2
    netmon:if_{in,out}_bps:rate<w>        bits per second
    netmon:if_{in,out}_utilisation:ratio_rate<w>   of ifHighSpeed (64-bit-safe, not ifSpeed)
    netmon:if_{in,out}_{errors,discards,packets}:rate<w>
"""

from __future__ import annotations

from mixin.generate.config import Config
from mixin.generate.model import Group, Record, selector

__all__ = ["IF_KEY", "WARD_ID", "rate_name", "recording_group"]

#: A ward's identity labels (from the collector), kept by every ward-level aggregation.
WARD_ID = "agent, site, district, ward, role"
#: What identifies one interface: the agent, the SNMP target it polls, and the ifIndex.
IF_KEY = "agent, instance, ifIndex"


def rate_name(config: Config, metric: str, kind: str = "rate") -> str:
    """``netmon:if_in_bps:rate5m`` for the configured rate window."""
    return f"netmon:{metric}:{kind}{config.windows.rate}"


def recording_group(config: Config) -> Group:
    s, r, w = config.selectors, config.regexes, config.windows.rate
    wr = s.ward_router
    uplinks = f'ifAlias=~"{r.uplink_alias}"'
    src = config.labels.collector_source
    rules: list[Record] = [
        Record("netmon:agent_up:by_collector", f"""
            label_replace({selector("netmon_agent_up", s.collector)},
                          "collector", "$1", "{src}", "(.*)")
            """),
        Record("netmon:ward:agent_up", f"""
            max by ({WARD_ID}) ({selector("netmon:agent_up:by_collector", wr)})
            """),
        Record("netmon:ward_uplink:up", f"""
              ({selector("ifOperStatus", wr, uplinks)} == bool 1)
            and on ({IF_KEY})
              ({selector("ifAdminStatus", wr, uplinks)} == 1)
            """),
        Record("netmon:ward:state", f"""
            max by ({WARD_ID}) (
                label_replace(2 * (netmon:ward:agent_up == bool 0),
                              "reason", "agent", "agent", ".*")
              or
                label_replace(2 * (max by ({WARD_ID})
                                     ({selector("netmon_exporter_success", wr,
                                                s.snmp_exporter)}) == bool 0),
                              "reason", "snmp", "agent", ".*")
              or
                label_replace(min by ({WARD_ID}) (netmon:ward_uplink:up) == bool 0,
                              "reason", "uplink", "agent", ".*")
            )
            """),
        Record("netmon:district:wards", "count by (district) (netmon:ward:state)"),
        Record("netmon:district:wards_impaired",
               "sum by (district) (netmon:ward:state >= bool 1)"),
    ]
    for direction, name in (("in", "In"), ("out", "Out")):
        rules += [
            Record(rate_name(config, f"if_{direction}_bps"),
                   f"rate({selector(f'ifHC{name}Octets', wr)}[{w}]) * 8"),
            Record(rate_name(config, f"if_{direction}_utilisation", "ratio_rate"), f"""
                  {rate_name(config, f"if_{direction}_bps")}
                / on ({IF_KEY}) group_left ()
                  (({selector("ifHighSpeed", wr)} > 0) * 1e6)
                """),
            Record(rate_name(config, f"if_{direction}_errors"),
                   f"rate({selector(f'if{name}Errors', wr)}[{w}])"),
            Record(rate_name(config, f"if_{direction}_discards"),
                   f"rate({selector(f'if{name}Discards', wr)}[{w}])"),
            Record(rate_name(config, f"if_{direction}_packets"), f"""
                  rate({selector(f"ifHC{name}UcastPkts", wr)}[{w}])
                + rate({selector(f"ifHC{name}MulticastPkts", wr)}[{w}])
                + rate({selector(f"ifHC{name}BroadcastPkts", wr)}[{w}])
                """),
        ]
    return Group("netmon-recording", rules)
