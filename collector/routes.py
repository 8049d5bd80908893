"""Every route of the collector, in one table."""

from __future__ import annotations

from aiohttp import web

from collector import admin, expose, ingest, snmp_endpoint
from netmon.wire import PUSH_PATH

__all__ = ["add_routes"]


def add_routes(app: web.Application) -> None:
    app.router.add_routes([
        web.post(PUSH_PATH, ingest.push),
        web.get("/metrics", expose.metrics),
        web.get("/scopes/{scope}/metrics", expose.scope_metrics),
        web.get("/sd", expose.sd),
        web.get("/snmp", snmp_endpoint.snmp),
        web.get("/-/healthy", admin.healthy),
        web.get("/-/ready", admin.ready),
        web.post("/-/reload", admin.reload_handler),
    ])
