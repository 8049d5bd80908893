"""The collector's aiohttp application factory.

    app = create_app(config, source)     # source: where a reload reads the config again
    runner = web.AppRunner(app, auto_decompress=False)   # see collector.server

The app loads its inventory at startup (``/-/ready`` is 200 from then on), sweeps stale
agents in the background, and serves the routes of :mod:`collector.routes`. It must run with
``auto_decompress=False``: the push handler caps the body before decompressing it (aiohttp
would otherwise inflate gzip bodies itself, before any limit). SIGHUP handling belongs to the
process, not to the app: :mod:`collector.server` adds it.
"""

from __future__ import annotations

from aiohttp import web

from collector.clock import Clock, SystemClock
from collector.config import CollectorConfig
from collector.config_load import ConfigSource
from collector.loops import inventory_ctx, sweeper_ctx
from collector.middlewares import error_middleware
from collector.routes import add_routes
from collector.runtime import Live
from collector.selfmetrics import SelfMetrics
from collector.state import LIVE, METRICS

__all__ = ["create_app"]


def create_app(config: CollectorConfig, source: ConfigSource | None = None,
               clock: Clock | None = None) -> web.Application:
    app = web.Application(middlewares=[error_middleware],
                          client_max_size=config.limits.max_compressed_bytes)
    live = Live(config, source, clock or SystemClock())
    app[LIVE] = live
    app[METRICS] = SelfMetrics(live)
    app.cleanup_ctx.append(inventory_ctx)
    app.cleanup_ctx.append(sweeper_ctx)
    add_routes(app)
    return app
