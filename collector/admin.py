"""``/-/healthy``, ``/-/ready``, ``/-/reload``: Prometheus's lifecycle endpoints, same shapes.

``/-/ready`` is 200 once the inventory is loaded (503 before). ``POST /-/reload`` reads the
config file and the inventory again (as SIGHUP does): 200 ``{"status": "reloaded", "agents":
n}``, or 500 ``{"error": message}`` with the running config and inventory kept.
"""

from __future__ import annotations

from aiohttp import web

from collector.errors import ReloadFailed
from collector.reload import reload
from collector.state import LIVE

__all__ = ["healthy", "ready", "reload_handler"]


async def healthy(request: web.Request) -> web.Response:
    return web.Response(text="netmon collector is Healthy.\n")


async def ready(request: web.Request) -> web.Response:
    if request.app[LIVE].runtime is None:
        return web.Response(text="netmon collector is not ready.\n", status=503)
    return web.Response(text="netmon collector is Ready.\n")


async def reload_handler(request: web.Request) -> web.Response:
    try:
        runtime = await reload(request.app)
    except ReloadFailed as exc:
        return web.json_response({"error": str(exc)}, status=500)
    return web.json_response({"status": "reloaded", "agents": len(runtime.inventory.agents)})
