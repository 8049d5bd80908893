"""What Prometheus reads: ``/metrics``, ``/scopes/{scope}/metrics``, ``/sd``.

``/scopes/{scope}/metrics`` is every fresh series of the scope's agents, with their identity
labels; ``?agent=ID`` narrows it to one agent, so each ward can be its own target with its own
``up``: 404 when the scope or the agent (in that scope) is unknown, **503 when the agent is
down** (stale or never reported), so Prometheus records ``up`` 0 for that ward. A scope with
no fresh agent is an empty 200.

``/sd`` is Prometheus ``http_sd_configs`` JSON: one target group per agent, with its identity
labels and ``__metrics_path__``/``__param_agent`` pointing at ``/scopes/<its scope>/metrics``
(the first scope that holds it; ``?scope=NAME`` lists one scope's agents; a device that
another member of the data centre polls, :mod:`collector.sharding`, is left to that
member's ``/sd``). The target is
``advertise`` from the config, or the host:port the ``/sd`` request was sent to. Scrape
these targets with ``honor_labels: true``: the collector is the authority on the identity
labels (as for a Pushgateway), and without it Prometheus would add ``exported_`` copies.

Large expositions (the whole WAN scope is about 120 MB for 579 ward routers) are streamed
in slabs of about 1 MiB with a yield to the loop between slabs, so pushes keep being served
while a scrape is written; small ones (one agent: about 200 kB) are sent in one piece.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

import orjson
from aiohttp import web

from collector.errors import AgentDown, NotFound
from collector.render import render_scope
from collector.state import LIVE, METRICS
from exporters.exposition import CONTENT_TYPE

__all__ = ["metrics", "scope_metrics", "sd"]

_SLAB: Final = 1024 * 1024


async def metrics(request: web.Request) -> web.Response:
    body = request.app[METRICS].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def scope_metrics(request: web.Request) -> web.StreamResponse:
    live, self_metrics = request.app[LIVE], request.app[METRICS]
    runtime, store = live.require()
    name = request.match_info["scope"]
    if name not in runtime.scopes.scopes:
        raise NotFound(f"no scope {name!r} (scopes: {', '.join(runtime.scopes.scopes)})")
    agent = request.query.get("agent")
    now = store.clock.monotonic()
    if agent is None:
        agents: tuple[str, ...] = runtime.scopes.members[name]
    else:
        if agent not in runtime.scopes.member_sets[name]:
            raise NotFound(f"no agent {agent!r} in scope {name!r}")
        state = store.agents[agent]
        if not state.is_up(now, store.staleness):
            raise AgentDown(f"agent {agent!r} has no fresh report" if state.last_report
                            is not None else f"agent {agent!r} has not reported")
        agents = (agent,)
    started = time.perf_counter()
    chunks = render_scope(store, agents, now)
    size = sum(len(c) for c in chunks)
    headers = {"Content-Type": CONTENT_TYPE}
    if size <= _SLAB:
        body = b"".join(chunks)
        self_metrics.render_duration.labels(name).observe(time.perf_counter() - started)
        return web.Response(body=body, headers=headers)
    self_metrics.render_duration.labels(name).observe(time.perf_counter() - started)
    response = web.StreamResponse(headers=headers)
    response.content_length = size
    await response.prepare(request)
    slab: list[bytes] = []
    filled = 0
    for chunk in chunks:
        slab.append(chunk)
        filled += len(chunk)
        if filled >= _SLAB:
            await response.write(b"".join(slab))
            slab, filled = [], 0
            await asyncio.sleep(0)
    if slab:
        await response.write(b"".join(slab))
    await response.write_eof()
    return response


async def sd(request: web.Request) -> web.Response:
    runtime, _ = request.app[LIVE].require()
    scope = request.query.get("scope")
    if scope is not None and scope not in runtime.scopes.scopes:
        raise NotFound(f"no scope {scope!r} (scopes: {', '.join(runtime.scopes.scopes)})")
    target = runtime.config.advertise or request.host
    groups = []
    for agent_id, identity in runtime.inventory.identities.items():  # agents, then devices
        home = runtime.scopes.home.get(agent_id) if scope is None else (
            scope if agent_id in runtime.scopes.member_sets[scope] else None)
        if home is None or request.app[LIVE].elsewhere(agent_id):
            continue
        groups.append({"targets": [target], "labels": {
            "__metrics_path__": runtime.scopes.scopes[home].path,
            "__param_agent": agent_id,
            **identity.labels()}})
    return web.Response(body=orjson.dumps(groups), content_type="application/json")
