"""Read the ``snmp:`` section of ``collector.yml``, strictly (file, line and key on refusal).

    snmp:
      files: [/etc/netmon/snmp.yml]   # snmp_exporter's format; default: netmon's own modules
      concurrency: 64                 # device polls in flight at once
      jitter: 1.0                     # polls spread over this fraction of their interval
      scrape_timeout: 30s             # /snmp without X-Prometheus-Scrape-Timeout-Seconds
      timeout_offset: 0.5s            # the SNMP deadline ends this much before Prometheus's
      parallel_walks: 4               # walks of one device's module in flight at once
      max_varbinds: 50000             # values a device's module may return in one poll
      lookup_cache:
        enabled: true
        refresh: 30m
        columns: [ifName, ifDescr, ifAlias, ifType, entPhysicalName]
        uptime_oid: 1.3.6.1.2.1.1.3.0
        watch_oids: [1.3.6.1.2.1.31.1.5.0, 1.3.6.1.2.1.47.1.4.1.0]

Relative ``files`` are relative to the config file. The files are loaded here once, so a
broken module file is refused with its own file and line before the collector starts; the
running collector loads them again at start and on reload (:mod:`collector.polling.modules`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from yaml.nodes import Node

from collector.errors import ConfigError
from collector.polling.config import LookupCacheConfig, SnmpSettings
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.yaml_nodes import (
    Where,
    boolean,
    duration,
    fields,
    integer,
    items,
    number,
    string,
)

__all__ = ["parse_snmp_settings"]

_SNMP: Final = frozenset({"files", "concurrency", "jitter", "lookup_cache", "scrape_timeout",
                          "timeout_offset", "parallel_walks", "max_varbinds"})
_CACHE: Final = frozenset({"enabled", "refresh", "columns", "uptime_oid", "watch_oids"})
_OID: Final = re.compile(r"^\d+(\.\d+)+$")
_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _oid(node: Node, where: Where, key: str) -> str:
    text = string(node, where, key).lstrip(".")
    if not _OID.match(text):
        raise where.error(node, f"{key} {text!r} is not a numeric OID",
                          "Write it as dotted numbers, e.g. 1.3.6.1.2.1.1.3.0.")
    return text


def _cache(node: Node, where: Where) -> LookupCacheConfig:
    at = where.child("lookup_cache")
    f = fields(node, at, _CACHE)
    d = LookupCacheConfig()
    columns = d.columns
    if "columns" in f:
        columns = tuple(string(n, at, f"columns[{i}]")
                        for i, n in enumerate(items(f["columns"], at, "columns")))
        for i, (name, n) in enumerate(zip(columns, items(f["columns"], at, "columns"),
                                          strict=True)):
            if not _NAME.match(name):
                raise at.error(n, f"columns[{i}] {name!r} is not a metric or label name",
                               "Name a module's metric (ifType) or a lookup's label "
                               "(ifName).")
    watch = d.watch_oids
    if "watch_oids" in f:
        watch = tuple(_oid(n, at, f"watch_oids[{i}]")
                      for i, n in enumerate(items(f["watch_oids"], at, "watch_oids")))
    return LookupCacheConfig(
        enabled=boolean(f["enabled"], at, "enabled") if "enabled" in f else d.enabled,
        refresh=duration(f["refresh"], at, "refresh") if "refresh" in f else d.refresh,
        columns=columns,
        uptime_oid=_oid(f["uptime_oid"], at, "uptime_oid") if "uptime_oid" in f
        else d.uptime_oid,
        watch_oids=watch)


def parse_snmp_settings(node: Node, where: Where, base: Path | None) -> SnmpSettings:
    at = where.child("snmp")
    f = fields(node, at, _SNMP)
    d = SnmpSettings()
    files = d.files
    if "files" in f:
        paths = []
        for i, item in enumerate(items(f["files"], at, "files")):
            text = string(item, at, f"files[{i}]")
            if not text:
                raise at.error(item, f"files[{i}] is empty", "Give it a path.")
            path = Path(text)
            paths.append(path if path.is_absolute() or base is None else base / path)
        files = tuple(paths)
        if not files:
            raise at.error(f["files"], "files is empty", "List at least one module file, or "
                           "leave files out for netmon's own modules.")
    jitter = d.jitter
    if "jitter" in f:
        jitter = number(f["jitter"], at, "jitter")
        if not 0 <= jitter <= 1:
            raise at.error(f["jitter"], f"jitter must be between 0 and 1, got {jitter:g}",
                           "Use 1 to spread polls over the whole interval.")
    offset = d.timeout_offset
    if "timeout_offset" in f:
        offset = duration(f["timeout_offset"], at, "timeout_offset", zero=True)
    settings = SnmpSettings(
        files=files,
        concurrency=(integer(f["concurrency"], at, "concurrency", 1, 100_000)
                     if "concurrency" in f else d.concurrency),
        jitter=jitter,
        lookup_cache=_cache(f["lookup_cache"], at) if "lookup_cache" in f else d.lookup_cache,
        scrape_timeout=(duration(f["scrape_timeout"], at, "scrape_timeout")
                        if "scrape_timeout" in f else d.scrape_timeout),
        timeout_offset=offset,
        parallel_walks=(integer(f["parallel_walks"], at, "parallel_walks", 1, 64)
                        if "parallel_walks" in f else d.parallel_walks),
        max_varbinds=(integer(f["max_varbinds"], at, "max_varbinds", 1, 10_000_000)
                      if "max_varbinds" in f else d.max_varbinds))
    try:
        load_snmp_config(list(settings.module_files()))
    except ConfigError as exc:
        raise at.error(f.get("files", node), f"files: {exc}", "Fix that module file.") \
            from None
    return settings
