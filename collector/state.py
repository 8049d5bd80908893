"""The application's typed state, declared in one place."""

from __future__ import annotations

from aiohttp import web

from collector.admission import Admission
from collector.remote_write.forwarder import Forwarder
from collector.runtime import Live
from collector.selfmetrics import SelfMetrics

__all__ = ["ADMISSION", "FORWARDER", "LIVE", "METRICS"]

#: Config, inventory, scopes and the store (swapped on reload; the store is kept).
LIVE = web.AppKey("live", Live)
#: The collector's own metrics, in a registry owned by the app.
METRICS = web.AppKey("metrics", SelfMetrics)
#: Forwarding to a long-term store; only set when ``remote_write.url`` is configured
#: (read it with ``app.get(FORWARDER)``).
FORWARDER = web.AppKey("forwarder", Forwarder)
#: Pushes in progress and the event loop's lag: who is answered 429.
ADMISSION = web.AppKey("admission", Admission)
