"""How the app holds the trap receiver: its typed key and its cleanup context.

    app[TRAPS] = traps = Traps(config.traps)
    metrics.registry.register(traps.metrics)
    app.cleanup_ctx.append(traps_ctx)          # after inventory_ctx

The receiver binds at start (a taken port stops the start with a ConfigError naming
``traps.listen``) and is closed at stop, before the app's other contexts. ``traps:`` is read
at start only: a reload does not rebind or change it (the inventory it maps senders to does
follow reloads).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from collector.state import LIVE
from collector.traps.service import Traps

__all__ = ["TRAPS", "traps_ctx"]

#: The trap receiver; set only when ``traps`` is enabled (read it with ``app.get(TRAPS)``).
TRAPS = web.AppKey("traps", Traps)


async def traps_ctx(app: web.Application) -> AsyncIterator[None]:
    traps = app[TRAPS]
    await traps.start(app[LIVE])
    yield
    await traps.stop()
