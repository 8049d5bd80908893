"""``GET /snmp?target=&module=&auth=``: snmp_exporter's multi-target endpoint, answered from a
live poll, so an existing snmp_exporter scrape config works when pointed at a collector.

Shaped like snmp_exporter's (0.24 and later; Debian's 0.21 takes one module and no ``auth``):

* ``target`` exactly once (``[udp://]host[:port]``), else 400 ``'target' parameter must be
  specified once``; ``auth`` at most once (default ``public_v2``; a file in the older
  layout, whose modules carry their own auth, needs none), else 400; ``module`` repeated
  and/or comma-separated, duplicates dropped, default ``if_mib``. An unknown module or auth
  is 400 ``Unknown module 'x'`` / ``Unknown auth 'x'``, as snmp_exporter says it.
* The answer is the device's series with snmp_exporter's names, labels and values, then per
  module ``snmp_scrape_walk_duration_seconds``, ``snmp_scrape_packets_sent``,
  ``snmp_scrape_packets_retried``, ``snmp_scrape_pdus_returned``,
  ``snmp_scrape_duration_seconds`` (label ``module``; Debian's 0.21 writes the three it has
  without it) and netmon's ``netmon_snmp_module_success`` and ``netmon_snmp_unparsable_values``.
* A module that fails makes the whole answer a 500, ``An error has occurred while serving
  metrics`` and the error, as promhttp answers snmp_exporter's ``snmp_error``: Prometheus
  records ``up`` 0 for the target.
* The SNMP deadline is Prometheus's ``X-Prometheus-Scrape-Timeout-Seconds`` less
  ``snmp.timeout_offset`` (0.5 s), or ``snmp.scrape_timeout`` (30 s) without the header.

The modules and auths are the collector's module files (``snmp.files``, default netmon's own,
which keeps snmp_exporter's names: ``if_mib``, ``system``, ``public_v2``...); the poll goes
through the collector's one SNMP stack. It is a fresh poll every time: no lookup cache, so
the answer is what snmp_exporter would give at that instant.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from aiohttp import web

from collector.errors import ConfigError
from collector.state import LIVE, METRICS, SNMP
from exporters.errors import SnmpError
from exporters.exposition import CONTENT_TYPE, render
from exporters.snmp.exporter import DEFAULT_AUTH, SnmpExporter, SnmpTargetConfig

log = logging.getLogger(__name__)

__all__ = ["snmp"]

DEFAULT_MODULE: Final = "if_mib"
TIMEOUT_HEADER: Final = "X-Prometheus-Scrape-Timeout-Seconds"
#: Rendered in a worker thread past this many samples (a 1,000-port switch).
_OFFLOAD_SAMPLES: Final = 20_000
_ERROR_HEAD: Final = ("An error has occurred while serving metrics:\n\nerror collecting metric "
                      'Desc{fqName: "snmp_error", help: "Error scraping target", '
                      "constLabels: {}, variableLabels: []}: ")


def _bad_request(request: web.Request, message: str) -> web.Response:
    request.app[METRICS].snmp_requests.labels("bad_request").inc()
    return web.Response(status=400, text=message + "\n")


def _modules(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values or [DEFAULT_MODULE]:
        for name in value.split(","):
            if name and name not in out:
                out.append(name)
    return out


def _deadline(request: web.Request, default: float, offset: float) -> float:
    header = request.headers.get(TIMEOUT_HEADER)
    try:
        seconds = float(header) if header is not None else None
    except ValueError:
        seconds = None
    if seconds is None or not 0 < seconds < 86400:
        return default
    return max(seconds - offset, seconds / 2)


async def snmp(request: web.Request) -> web.Response:
    runtime, _ = request.app[LIVE].require()
    resources, metrics = request.app[SNMP], request.app[METRICS]
    config = resources.require()
    query = request.query
    targets = query.getall("target", [])
    if len(targets) != 1 or not targets[0]:
        return _bad_request(request, "'target' parameter must be specified once")
    auths = query.getall("auth", [])
    if len(auths) > 1:
        return _bad_request(request, "'auth' parameter must only be specified once")
    auth = auths[0] if auths else ""
    if auth and auth not in config.auths and auth != DEFAULT_AUTH:
        return _bad_request(request, f"Unknown auth '{auth}'")
    modules = _modules(query.getall("module", []))
    if not modules:
        return _bad_request(request, "'module' parameter names no module")
    for name in modules:
        if name not in config.modules:
            return _bad_request(request, f"Unknown module '{name}'")
    settings = runtime.config.snmp
    timeout = _deadline(request, settings.scrape_timeout, settings.timeout_offset)
    try:
        exporter = SnmpExporter(SnmpTargetConfig(targets[0], tuple(modules), auth,
                                                 timeout=timeout), config, resources.stack)
    except ConfigError as exc:  # the target does not parse
        return _bad_request(request, str(exc))
    try:
        families = await exporter.collect()
    except SnmpError as exc:
        return _failed(request, targets[0], modules, str(exc))
    failed = [f"module={s.labels['module']} kind={s.labels['kind']}" for f in families
              if f.name == "netmon_snmp_module_error" for s in f.samples]
    if failed:  # logged by the exporter, with the error
        return _failed(request, targets[0], modules, "; ".join(failed))
    samples = sum(len(f.samples) for f in families)
    body = (await asyncio.to_thread(render, families) if samples > _OFFLOAD_SAMPLES
            else render(families))
    metrics.snmp_requests.labels("success").inc()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def _failed(request: web.Request, target: str, modules: list[str], error: str) -> web.Response:
    log.info("snmp scrape failed target=%s modules=%s error=%s", target, ",".join(modules),
             error)
    request.app[METRICS].snmp_requests.labels("failure").inc()
    return web.Response(status=500, text=_ERROR_HEAD + error + "\n")
