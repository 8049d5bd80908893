"""``netmon <command>``: argument parsing, logging set-up and dispatch.

Commands:
  agent      run an agent (or, with --once, run its exporters once and print the exposition)
  collector  run a collector, or check its config and inventory
  inventory  generate Hanoi's inventory and agent tokens, or check an inventory
  snmp       poll one SNMP target once with snmp_exporter modules; print the exposition
  host       collect this host's metrics once (node_exporter names); print the exposition
  demo       run the whole system on this machine on embedded defaults

Exit status: 0 on success, 1 when the exporter failed (its error metrics are still printed),
2 for a usage or configuration error (a message on stderr says what and where).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from netmon import commands

log = logging.getLogger("netmon")


def positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse type: a number above zero."""
    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be above zero, not {text}")
        return value
    parse.__name__ = kind.__name__
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netmon", description="Monitoring for Hanoi's city WAN (Prometheus-compatible).")
    parser.add_argument("--log.level", dest="log_level", default="info",
                        choices=["debug", "info", "warn", "error"],
                        help="only log messages with this severity or above (default: info)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # Each package describes its own command; its heavy imports wait until it runs.
    from agent import cli as agent_cli
    from collector import cli as collector_cli
    from collector import inventory_cli

    agent_cli.add_arguments(sub.add_parser(
        "agent", help=agent_cli.HELP, description=agent_cli.DESCRIPTION))
    collector_cli.add_arguments(sub.add_parser(
        "collector", help="run a collector: ingest, scopes, service discovery"))
    inventory_cli.add_arguments(sub.add_parser(
        "inventory", help="generate or check an inventory of sites and agents"))

    snmp = sub.add_parser("snmp", help="poll one SNMP target once and print the exposition",
                          description=commands.snmp_description())
    snmp.add_argument("--config", action="append", metavar="FILE",
                      help="snmp_exporter module file (either layout); repeat to merge "
                           "(default: netmon's own modules)")
    snmp.add_argument("--module", required=True, metavar="M[,M2]",
                      help="comma-separated module names, as snmp_exporter's module=")
    snmp.add_argument("--auth", default="", metavar="A",
                      help="auth name from the file's auths: (default public_v2; for a file "
                           "in the older layout, each module's own auth)")
    snmp.add_argument("--timeout", type=positive(float), default=30.0, metavar="SECONDS",
                      help="deadline for the whole scrape (default 30)")
    snmp.add_argument("--max-varbinds", type=positive(int), default=50_000, metavar="N",
                      help="refuse targets that return more values per module (default 50000)")
    snmp.add_argument("target", help="[udp://]host[:port], as snmp_exporter's target=")

    host = sub.add_parser("host", help="collect this host's metrics once (node_exporter names)")
    host.add_argument("--path.procfs", dest="procfs", default="/proc", metavar="DIR",
                      help="procfs mountpoint (default /proc)")

    demo = sub.add_parser(
        "demo", help="run the whole system on this machine",
        description="A simulated WAN of ward routers (snmpsim), a collector, one agent per "
                    "ward and a host agent, all on loopback; prints the URLs to open.")
    demo.add_argument("--wards", type=positive(int), default=12, metavar="N",
                      help="simulated ward routers, 1 to 579 (default 12)")
    demo.add_argument("--interval", type=positive(float), default=15.0, metavar="SECONDS",
                      help="how often agents poll and report (default 15)")
    demo.add_argument("--listen", default="127.0.0.1:9750", metavar="HOST:PORT",
                      help="the collector's address (default 127.0.0.1:9750)")
    demo.add_argument("--duration", type=positive(float), default=None, metavar="SECONDS",
                      help="stop after this long (default: run until Ctrl-C)")
    demo.add_argument("--once", action="store_true",
                      help="wait until every agent has reported, show it, and stop")
    demo.add_argument("--workdir", type=Path, default=None, metavar="DIR",
                      help="where the demo keeps its files (default ~/.cache/netmon/demo)")
    return parser


def setup_logging(level: str) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level={"warn": logging.WARNING}.get(level, getattr(logging, level.upper())),
        format="ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.log_level)
    try:
        if args.command == "agent":
            from agent import cli as agent_cli
            return agent_cli.run(args)
        if args.command == "collector":
            from collector import cli as collector_cli
            return collector_cli.run(args)
        if args.command == "inventory":
            from collector import inventory_cli
            return inventory_cli.run(args)
        if args.command == "snmp":
            return commands.run_snmp(args)
        if args.command == "host":
            return commands.run_host(args)
        if args.command == "demo":
            return commands.run_demo(args)
    except commands.UsageError as exc:
        print(f"netmon {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    raise AssertionError(f"unhandled command {args.command}")
