"""Read ``collector.yml`` into a :class:`~collector.config.CollectorConfig`, strictly.

Unknown, duplicated or mistyped keys are refused with the file, the line and the key, as the
SNMP module loader does (both use :mod:`exporters.snmp.yaml_nodes`). A relative ``inventory``
path is relative to the config file. Command-line overrides (``--listen``, ``--inventory``) are
a :class:`ConfigSource`, so a reload reads the file again and applies them again.

    listen: 127.0.0.1:9750          # host:port, [v6]:port, or :port for every interface
    advertise: ""                   # host:port for /sd targets (default: the request's Host)
    inventory: hanoi-inventory.yml
    dc: primary                     # primary | backup
    staleness_intervals: 3
    late_after_intervals: 2         # older batches are late: forwarded, not served
    limits: {max_compressed_bytes: 4194304, max_samples: 200000}   # netmon.wire.Limits
    scopes:
      - name: wan
        matchers: {kind: ward}
    remote_write: {url: ..., spool: {path: ...}}   # collector.remote_write.config
    admission: {backlog_max_lag: 0.2, live_max_lag: 2, max_in_flight: 256}  # 429 past these
    snmp: {files: [snmp.yml], concurrency: 64}   # collector.polling.config_load
    sharding: {self: a, members: [{name: a, url: ...}, ...]}   # collector.sharding.config
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import Node

from collector.admission import AdmissionConfig
from collector.config import (
    DC_NAMES,
    MATCHABLE,
    SCOPE_NAME,
    CollectorConfig,
    Matcher,
    Scope,
    merge_scopes,
)
from collector.errors import ConfigError
from collector.polling.config_load import parse_snmp_settings
from collector.remote_write.config_load import parse_remote_write
from collector.sharding.config_load import parse_sharding
from collector.traps.config_load import parse_traps
from exporters.snmp.yaml_nodes import (
    NULL_NODE,
    Where,
    choice,
    compose,
    entries,
    fields,
    integer,
    items,
    number,
    string,
)
from netmon.wire import Limits

__all__ = ["ConfigSource", "load_config", "parse_config", "parse_listen"]

_TOP = frozenset({"listen", "advertise", "inventory", "dc", "staleness_intervals",
                  "late_after_intervals", "limits", "scopes", "remote_write", "admission",
                  "snmp", "traps", "sharding"})
_SCOPE = frozenset({"name", "matchers"})
_LIMITS = frozenset(f.name for f in dataclasses.fields(Limits))
_ADMISSION = frozenset(f.name for f in dataclasses.fields(AdmissionConfig))
_HOST_PORT = re.compile(r"^(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<host>[^:\[\]]*)):(?P<port>\d{1,5})$")


def parse_listen(text: str) -> tuple[str, int]:
    """``host:port``, ``[v6]:port`` or ``:port`` (every interface: host ``""``)."""
    m = _HOST_PORT.match(text.strip())
    if m is None or int(m.group("port")) > 65535:
        raise ValueError(f"{text!r} is not host:port (for example 127.0.0.1:9750, "
                         "[::1]:9750 or :9750)")
    return (m.group("v6") or m.group("host") or ""), int(m.group("port"))


def _matchers(node: Node, where: Where) -> tuple[Matcher, ...]:
    out = []
    for label, key_node, value in entries(node, where, "matchers"):
        if label not in MATCHABLE:
            raise where.error(key_node, f"a matcher on {label!r}, which agents do not have "
                              f"(allowed: {', '.join(sorted(MATCHABLE))})",
                              "Match on one of those.")
        regex = string(value, where, label)
        try:
            out.append(Matcher.of(label, regex))
        except re.error as exc:
            raise where.error(value, f"{label}: {regex!r} is not a regular expression "
                              f"({exc})", "Fix the expression (it must match the whole "
                              "value).") from None
    return tuple(out)


def _scopes(node: Node, where: Where) -> tuple[Scope, ...]:
    scopes: dict[str, Scope] = {}
    for i, item in enumerate(items(node, where, "scopes")):
        at = where.child(f"scopes[{i}]")
        f = fields(item, at, _SCOPE, required=("name",))
        name = string(f["name"], at, "name")
        if not SCOPE_NAME.match(name):
            raise at.error(f["name"], f"scope name {name!r} is not a lowercase identifier",
                           "Use letters, digits, '-' and '_' (it is part of a URL).")
        if name in scopes:
            raise at.error(f["name"], f"scope {name!r} is defined twice",
                           "Keep only one of them.")
        scopes[name] = Scope(name, _matchers(f.get("matchers", NULL_NODE), at.child(name)))
    return merge_scopes(tuple(scopes.values()))


def _limits(node: Node, where: Where) -> Limits:
    at = where.child("limits")
    f = fields(node, at, _LIMITS)
    return Limits(**{key: integer(value, at, key, 1, 2**40) for key, value in f.items()})


def _admission(node: Node, where: Where) -> AdmissionConfig:
    at = where.child("admission")
    f = fields(node, at, _ADMISSION)
    d = AdmissionConfig()

    def lag(key: str, default: float) -> float:
        return number(f[key], at, key) if key in f else default

    def count(key: str, default: int) -> int:
        return integer(f[key], at, key, 2, 1_000_000) if key in f else default

    try:
        return AdmissionConfig(
            backlog_max_lag=lag("backlog_max_lag", d.backlog_max_lag),
            live_max_lag=lag("live_max_lag", d.live_max_lag),
            max_in_flight=count("max_in_flight", d.max_in_flight),
            retry_after_max=count("retry_after_max", d.retry_after_max))
    except ConfigError as exc:
        raise at.error(node, str(exc), "See collector/README.md, \"Admission control\".") \
            from None


def parse_config(text: str, source: str, base: Path | None = None,
                 mode: int | None = None) -> CollectorConfig:
    """Validate ``text`` (read from ``source``, whose permission bits are ``mode``: None for a
    text from no file); relative paths are relative to ``base``."""
    where = Where(source)
    root = compose(text, source) or NULL_NODE
    f = fields(root, where, _TOP)
    default = CollectorConfig()
    host, port = default.host, default.port
    if "listen" in f:
        try:
            host, port = parse_listen(string(f["listen"], where, "listen"))
        except ValueError as exc:
            raise where.error(f["listen"], f"listen: {exc}", "Write host:port.") from None
    advertise = string(f["advertise"], where, "advertise") if "advertise" in f else ""
    if advertise:
        try:
            parse_listen(advertise)
        except ValueError as exc:
            raise where.error(f["advertise"], f"advertise: {exc}",
                              "Write the host:port Prometheus reaches this collector at."
                              ) from None
    inventory = None
    if "inventory" in f:
        path = Path(string(f["inventory"], where, "inventory"))
        inventory = path if path.is_absolute() or base is None else base / path
    staleness = default.staleness_intervals
    if "staleness_intervals" in f:
        staleness = number(f["staleness_intervals"], where, "staleness_intervals")
        if not 1 <= staleness <= 1000:
            raise where.error(f["staleness_intervals"], "staleness_intervals must be between "
                              f"1 and 1000, got {staleness}", "Use a number such as 3.")
    late = default.late_after_intervals
    if "late_after_intervals" in f:
        late = number(f["late_after_intervals"], where, "late_after_intervals")
        if not 1 <= late <= 1000:
            raise where.error(f["late_after_intervals"], "late_after_intervals must be "
                              f"between 1 and 1000, got {late}", "Use a number such as 2.")
    return CollectorConfig(
        inventory=inventory, host=host, port=port, advertise=advertise,
        dc=choice(f["dc"], where, "dc", DC_NAMES) if "dc" in f else default.dc,
        staleness_intervals=staleness, late_after_intervals=late,
        limits=_limits(f["limits"], where) if "limits" in f else default.limits,
        scopes=_scopes(f["scopes"], where) if "scopes" in f else default.scopes,
        remote_write=(parse_remote_write(f["remote_write"], where, base)
                      if "remote_write" in f else default.remote_write),
        admission=(_admission(f["admission"], where) if "admission" in f
                   else default.admission),
        snmp=parse_snmp_settings(f["snmp"], where, base) if "snmp" in f else default.snmp,
        traps=parse_traps(f["traps"], where, mode) if "traps" in f else default.traps,
        sharding=(parse_sharding(f["sharding"], where, base) if "sharding" in f
                  else default.sharding),
    )


def load_config(path: Path) -> CollectorConfig:
    try:
        with path.open("rb") as file:   # the mode of the file the text came from
            mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
            text = file.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the collector config ({exc}). Check the "
                          "path and its permissions.") from None
    return parse_config(text, str(path), path.parent, mode)


@dataclass(frozen=True, slots=True)
class ConfigSource:
    """Where the config comes from: a file (or none) plus command-line overrides."""

    path: Path | None = None
    listen: str | None = None
    inventory: Path | None = None

    def load(self) -> CollectorConfig:
        config = load_config(self.path) if self.path is not None else CollectorConfig()
        if self.listen is not None:
            try:
                host, port = parse_listen(self.listen)
            except ValueError as exc:
                raise ConfigError(f"--listen: {exc}") from None
            config = dataclasses.replace(config, host=host, port=port)
        if self.inventory is not None:
            config = dataclasses.replace(config, inventory=self.inventory)
        if config.inventory is None:
            where = str(self.path) if self.path is not None else "the command line"
            raise ConfigError(f"{where}: no inventory. Set inventory: in the config file or "
                              "pass --inventory FILE.")
        return config
