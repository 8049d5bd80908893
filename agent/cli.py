"""``netmon agent``: the agent's command line (wired into ``netmon`` by :mod:`netmon.cli`).

    netmon agent --config agent.yml                 run until SIGTERM/SIGINT, then exit 0
    netmon agent --config agent.yml --once          run every exporter once, print the
                                                    exposition it would send, send nothing
    netmon agent --once                             the same for the host exporter alone
    netmon agent --config agent.yml --check-config  load and check the config, token included

Exit status: 0 on success; 1 when ``--once`` saw an exporter fail (its error metrics are still
printed); 2 for a usage or configuration error, with a message on stderr saying what and where.
Heavy modules (aiohttp, pysnmp, psutil) are imported only once a command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.config import AgentConfig

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

HELP = "run the agent: exporters on a schedule, reports pushed to the collectors"
DESCRIPTION = ("Run the netmon agent: every configured exporter (host, SNMP targets) on its "
               "interval, each run pushed as a report to every collector. --once runs every "
               "exporter once and prints the exposition instead.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE",
                        help="agent.yml (required, except with --once: then the host exporter "
                             "alone runs on its defaults)")
    parser.add_argument("--once", action="store_true",
                        help="run every exporter once, print the exposition it would send, and "
                             "stop (sends nothing, reads no token)")
    parser.add_argument("--check-config", action="store_true",
                        help="load and check the config (and the token file), then stop")


def _fail(message: str) -> int:
    print(f"netmon agent: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from agent.errors import ConfigError

    if args.once and args.check_config:
        return _fail("--once and --check-config cannot be combined")
    try:
        if args.config:
            from agent.config_load import load_agent_config
            config = load_agent_config(args.config, read_token_file=not args.once)
        elif args.once:
            from agent.config import AgentConfig
            config = AgentConfig(agent_id="once")
        else:
            return _fail("--config FILE is required (or --once, for the host exporter alone)")
    except ConfigError as exc:
        return _fail(str(exc))
    if args.check_config:
        print(f"netmon agent: {args.config}: OK: agent {config.agent_id}, exporters "
              f"{', '.join(config.exporter_names) or 'none'}, collectors "
              f"{', '.join(c.name for c in config.collectors) or 'none'}")
        return 0
    if args.once:
        return asyncio.run(_once(config))
    if not config.exporter_names:
        return _fail(f"{args.config}: no exporter to run (the host exporter is disabled and no "
                     "SNMP target is set)")
    try:
        return asyncio.run(_serve(config))
    except ConfigError as exc:  # the spool: unusable path, in use by another agent, ...
        return _fail(str(exc))


async def _once(config: AgentConfig) -> int:
    from agent.runtime import Agent
    from exporters.snmp.client import SnmpStack

    stack = SnmpStack()
    agent = Agent(config, stack)
    try:
        result = await agent.once()
    finally:
        agent.close()
        stack.close()
    sys.stdout.buffer.write(result.exposition)
    sys.stdout.buffer.flush()
    return 0 if result.ok else 1


async def _serve(config: AgentConfig) -> int:
    import signal

    from agent.runtime import run_agents

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run_agents([config], stop)
    return 0
