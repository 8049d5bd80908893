"""Load (at start) and reload (``POST /-/reload``, SIGHUP) the config and the inventory.

A reload reads the config file again (with the command line's overrides) and the inventory
it names, both in a worker thread, then swaps them in on the loop: stored state is kept, an
agent removed from the inventory has its series withdrawn, a token removed from it is refused
from the next push on. If either file is wrong, nothing changes and the error says where.
The listen address, ``dc``, ``remote_write`` and ``sharding`` are only read at start: a
change is logged, not applied.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from collector.config import CollectorConfig
from collector.errors import ConfigError, ReloadFailed
from collector.inventory import Inventory
from collector.inventory_load import load_inventory
from collector.runtime import Live, Runtime
from collector.state import LIVE, METRICS

log = logging.getLogger(__name__)

__all__ = ["load_runtime", "reload"]


def _load(live: Live, first: bool) -> tuple[CollectorConfig, Inventory]:
    config = live.config if first or live.source is None else live.source.load()
    if config.inventory is None:
        raise ConfigError("no inventory configured. Set inventory: in the config file or "
                          "pass --inventory FILE.")
    return config, load_inventory(config.inventory)


async def load_runtime(app: web.Application, first: bool) -> Runtime:
    """Load config and inventory and make them current; raises ConfigError."""
    live, metrics = app[LIVE], app[METRICS]
    async with live.reloading:
        try:
            config, inventory = await asyncio.to_thread(_load, live, first)
        except ConfigError:
            metrics.reload_success.set(0)
            raise
        previous = live.runtime
        if previous is not None and (config.host, config.port) != (previous.config.host,
                                                                   previous.config.port):
            log.warning("listen address changed to %s: restart the collector to apply it",
                        config.listen)
        if previous is not None and (config.remote_write, config.dc) != (
                previous.config.remote_write, previous.config.dc):
            log.warning("remote_write or dc changed: restart the collector to apply it "
                        "(remote_write keeps its settings until then)")
        if (previous is not None and config.traps.enabled
                and not previous.config.traps.enabled):
            log.warning("traps: added by a reload: restart the collector to start the "
                        "receiver (a receiver started with the collector follows reloads)")
        if previous is not None and config.sharding != previous.config.sharding:
            log.warning("sharding changed: restart the collector to apply it (the members "
                        "and checks of the start stay until then)")
        runtime = Runtime.build(config, inventory)
        live.install(runtime)
        metrics.reload_success.set(1)
        metrics.reload_time.set_to_current_time()
    sizes = " ".join(f"{name}={len(ids)}" for name, ids in runtime.scopes.members.items())
    unscoped = len(inventory.identities) - len(runtime.scopes.home)  # agents, devices
    log.info("%s config=%s inventory=%s agents=%d scopes: %s%s", "loaded" if first else
             "reloaded", (live.source and live.source.path) or "-", config.inventory,
             len(inventory.agents), sizes,
             f" (agents in no scope: {unscoped})" if unscoped else "")
    return runtime


async def reload(app: web.Application) -> Runtime:
    try:
        return await load_runtime(app, first=False)
    except ConfigError as exc:
        log.error("reload failed, running config and inventory kept: %s", exc)
        raise ReloadFailed(str(exc)) from None
