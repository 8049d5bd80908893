"""``netmon inventory``: generate Hanoi's inventory, or check an inventory file.

    netmon inventory hanoi --out inventory.yml --tokens-dir tokens/ [--sites 579] [--dc-hosts 2]
                           [--polled-wards N] [--dc-switches N] [--device-address TEMPLATE]
                           [--device-auth NAME]
    netmon inventory check inventory.yml

``hanoi`` writes the inventory (token hashes only) and one token file per agent (0600),
reusing the token files already in ``--tokens-dir``. Exit status: 0, or 2 with a message on
stderr for a usage or file error.
"""

from __future__ import annotations

import argparse
import sys
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


def run(args: argparse.Namespace) -> int:
    from collector.errors import ConfigError

    try:
        if args.inventory_command == "hanoi":
            return _hanoi(args)
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
