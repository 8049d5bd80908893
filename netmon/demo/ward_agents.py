"""The demo's ward agents, all in one process: ``python -m netmon.demo.ward_agents FILE...``.

A real ward runs one agent on its own box; the demo runs hundreds on one machine, so they share
one process, one SNMP socket and one HTTP connection pool (:func:`agent.runtime.run_agents`),
each with its own config, token, schedule and queue. SIGTERM or SIGINT stops them cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from agent.config_load import load_agent_config
from agent.runtime import run_agents


async def _main(paths: list[str]) -> None:
    configs = [load_agent_config(path) for path in paths]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_agents(configs, stop)


def main(argv: list[str]) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="ts=%(asctime)s level=%(levelname)s logger=%(name)s "
                               "msg=%(message)s")
    asyncio.run(_main(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
