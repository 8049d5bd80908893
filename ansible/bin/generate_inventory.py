#!/usr/bin/env python3
"""Generate the Ansible inventory of Hanoi's WAN from netmon's ward list.

    python3 ansible/bin/generate_inventory.py --out ansible/inventory/hanoi/hosts.yml
        [--sites 579] [--dc-hosts 2] [--wards CSV] [--addresses CSV]
        [--ward-network 10.64.0.0/14] [--primary-network 10.10.0.0/24]
        [--backup-network 10.20.0.0/24] [--snmp-auth hanoi_v3] [--collector-port 9750]
        [--data-centres primary,backup]

The sites are exactly those of the collector's inventory (:func:`collector.inventory_hanoi.
build_hanoi`, the same ward list, the same generated sites up to ``--sites``, the same agent
ids), so what Ansible deploys and what the collector authenticates cannot drift apart; the
collector role renders the collector's inventory from these host variables.

Groups: one per district (its ASCII slug: ``badinh``, ``dongda``, ...), all of them children
of ``wards``; ``dc_hosts`` (the data centres' host agents); ``agents`` (``wards`` and
``dc_hosts``); ``collectors`` (one per data centre); ``prometheus``, ``alertmanager`` and
``grafana`` (children of ``monitoring``, one host per data centre); ``dc_primary`` and
``dc_backup`` (every host in that data centre). ``--data-centres primary`` gives only the
primary data centre a collector and a monitoring host (a test bed, a staged build-out).

Addresses follow a plan until the real ones are known: ward number n (1-based, in inventory
order) gets the n-th /24 of ``--ward-network``, its router at .1 and the agent's box at .10;
in each data centre's network the collector is .10, the monitoring host .20 and host agents
.101 onwards. ``--addresses`` overrides any host's: a CSV with the columns ``host``,
``ansible_host`` and ``router`` (either may be empty).

No secret is written here: tokens and SNMPv3 keys live in the vault (``netmon_vault.py``).
Exit status: 0, or 2 with a message on stderr.
"""

from __future__ import annotations

import argparse
import csv
import ipaddress
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parents[2]
_RESERVED_GROUPS = frozenset({"all", "ungrouped", "wards", "agents", "dc_hosts", "collectors",
                              "monitoring", "prometheus", "alertmanager", "grafana",
                              "dc_primary", "dc_backup"})


def _import_collector() -> Any:
    """``collector.inventory_hanoi``, from the installed netmon or from this repository."""
    try:
        from collector import inventory_hanoi
    except ImportError:
        sys.path.insert(0, str(_REPO))
        from collector import inventory_hanoi
    return inventory_hanoi


@dataclass
class Host:
    name: str
    ansible_host: str
    hostvars: dict[str, Any] = field(default_factory=dict)


def _s(value: Any) -> str:
    """A YAML flow value: JSON is valid YAML, and keeps codes as strings and names as UTF-8."""
    return json.dumps(value, ensure_ascii=False)


def _flow(values: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {_s(v)}" for k, v in values.items()) + "}"


