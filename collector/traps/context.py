"""How the app holds the trap receiver: its typed key and its cleanup context.

    app[TRAPS] = traps = Traps(config.traps)
    metrics.registry.register(traps.metrics)
    app.cleanup_ctx.append(traps_ctx)          # after inventory_ctx

The receiver binds at start (a taken port stops the start with a ConfigError naming
``traps.listen``) and is closed at stop, before the app's other contexts. A task follows
reloads (every :data:`FOLLOW_SECONDS`, as the poller does): a changed ``traps:`` restarts
the receiver with it (:meth:`Traps.apply`); the inventory it maps senders to is read at
each trap anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Final

from aiohttp import web

from collector.runtime import Live
from collector.state import LIVE
from collector.traps.service import Traps

log = logging.getLogger(__name__)

__all__ = ["FOLLOW_SECONDS", "TRAPS", "follow_reloads", "traps_ctx"]

#: How often the receiver looks for a reloaded ``traps:``.
FOLLOW_SECONDS: Final = 1.0

#: The trap receiver; set only when ``traps`` is enabled (read it with ``app.get(TRAPS)``).
TRAPS = web.AppKey("traps", Traps)


async def follow_reloads(traps: Traps, live: Live) -> None:
    """Apply each reloaded ``traps:`` until cancelled."""
    seen = live.runtime
    while True:
        await asyncio.sleep(FOLLOW_SECONDS)
        runtime = live.runtime
        if runtime is not None and runtime is not seen:
            seen = runtime
            await traps.apply(runtime.config.traps, live)


async def traps_ctx(app: web.Application) -> AsyncIterator[None]:
    traps, live = app[TRAPS], app[LIVE]
    await traps.start(live)
    follower = asyncio.create_task(follow_reloads(traps, live), name="netmon-traps-reload")
    yield
    follower.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await follower
    await traps.stop()
