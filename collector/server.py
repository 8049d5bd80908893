"""Run the collector as a process: serve until SIGTERM or SIGINT, reload on SIGHUP.

The documented graceful shutdown of aiohttp: stop accepting, let requests in flight finish
(up to ``shutdown_timeout``), then the cleanup contexts in reverse order.

With a web config (``--web.config.file``, exporter-toolkit's format: :mod:`netmon.web`) the
one listener, and so every route (push, ``/metrics``, ``/scopes/*/metrics``, ``/snmp``,
``/sd``, ``/-/*``), is served over TLS when the file has ``cert_file`` and ``key_file``, with
the certificate re-read when its files change (:class:`netmon.web.tls.ServerTls`); basic auth
(``basic_auth_users``) guards every route except the push route, which agents authenticate
with their bearer token (and, with mutual TLS, their certificate: :mod:`collector.peer`),
and ``GET /-/healthy`` and ``/-/ready`` (:data:`UNGUARDED`; ``POST /-/reload`` is guarded).
The web config is read at start; a reload (SIGHUP, ``/-/reload``) does not re-read it, but
the certificate, key and client CA files are re-read on change without one.
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
from netmon.web.config import WebConfig
from netmon.web.middleware import web_middleware
from netmon.web.tls import ServerTls
from netmon.wire import PUSH_PATH

log = logging.getLogger(__name__)

__all__ = ["RUNNER_OPTIONS", "make_runner", "secure", "serve"]

#: How the collector's app must be run (tests pass them to aiohttp's TestServer too): no
#: transparent decompression (the push handler limits the body first), no access log (a
#: push every few ms from 579 wards).
RUNNER_OPTIONS: Final[dict[str, Any]] = {"auto_decompress": False, "access_log": None}


def make_runner(app: web.Application) -> web.AppRunner:
    return web.AppRunner(app, handle_signals=False, shutdown_timeout=10.0, **RUNNER_OPTIONS)


#: Routes basic auth does not guard: the push (agents authenticate with their token) and the
#: two read-only health answers, which say nothing but "Healthy"/"Ready" and which the other
#: members of a sharded data centre and load balancers check without credentials.
UNGUARDED: Final = frozenset({PUSH_PATH, "/-/healthy", "/-/ready"})


def secure(app: web.Application, config: WebConfig | None) -> ServerTls | None:
    """Add the web config's middleware to ``app`` (before it starts); the listener's TLS, or
    None for plain HTTP. Raises ConfigError when the certificate files cannot be loaded."""
    if config is None:
        return None
    tls = ServerTls(config.tls) if config.tls.enabled else None
    app.middlewares.append(web_middleware(config, exempt=UNGUARDED))
    return tls


#: The store holds hundreds of thousands of small objects that live for minutes; with
#: CPython's default thresholds a full collection (100+ ms with 579 wards) ran every ~70
#: pushes and took about a sixth of ingest CPU (bench/ingest.py). Young objects are still
#: collected often; the old generation rarely.
GC_THRESHOLDS: Final = (50_000, 20, 100)


async def serve(config: CollectorConfig, source: ConfigSource | None = None,
                web_config: WebConfig | None = None) -> None:
    """Serve until SIGTERM/SIGINT. Raises ConfigError (bad files) or OSError (bind)."""
    gc.set_threshold(*GC_THRESHOLDS)
    app = create_app(config, source)
    app.cleanup_ctx.append(sighup_ctx)
    tls = secure(app, web_config)
    runner = make_runner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host or None, config.port,
                           ssl_context=tls.context if tls is not None else None)
        await site.start()
        log.info("listening on %s (%s%s)", ", ".join(str(a) for a in runner.addresses),
                 "TLS" if tls is not None else "plain HTTP",
                 ", basic auth" if web_config is not None and web_config.users else "")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("stopping")
    finally:
        await runner.cleanup()
