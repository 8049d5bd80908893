"""Read the ``probes:`` section of ``agent.yml`` into a :class:`ProbeConfig`, strictly.

    probes:
      interval: 15s          # between runs (default 15s)
      count: 10              # packets per target and run (default 10)
      spacing: 1s            # between a target's packets (default 1s)
      timeout: 1s            # per packet (default 1s)
      targets:
        - name: dc-primary-collector
          address: 10.10.0.10                # IPv4, IPv6 or a host name
          labels: {probe_dc: primary, probe_role: collector}
          method: auto                       # auto (default) | icmp | tcp
          port: 9750                         # for tcp, and the fallback of auto
        - name: dc-backup-collector
          address: 10.20.0.10
          labels: {probe_dc: backup, probe_role: collector}
          port: 9750

Like the agent's own loader (:mod:`agent.config_load`), it reads YAML *nodes* with the
strict helpers of :mod:`exporters.snmp.yaml_nodes`: an unknown, duplicated or missing key is
refused with the file, the line, the path of keys and how to fix it. Durations are Go-style
strings (``15s``, ``500ms``) or numbers of seconds. :func:`parse_probe_config` is the one
call the agent's loader makes for the section; :func:`probe_config_from_mapping` reads a
plain mapping (what ``yaml.safe_load`` gives, or a dict built in code) through the same
checks, and :func:`load_probe_config` a file of its own.

This module reads ``duration`` itself rather than importing the agent's: exporters never
import the agent (the dependency goes ``agent -> exporters``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar, cast

import yaml
from yaml.nodes import Node

from exporters.errors import ConfigError
from exporters.probe.config import (
    IP_PROTOCOLS,
    METHODS,
    IpProtocol,
    Method,
    ProbeConfig,
    ProbeTarget,
)
from exporters.snmp.yaml_nodes import (
    NULL_NODE,
    Where,
    checked,
    choice,
    compose,
    duration,
    entries,
    fields,
    integer,
    items,
    string,
)

__all__ = ["load_probe_config", "parse_probe_config", "probe_config_from_mapping"]

_PROBES = frozenset({"name", "interval", "count", "spacing", "timeout", "targets"})
_TARGET = frozenset({"name", "address", "labels", "method", "port", "ip_protocol"})

T = TypeVar("T")




def parse_probe_config(node: Node, where: Where) -> ProbeConfig:
    """The ``probes:`` section at ``node`` (a null or absent section: no targets).

    ``where`` names the file and the path to the section, e.g.
    ``Where("agent.yml").child("probes")``.
    """
    f = fields(node, where, _PROBES)
    defaults = ProbeConfig()
    name = string(f["name"], where, "name") if "name" in f else defaults.name
    interval = (duration(f["interval"], where, "interval") if "interval" in f
                else defaults.interval)
    count = integer(f["count"], where, "count", 1, 10_000) if "count" in f else defaults.count
    spacing = (duration(f["spacing"], where, "spacing") if "spacing" in f
               else defaults.spacing)
    timeout = (duration(f["timeout"], where, "timeout") if "timeout" in f
               else defaults.timeout)
    target_nodes = items(f.get("targets", NULL_NODE), where, "targets")
    targets = tuple(_target(item, where.child(f"targets[{i}]"))
                    for i, item in enumerate(target_nodes))
    seen: dict[str, Node] = {}
    for target, target_node in zip(targets, target_nodes, strict=True):
        if target.name in seen:
            first = seen[target.name].start_mark
            earlier = f" (first on line {first.line + 1})" if first is not None else ""
            raise where.error(target_node, f"target name {target.name!r} is used twice"
                              f"{earlier}", "Give each target its own name: (it is the "
                              "target label).")
        seen[target.name] = target_node
    return checked(node, where, lambda: ProbeConfig(
        targets=targets, count=count, spacing=spacing, timeout=timeout, interval=interval,
        name=name))


def _target(node: Node, where: Where) -> ProbeTarget:
    f = fields(node, where, _TARGET, required=("name", "address"))
    name = string(f["name"], where, "name")
    where = where.child(f"target {name!r}")
    address = string(f["address"], where, "address")
    labels = {key: string(value, where.child("labels"), key)
              for key, _, value in entries(f.get("labels", NULL_NODE), where, "labels")}
    method = choice(f["method"], where, "method", METHODS) if "method" in f else "auto"
    port = integer(f["port"], where, "port", 1, 65535) if "port" in f else None
    ip_protocol = (choice(f["ip_protocol"], where, "ip_protocol", IP_PROTOCOLS)
                   if "ip_protocol" in f else "auto")
    return checked(node, where, lambda: ProbeTarget(
        name=name, address=address, labels=labels, method=cast(Method, method), port=port,
        ip_protocol=cast(IpProtocol, ip_protocol)))


def probe_config_from_mapping(data: Mapping[str, object] | None,
                              source: str = "probes") -> ProbeConfig:
    """A plain mapping (as ``yaml.safe_load`` gives it) read through the same checks.

    The mapping is written out as YAML and read back as nodes, so every message is the one a
    file would get; the line numbers then count in that YAML text (keys in the mapping's
    order, one per line), and ``source`` names it.
    """
    if data is None:
        return ProbeConfig()
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: the probes section must be a mapping, found "
                          f"{type(data).__name__}")
    try:
        text = yaml.safe_dump(dict(data), sort_keys=False, default_flow_style=False,
                              allow_unicode=True)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: the probes section holds a value YAML cannot carry "
                          f"({type(exc).__name__}); use strings, numbers, lists and "
                          "mappings") from None
    return parse_probe_config(compose(text, source) or NULL_NODE, Where(source))


def load_probe_config(path: str | Path) -> ProbeConfig:
    """Read a file whose top level is the probes section itself."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"{path}: cannot read the probe config ({reason}). Check the path "
                          "and that it is UTF-8.") from None
    return parse_probe_config(compose(text, str(path)) or NULL_NODE, Where(str(path)))
