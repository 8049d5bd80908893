"""The application's typed state, declared in one place."""

from __future__ import annotations

from aiohttp import web

from collector.runtime import Live
from collector.selfmetrics import SelfMetrics

__all__ = ["LIVE", "METRICS"]

#: Config, inventory, scopes and the store (swapped on reload; the store is kept).
LIVE = web.AppKey("live", Live)
#: The collector's own metrics, in a registry owned by the app.
METRICS = web.AppKey("metrics", SelfMetrics)
