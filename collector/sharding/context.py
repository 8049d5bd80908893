"""How the app holds the membership: its typed key and its cleanup context.

    app[SHARDS] = shards = Membership(config.sharding)
    app.cleanup_ctx.append(sharding_ctx)       # before snmp_ctx: the poller follows it

The health checks run from start to stop in one task with their own HTTP session; a reload
that changes ``sharding:`` is logged, not applied (members are read at start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from collector.sharding.membership import Membership

log = logging.getLogger(__name__)

__all__ = ["SHARDS", "sharding_ctx"]

#: The members alive, as this collector sees them; set only when ``sharding`` is configured.
SHARDS = web.AppKey("shards", Membership)


async def sharding_ctx(app: web.Application) -> AsyncIterator[None]:
    shards = app[SHARDS]
    log.info("sharding: member=%s members=%d warm_up=%gs failover_within=%gs", shards.me,
             len(shards.config.members), shards.config.warm_up,
             shards.config.failover_bound)
    session = aiohttp.ClientSession()
    task = asyncio.create_task(shards.run(session), name="netmon-shard-checks")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await session.close()