def read_addresses(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None:
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not {"host", "ansible_host"} <= set(rows[0]):
        raise SystemExit(f"generate_inventory: {path}: the columns must include host and "
                         "ansible_host (and may include router)")
    return {row["host"]: row for row in rows}


class Plan:
    """Addresses from the networks, overridden by ``--addresses``."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.wards = list(ipaddress.ip_network(args.ward_network).subnets(new_prefix=24))
        self.dc = {"primary": ipaddress.ip_network(args.primary_network),
                   "backup": ipaddress.ip_network(args.backup_network)}
        self.overrides = read_addresses(args.addresses)

    def ward(self, number: int) -> tuple[str, str]:
        if number > len(self.wards):
            raise SystemExit(f"generate_inventory: --ward-network has {len(self.wards)} /24s "
                             f"for {number} wards: give a larger network")
        net = self.wards[number - 1]
        return str(net[10]), str(net[1])

    def dc_host(self, dc: str, offset: int) -> str:
        return str(self.dc[dc][offset])

    def apply(self, host: Host) -> Host:
        row = self.overrides.get(host.name)
        if row:
            if row.get("ansible_host"):
                host.ansible_host = row["ansible_host"]
            if row.get("router") and "netmon_ward_router" in host.hostvars:
                host.hostvars["netmon_ward_router"] = row["router"]
        return host


def build(args: argparse.Namespace) -> str:
    hanoi = _import_collector()
    wards_path = args.wards or hanoi.default_wards_path()
    rows = hanoi.parse_wards(hanoi.read_wards(wards_path), str(wards_path))
    inventory = hanoi.build_hanoi(rows, lambda _agent: (), sites=args.sites,
                                  dc_hosts=args.dc_hosts)
    slugs = {row.district_code: hanoi.slug(row.district) for row in rows}
    clash = sorted(set(slugs.values()) & _RESERVED_GROUPS)
    if clash:
        raise SystemExit(f"generate_inventory: district slug(s) {clash} clash with a group name")
    districts = {d.code: d for d in inventory.districts}
    sites = {s.id: s for s in inventory.sites}
    dc_of_site = {dc.site: dc.name for dc in inventory.data_centres}
    plan = Plan(args)
    unknown = set(plan.overrides)

    by_district: dict[str, list[Host]] = {code: [] for code in districts}
    dc_hosts: dict[str, list[Host]] = {"primary": [], "backup": []}
    ward_number = 0
    for agent in inventory.agents:
        site = sites[agent.site]
        base = {"netmon_agent_id": agent.id, "netmon_agent_role": agent.role}
        if site.kind == "ward":
            ward_number += 1
            address, router = plan.ward(ward_number)
            site_vars = {"id": site.id, "name": site.name, "kind": "ward",
                         "district": site.district, "lat": site.lat, "lon": site.lon,
                         "generated": site.generated}
            host = Host(agent.id, address, {**base, "netmon_site": site_vars,
                                            "netmon_ward_router": router,
                                            "netmon_snmp_auth": args.snmp_auth})
            by_district[site.district].append(plan.apply(host))
        else:
            dc = dc_of_site[site.id]
            offset = 101 + len(dc_hosts[dc])
            host = Host(agent.id, plan.dc_host(dc, offset), {**base, "netmon_site": {
                "id": site.id, "name": site.name, "kind": "dc", "district": site.district}})
            dc_hosts[dc].append(plan.apply(host))
        unknown.discard(host.name)

    services: dict[str, dict[str, Host]] = {}
    for dc in args.data_centres:
        services[dc] = {
            "collector": plan.apply(Host(f"hn-dc-{dc}-collector", plan.dc_host(dc, 10),
                                         {"netmon_collector_dc": dc})),
            "monitor": plan.apply(Host(f"hn-dc-{dc}-monitor", plan.dc_host(dc, 20))),
        }
        unknown -= {h.name for h in services[dc].values()}
    if unknown:
        raise SystemExit(f"generate_inventory: --addresses names hosts not in the inventory: "
                         f"{sorted(unknown)}")

    endpoints = [{"name": f"dc-{dc}", "dc": dc,
                  "url": f"http://{services[dc]['collector'].ansible_host}:{args.collector_port}"}
                 for dc in args.data_centres]
    data_centres = [{"name": dc.name, "site": {"id": sites[dc.site].id,
                                               "name": sites[dc.site].name,
                                               "district": sites[dc.site].district}}
                    for dc in inventory.data_centres]
    return render(args, districts, slugs, by_district, dc_hosts, services, endpoints,
                  data_centres, wards_path.name)


def _host_line(host: Host, indent: str) -> str:
    return f"{indent}{host.name}: {_flow({'ansible_host': host.ansible_host, **host.hostvars})}\n"


def render(args: argparse.Namespace, districts: dict[str, Any], slugs: dict[str, str],
           by_district: dict[str, list[Host]], dc_hosts: dict[str, list[Host]],
           services: dict[str, dict[str, Host]], endpoints: list[dict[str, str]],
           data_centres: list[dict[str, Any]], source: str) -> str:
    wards = sum(len(h) for h in by_district.values())
    out = [
        "# netmon: Ansible inventory of Hanoi's WAN. GENERATED, do not edit by hand:\n",
        f"#   python3 ansible/bin/generate_inventory.py --sites {args.sites} "
        f"--dc-hosts {args.dc_hosts}\n",
        f"# from {source}: {wards} ward sites in {len(districts)} districts, "
        f"{sum(len(h) for h in dc_hosts.values())} data-centre host agents, "
        f"{len(services)} collector(s).\n",
        "# Addresses follow the plan in generate_inventory.py unless --addresses gave them.\n",
        "all:\n",
        "  vars:\n",
        "    netmon_districts:\n",
    ]
    out += [f"      - {_flow({'code': c, 'name': d.name, 'slug': slugs[c]})}\n"
            for c, d in districts.items()]
    out.append("    netmon_data_centres:\n")
    out += [f"      - {_flow(dc)}\n" for dc in data_centres]
    out.append("    netmon_collector_endpoints:\n")
    out += [f"      - {_flow(e)}\n" for e in endpoints]
    out += ["  children:\n", "    agents:\n", "      children:\n", "        wards:\n",
            "          children:\n"]
    for code, hosts in by_district.items():
        if not hosts:
            continue
        district = {"code": code, "name": districts[code].name, "slug": slugs[code]}
        out += [f"            {slugs[code]}:\n", "              vars:\n",
                f"                netmon_district: {_flow(district)}\n",
                "              hosts:\n"]
        out += [_host_line(h, "                ") for h in hosts]
    every_dc_host = [h for dc in ("primary", "backup") for h in dc_hosts[dc]]
    out += (["        dc_hosts:\n", "          hosts:\n"] if every_dc_host
            else ["        dc_hosts: {}\n"])
    out += [_host_line(h, "            ") for h in every_dc_host]
    out += ["    collectors:\n", "      hosts:\n"]
    out += [_host_line(s["collector"], "        ") for s in services.values()]
    out += ["    monitoring:\n", "      children:\n"]
    for group in ("prometheus", "alertmanager", "grafana"):
        out += [f"        {group}:\n", "          hosts:\n"]
        out += [_host_line(s["monitor"], "            ") for s in services.values()]
    for dc in ("primary", "backup"):
        out += [f"    dc_{dc}:\n", "      vars:\n", f"        netmon_dc: {dc}\n",
                "      hosts:\n"]
        members = [*dc_hosts[dc], *services.get(dc, {}).values()]
        if not members:
            out[-4:] = []
            continue
        out += [f"        {h.name}:\n" for h in members]
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="the inventory file ('-': stdout)")
    parser.add_argument("--sites", type=int, default=579, help="ward sites (default 579)")
    parser.add_argument("--dc-hosts", type=int, default=2,
                        help="host agents per data centre (default 2)")
    parser.add_argument("--wards", type=Path, default=None,
                        help="the ward list (default: collector/data/hanoi_wards.csv)")
    parser.add_argument("--addresses", type=Path, default=None,
                        help="CSV host,ansible_host,router overriding the address plan")
    parser.add_argument("--ward-network", default="10.64.0.0/14")
    parser.add_argument("--primary-network", default="10.10.0.0/24")
    parser.add_argument("--backup-network", default="10.20.0.0/24")
    parser.add_argument("--snmp-auth", default="hanoi_v3",
                        help="the wards' SNMP auth profile (its keys are in the vault)")
    parser.add_argument("--collector-port", type=int, default=9750)
    parser.add_argument("--data-centres", default="primary,backup",
                        type=lambda text: [dc for dc in text.split(",") if dc],
                        help="data centres that get a collector and a monitoring host")
    args = parser.parse_args(argv)
    if not args.data_centres or set(args.data_centres) - {"primary", "backup"}:
        parser.error("--data-centres takes primary, backup or both")
    try:
        text = build(args)
    except (OSError, ValueError) as exc:
        print(f"generate_inventory: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # collector.errors.ConfigError, whose module is imported late
        if type(exc).__name__ != "ConfigError":
            raise
        print(f"generate_inventory: {exc}", file=sys.stderr)
        return 2
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
