"""The collector's aiohttp application factory.

    app = create_app(config, source)     # source: where a reload reads the config again
    runner = web.AppRunner(app, auto_decompress=False)   # see collector.server

The app loads its inventory at startup (``/-/ready`` is 200 from then on), sweeps stale
agents in the background, measures its event loop's lag to refuse pushes past its capacity
(:mod:`collector.admission`), forwards late samples through remote_write when configured (a
spool and a sender loop: :mod:`collector.remote_write`), polls the inventory's devices over
SNMP (:mod:`collector.polling`, one SNMP stack shared with ``/snmp``; shared with the
other collectors of the data centre when ``sharding:`` is set, :mod:`collector.sharding`),
receives SNMP traps
and informs when configured (:mod:`collector.traps`), and serves the routes of
:mod:`collector.routes`. ``remote_write`` is read at start only (a reload logs a change).
It must run with ``auto_decompress=False``: the push handler caps the body before
decompressing it (aiohttp would otherwise inflate gzip bodies itself, before any limit).
SIGHUP handling belongs to the process, not to the app: :mod:`collector.server` adds it.
"""

from __future__ import annotations

from aiohttp import web

from collector.admission import Admission, LoopLag
from collector.auth_log import AuthFailureLog
from collector.clock import Clock, SystemClock
from collector.config import CollectorConfig
from collector.config_load import ConfigSource
from collector.loops import (
    admission_ctx,
    inventory_ctx,
    remote_write_ctx,
    snmp_ctx,
    sweeper_ctx,
)
from collector.middlewares import error_middleware
from collector.polling.poller import Poller
from collector.polling.resources import SnmpResources
from collector.ratelimit import AgentRateLimiter
from collector.remote_write.forwarder import Forwarder
from collector.routes import add_routes
from collector.runtime import Live
from collector.selfmetrics import SelfMetrics
from collector.sharding.context import SHARDS, sharding_ctx
from collector.sharding.membership import Membership
from collector.sharding.metrics import ShardMetrics
from collector.state import (
    ADMISSION,
    AUTH_LOG,
    FORWARDER,
    LIVE,
    METRICS,
    POLLER,
    RATE_LIMITER,
    SNMP,
)
from collector.traps.context import TRAPS, traps_ctx
from collector.traps.service import Traps

__all__ = ["create_app"]


def create_app(config: CollectorConfig, source: ConfigSource | None = None,
               clock: Clock | None = None) -> web.Application:
    # keepalive_timeout is also aiohttp's deadline for a request's headers (its timer starts
    # when the connection opens and is not pushed back by bytes that arrive): slowloris
    # defence, read at start only (collector/README.md, "Tokens, limits and secrets")
    app = web.Application(middlewares=[error_middleware],
                          client_max_size=config.limits.max_compressed_bytes,
                          handler_args={"keepalive_timeout":
                                        float(config.limits.header_timeout_seconds)})
    live = Live(config, source, clock or SystemClock())
    app[LIVE] = live
    app[RATE_LIMITER] = AgentRateLimiter()
    app[AUTH_LOG] = AuthFailureLog()
    metrics = app[METRICS] = SelfMetrics(live)
    app[ADMISSION] = metrics.admission.admission = Admission(LoopLag())
    app.cleanup_ctx.append(inventory_ctx)
    app.cleanup_ctx.append(admission_ctx)
    app.cleanup_ctx.append(sweeper_ctx)
    if config.remote_write.enabled:
        forwarder = Forwarder(config.remote_write, config.dc, live.clock,
                              metrics.remote_write_samples)
        app[FORWARDER] = metrics.remote_write_queue.forwarder = forwarder
        app.cleanup_ctx.append(remote_write_ctx)
    shards = None
    if config.sharding.enabled:
        shards = app[SHARDS] = Membership(config.sharding)
        metrics.registry.register(ShardMetrics(live, shards))
        app.cleanup_ctx.append(sharding_ctx)
    snmp = app[SNMP] = SnmpResources()
    poller = app[POLLER] = metrics.targets.poller = Poller(live, snmp, app.get(FORWARDER),
                                                          shards)
    if shards is not None:
        live.elsewhere = poller.elsewhere
    app.cleanup_ctx.append(snmp_ctx)   # after remote_write: polls may be forwarded
    if config.traps.enabled:
        traps = app[TRAPS] = Traps(config.traps)
        metrics.registry.register(traps.metrics)
        app.cleanup_ctx.append(traps_ctx)   # after inventory_ctx: senders map to its agents
    add_routes(app)
    return app
