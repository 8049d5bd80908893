"""The application's typed state, declared in one place."""

from __future__ import annotations

from aiohttp import web

from collector.admission import Admission
from collector.auth_log import AuthFailureLog
from collector.polling.poller import Poller
from collector.polling.resources import SnmpResources
from collector.ratelimit import AgentRateLimiter
from collector.remote_write.forwarder import Forwarder
from collector.runtime import Live
from collector.selfmetrics import SelfMetrics

__all__ = ["ADMISSION", "AUTH_LOG", "FORWARDER", "LIVE", "METRICS", "POLLER", "RATE_LIMITER",
           "SNMP"]

#: Config, inventory, scopes and the store (swapped on reload; the store is kept).
LIVE = web.AppKey("live", Live)
#: The collector's own metrics, in a registry owned by the app.
METRICS = web.AppKey("metrics", SelfMetrics)
#: Forwarding to a long-term store; only set when ``remote_write.url`` is configured
#: (read it with ``app.get(FORWARDER)``).
FORWARDER = web.AppKey("forwarder", Forwarder)
#: Pushes in progress and the event loop's lag: who is answered 429.
ADMISSION = web.AppKey("admission", Admission)
#: The SNMP stack (one socket, one engine) and the module files: /snmp and the poller.
SNMP = web.AppKey("snmp", SnmpResources)
#: The polling of the inventory's devices (those without an agent).
POLLER = web.AppKey("poller", Poller)
#: Reports per second per agent (token buckets): 429 ``rate_limited`` past them.
RATE_LIMITER = web.AppKey("rate_limiter", AgentRateLimiter)
#: Failed authentications, logged once per source address per minute.
AUTH_LOG = web.AppKey("auth_log", AuthFailureLog)
