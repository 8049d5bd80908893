"""Run the collector as a process: serve until SIGTERM or SIGINT, reload on SIGHUP.

The documented graceful shutdown of aiohttp: stop accepting, let requests in flight finish
(up to ``shutdown_timeout``), then the cleanup contexts in reverse order.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from typing import Any, Final

from aiohttp import web

from collector.app import create_app
from collector.config import CollectorConfig
from collector.config_load import ConfigSource
from collector.loops import sighup_ctx

log = logging.getLogger(__name__)

__all__ = ["RUNNER_OPTIONS", "make_runner", "serve"]

#: How the collector's app must be run (tests pass them to aiohttp's TestServer too): no
#: transparent decompression (the push handler limits the body first), no access log (a
#: push every few ms from 579 wards).
RUNNER_OPTIONS: Final[dict[str, Any]] = {"auto_decompress": False, "access_log": None}


def make_runner(app: web.Application) -> web.AppRunner:
    return web.AppRunner(app, handle_signals=False, shutdown_timeout=10.0, **RUNNER_OPTIONS)


#: The store holds hundreds of thousands of small objects that live for minutes; with
#: CPython's default thresholds a full collection (100+ ms with 579 wards) ran every ~70
#: pushes and took about a sixth of ingest CPU (bench/ingest.py). Young objects are still
#: collected often; the old generation rarely.
GC_THRESHOLDS: Final = (50_000, 20, 100)


async def serve(config: CollectorConfig, source: ConfigSource | None = None) -> None:
    """Serve until SIGTERM/SIGINT. Raises ConfigError (bad files) or OSError (bind)."""
    gc.set_threshold(*GC_THRESHOLDS)
    app = create_app(config, source)
    app.cleanup_ctx.append(sighup_ctx)
    runner = make_runner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host or None, config.port)
        await site.start()
        log.info("listening on %s", ", ".join(str(a) for a in runner.addresses))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("stopping")
    finally:
        await runner.cleanup()
