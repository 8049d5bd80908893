"""``netmon inventory``: generate Hanoi's inventory, or check an inventory file.

    netmon inventory hanoi --out inventory.yml --tokens-dir tokens/ [--sites 579] [--dc-hosts 2]
                           [--polled-wards N] [--dc-switches N] [--device-address TEMPLATE]
                           [--device-auth NAME]
    netmon inventory check inventory.yml
    netmon inventory rotate-token AGENT --inventory inventory.yml --tokens-dir tokens/
                                  [--grace 7d]

``hanoi`` writes the inventory (token hashes only) and one token file per agent (0600),
reusing the token files already in ``--tokens-dir``. Exit status: 0, or 2 with a message on
stderr for a usage or file error.

``rotate-token`` gives an agent a new token without a gap: it writes the new token over
``<agent>.token`` (deploy that file to the agent), adds its hash to the agent's
``token_sha256``, and moves the agent's other non-expiring hashes to ``tokens:`` with
``expires`` ``--grace`` from now (default 7 days), so the agent keeps working with its old
token until the new one is deployed and the old one stops at a known time; entries that have
already expired are removed. ``--grace 0`` revokes the old tokens at once (they are removed).
Reload the collectors afterwards (SIGHUP or ``POST /-/reload``): a removed or expired token is
refused from the next push on. The inventory is rewritten in place (its leading comment kept).
``hanoi`` run again afterwards writes only the current token of each agent (the one in its
file): run it after the grace period, or the old tokens are revoked early.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collector.inventory import Inventory

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="inventory_command", required=True, metavar="ACTION")
    hanoi = sub.add_parser("hanoi", help="generate Hanoi's inventory and agent tokens",
                           description="Build the inventory of Hanoi's WAN from the ward list: "
                           "every ward, generated sites up to --sites, both data centres.")
    hanoi.add_argument("--sites", type=int, default=579, metavar="N",
                       help="ward sites in the WAN (default 579: the 526 wards of the list "
                            "and 53 generated ones; fewer takes wards from every district)")
    hanoi.add_argument("--dc-hosts", type=int, default=2, metavar="N",
                       help="host agents in each data centre (default 2)")
    hanoi.add_argument("--polled-wards", type=int, default=0, metavar="N",
                       help="ward routers polled by the collectors over SNMP instead of "
                            "having an agent (taken one district at a time; default 0)")
    hanoi.add_argument("--dc-switches", type=int, default=0, metavar="N",
                       help="switches in each data centre, polled by the collectors "
                            "(default 0)")
    hanoi.add_argument("--device-address", default="{name}.wan.hanoi.example",
                       metavar="TEMPLATE",
                       help="a polled device's SNMP address: {name} is the device, {site} "
                            "its site id (default %(default)s)")
    hanoi.add_argument("--device-auth", default="public_v2", metavar="NAME",
                       help="the SNMP auth (in the collector's module files) of polled "
                            "devices (default %(default)s)")
    hanoi.add_argument("--wards", type=Path, default=None, metavar="CSV",
                       help="the ward list (default: collector/data/hanoi_wards.csv)")
    hanoi.add_argument("--out", required=True, metavar="FILE",
                       help="where to write the inventory ('-': standard output)")
    hanoi.add_argument("--tokens-dir", required=True, type=Path, metavar="DIR",
                       help="one token file per agent (created 0600; existing ones reused)")
    check = sub.add_parser("check", help="validate an inventory file and summarise it")
    check.add_argument("file", type=Path)
    rotate = sub.add_parser("rotate-token", help="give an agent a new token; the old ones "
                            "expire after a grace period",
                            description="Write a new token for AGENT, add its hash to the "
                            "inventory, and make the agent's old tokens expire after --grace.")
    rotate.add_argument("agent", metavar="AGENT")
    rotate.add_argument("--inventory", required=True, type=Path, metavar="FILE")
    rotate.add_argument("--tokens-dir", required=True, type=Path, metavar="DIR")
    rotate.add_argument("--grace", default="7d", metavar="DURATION",
                        help="how long the old tokens stay valid: 90s, 30m, 12h, 7d; 0 "
                             "revokes them at once (default %(default)s)")


def run(args: argparse.Namespace) -> int:
    from collector.errors import ConfigError

    try:
        if args.inventory_command == "hanoi":
            return _hanoi(args)
        if args.inventory_command == "rotate-token":
            return _rotate(args.agent, args.inventory, args.tokens_dir, _grace(args.grace))
        return _check(args.file)
    except ConfigError as exc:
        print(f"netmon inventory: {exc}", file=sys.stderr)
        return 2


def _summary(inventory: Inventory) -> str:
    kinds = Counter("generated" if s.generated else s.kind for s in inventory.sites)
    roles = Counter(a.role for a in inventory.agents)
    devices = Counter(d.role for d in inventory.devices)
    return (f"{len(inventory.districts)} districts; sites: "
            + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
            + f"; {len(inventory.agents)} agents: "
            + ", ".join(f"{n} {r}" for r, n in sorted(roles.items()))
            + (f"; {len(inventory.devices)} polled devices: "
               + ", ".join(f"{n} {r}" for r, n in sorted(devices.items()))
               if inventory.devices else ""))


def _hanoi(args: argparse.Namespace) -> int:
    from collector.inventory_hanoi import (
        PolledDevices,
        build_hanoi,
        default_wards_path,
        parse_wards,
        read_wards,
    )
    from collector.inventory_load import parse_inventory
    from collector.inventory_write import dump_inventory
    from collector.tokens import TokenDir

    wards_path = args.wards or default_wards_path()
    wards = parse_wards(read_wards(wards_path), str(wards_path))
    tokens = TokenDir(args.tokens_dir)
    polled = PolledDevices(args.polled_wards, args.dc_switches, args.device_address,
                           args.device_auth)
    inventory = build_hanoi(wards, tokens.hashes, sites=args.sites, dc_hosts=args.dc_hosts,
                            polled=polled)
    devices = (f" --polled-wards {args.polled_wards} --dc-switches {args.dc_switches}"
               if inventory.devices else "")
    header = (f"netmon inventory of Hanoi's WAN, generated by `netmon inventory hanoi --sites "
              f"{args.sites} --dc-hosts {args.dc_hosts}{devices}`\nfrom {wards_path.name}. Token "
              "hashes only (SHA-256); the tokens are in the tokens directory.\n"
              "Sites with generated: true are not real wards: they size the fleet.")
    text = dump_inventory(inventory, header)
    parse_inventory(text, "generated inventory")  # what we write must load
    if args.out == "-":
        sys.stdout.write(text)
    else:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"netmon inventory: cannot write {args.out}: {exc}", file=sys.stderr)
            return 2
    print(f"netmon inventory: {_summary(inventory)}; tokens in {args.tokens_dir}: "
          f"{tokens.created} new, {tokens.reused} reused", file=sys.stderr)
    return 0


def _check(path: Path) -> int:
    from collector.inventory_load import load_inventory

    inventory = load_inventory(path)
    print(f"{path}: {_summary(inventory)}")
    return 0


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
_UNIT = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _grace(text: str) -> float:
    from collector.errors import ConfigError

    m = _DURATION.match(text.strip())
    if m is None:
        raise ConfigError(f"--grace {text!r} is not a duration. Write 90s, 30m, 12h, 7d or 0.")
    return float(m.group(1)) * _UNIT[m.group(2)]


def _rotate(agent_id: str, path: Path, tokens_dir: Path, grace: float,
            now: float | None = None) -> int:
    from collector.errors import ConfigError
    from collector.inventory import AgentToken
    from collector.inventory_load import load_inventory, parse_inventory
    from collector.inventory_write import dump_inventory
    from collector.tokens import TokenDir

    inventory = load_inventory(path)
    if not any(a.id == agent_id for a in inventory.agents):
        raise ConfigError(f"{path}: no agent {agent_id!r} in the inventory. Check the id "
                          "(netmon inventory check lists the agents).")
    now = time.time() if now is None else now
    expires = float(int(now + grace))   # whole seconds: the file says them
    new_hash = TokenDir(tokens_dir).replace(agent_id)
    agents = list(inventory.agents)
    index = [a.id for a in agents].index(agent_id)
    agent = agents[index]
    old = (tuple(t for t in agent.expiring if t.expires > now)
           + tuple(AgentToken(h, expires) for h in agent.token_sha256)) if grace > 0 else ()
    agents[index] = dataclasses.replace(agent, token_sha256=(new_hash,), expiring=old)
    rotated = dataclasses.replace(inventory, agents=tuple(agents))
    header = "\n".join(line[1:].removeprefix(" ") for line in _leading_comment(path))
    text = dump_inventory(rotated, header)
    parse_inventory(text, "rotated inventory")   # what we write must load
    temporary = path.with_name(f".{path.name}.new")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the inventory ({exc.strerror}).") from None
    revoked = len(agent.token_sha256) + len(agent.expiring) - len(old)
    until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
    print(f"netmon inventory: new token for {agent_id} in {tokens_dir / f'{agent_id}.token'}; "
          f"{len(old)} old token(s) valid until {until} at the latest, {revoked} removed. "
          "Deploy the new token file to the agent, then reload the collectors (SIGHUP or "
          "POST /-/reload).", file=sys.stderr)
    return 0


def _leading_comment(path: Path) -> list[str]:
    lines = []
    with path.open(encoding="utf-8") as file:
        for line in file:
            if not line.startswith("#"):
                break
            lines.append(line.rstrip("\n"))
    return lines
