"""An agent process for the fault tests: the real Agent, spool and shippers, loaded from a
real agent.yml, with one exporter that returns a ward router's families every run (mapped
from the captured walk in tests/exporters/snmp/golden): reports of a real ward's size, about
5.4 kB gzipped, with the same number of samples every time.

    python -m tests.agent.spool_agent agent.yml [--interval 0.05] [--drain]
                                      [--metrics-out FILE]

``--drain`` runs no exporter and exits once every collector has every spooled report.
SIGTERM or SIGINT stops it as ``netmon agent`` stops. On a clean exit it writes the agent's
own metrics (the exposition of ``netmon_agent_*``) to ``--metrics-out``. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from prometheus_client import Metric

from agent.config_load import load_agent_config
from agent.jobs import Job
from agent.runtime import Agent
from exporters.exposition import render
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.mapping import CompiledModule, map_pdus
from netmon.commands import netmon_modules_path
from tests.exporters.snmp.test_golden import GOLDEN, MODULES, read_walk


def ward_families() -> list[Metric]:
    walk = read_walk(GOLDEN / "ward-router.walk")
    config = load_snmp_config([netmon_modules_path()])
    families: list[Metric] = []
    for module in MODULES:
        families += map_pdus(CompiledModule.build(config.modules[module]), walk)
    return families


class WardRouter:
    """A ward router that always answers the same walk."""

    def __init__(self) -> None:
        self._families = ward_families()

    @property
    def name(self) -> str:
        return "snmp:ward"

    async def collect(self) -> list[Metric]:
        return list(self._families)


async def _main(args: argparse.Namespace) -> bytes:
    config = load_agent_config(args.config)
    jobs = [] if args.drain else [Job(WardRouter(), args.interval, args.interval)]
    agent = Agent(config, None, jobs=jobs)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    task = asyncio.create_task(agent.run(stop))
    if args.drain:
        while agent.outbox is None and not task.done():  # noqa: ASYNC110 - opened in run()
            await asyncio.sleep(0.01)
        if agent.outbox is not None:
            drained = asyncio.create_task(agent.outbox.wait_idle())
            await asyncio.wait([drained, task], return_when=asyncio.FIRST_COMPLETED)
            drained.cancel()
        stop.set()
    await task
    return render(agent.metrics.families())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--drain", action="store_true")
    parser.add_argument("--metrics-out", default="")
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="ts=%(asctime)s level=%(levelname)s logger=%(name)s "
                               "msg=%(message)s")
    metrics = asyncio.run(_main(args))
    if args.metrics_out:
        Path(args.metrics_out).write_bytes(metrics)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
