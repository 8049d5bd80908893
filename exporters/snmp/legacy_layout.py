"""Write modules in snmp_exporter's legacy layout, for Debian's ``prometheus-snmp-exporter`` 0.21.

netmon keeps its modules in the current layout (``auths:`` + ``modules:``). snmp_exporter
0.21, the one Debian ships and the conformance tests run side by side with netmon, only reads
the legacy layout: every top-level key is a module carrying its ``version``, ``auth`` and walk
parameters. :func:`to_legacy_layout` writes the chosen modules that way with one chosen auth.

Decisions:

* Only what 0.21 knows is written; anything else is refused with a message naming the module,
  the metric and the construct, never silently dropped (a conformance test against a module
  that lost its ``scale`` would compare different things). Refused: ``filters``, ``scale``,
  ``offset``, ``datetime_pattern``, ``display_hint``, ``enum_values`` on lookups, and the types
  0.21 maps differently (``ParseDateAndTime``, ``NTPTimeStamp``, netmon's ``IpAddr`` alias).
* Walk parameters are always written (0.21's defaults differ between releases); the two
  booleans only when true.
* Regular expressions are written back in Go syntax from their Python translation (the
  inverse of :func:`exporters.snmp.go_syntax.translate_go_regex`, which 0.21's older Go
  also reads: ``(?P<name>`` rather than ``(?<name>``, ``\\z`` for the end of text).
* Secrets are revealed here and only here: this function writes a config file on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

from exporters.errors import ConfigError
from exporters.snmp.config import Auth, Index, Lookup, MetricSpec, Module, SnmpConfig
from exporters.snmp.go_syntax import NOT_WORD_BOUNDARY, WORD_BOUNDARY

__all__ = ["format_go_duration", "go_regex_source", "to_legacy_layout"]

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

#: Metric types that snmp_exporter 0.21 does not know or maps differently from netmon.
UNKNOWN_TO_0_21 = frozenset({"ParseDateAndTime", "NTPTimeStamp", "IpAddr"})

_ANCHOR_OPEN, _ANCHOR_CLOSE = "^(?:", ")\\Z"


def to_legacy_layout(config: SnmpConfig, auth_name: str, modules: Sequence[str]) -> str:
    """The legacy-layout YAML of ``modules``, each using ``config.auths[auth_name]``."""
    auth = config.auths.get(auth_name)
    if auth is None:
        known = ", ".join(sorted(config.auths)) or "none"
        raise ConfigError(f"unknown auth {auth_name!r} (auths in "
                          f"{', '.join(config.sources)}: {known}). Choose one of those.")
    document: dict[str, Any] = {}
    for name in modules:
        if name not in config.modules:
            known = ", ".join(sorted(config.modules)) or "none"
            raise ConfigError(f"unknown module {name!r} (modules in "
                              f"{', '.join(config.sources)}: {known}). Choose one of those.")
        document[name] = _module(config.modules[name], auth)
    header = (f"# snmp_exporter 0.21 (legacy layout) export of {', '.join(modules)} from "
              f"{', '.join(config.sources)} with auth {auth_name}, written by netmon.\n"
              "# It contains credentials: keep it private.\n")
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False)
    return header + body


def _module(module: Module, auth: Auth) -> dict[str, Any]:
    where = f"module {module.name!r}"
    if module.filters:
        raise _unsupported(where, "filters", "remove the filters from a copy of the module")
    out: dict[str, Any] = {}
    if module.walk:
        out["walk"] = list(module.walk)
    if module.get:
        out["get"] = list(module.get)
    out["metrics"] = [_metric(metric, f"{where}, metric {metric.name!r}")
                      for metric in module.metrics]
    params = module.walk_params
    out["version"] = auth.version
    out["max_repetitions"] = params.max_repetitions
    out["retries"] = params.retries
    out["timeout"] = format_go_duration(params.timeout)
    if params.allow_nonincreasing_oids:
        out["allow_nonincreasing_oids"] = True
    if params.use_unconnected_udp_socket:
        out["use_unconnected_udp_socket"] = True
    out["auth"] = _auth(auth)
    return out


def _metric(metric: MetricSpec, where: str) -> dict[str, Any]:
    for key, present in (("scale", metric.scale != 0.0), ("offset", metric.offset != 0.0),
                         ("datetime_pattern", bool(metric.datetime_pattern)),
                         ("display_hint", bool(metric.display_hint))):
        if present:
            raise _unsupported(where, key, f"leave {key} out of the module you compare")
    _check_type(metric.type, where)
    out: dict[str, Any] = {"name": metric.name, "oid": metric.oid, "type": metric.type,
                           "help": metric.help}
    if metric.indexes:
        out["indexes"] = [_index(index, where) for index in metric.indexes]
    if metric.lookups:
        out["lookups"] = [_lookup(lookup, where) for lookup in metric.lookups]
    if metric.regex_extracts:
        out["regex_extracts"] = {
            suffix: [{"value": rule.value, "regex": _go(rule.regex, where)} for rule in rules]
            for suffix, rules in metric.regex_extracts.items()}
    if metric.enum_values:
        out["enum_values"] = dict(metric.enum_values)
    return out


def _index(index: Index, where: str) -> dict[str, Any]:
    _check_type(index.type, f"{where}, index {index.labelname!r}")
    out: dict[str, Any] = {"labelname": index.labelname, "type": index.type}
    if index.fixed_size:
        out["fixed_size"] = index.fixed_size
    if index.implied:
        out["implied"] = True
    if index.enum_values:
        out["enum_values"] = dict(index.enum_values)
    return out


def _lookup(lookup: Lookup, where: str) -> dict[str, Any]:
    where = f"{where}, lookup {lookup.labelname!r}"
    if lookup.enum_values:
        raise _unsupported(where, "enum_values on a lookup",
                           "leave this lookup out of the module you compare")
    out: dict[str, Any] = {"labels": list(lookup.labels), "labelname": lookup.labelname}
    if lookup.oid:
        out["oid"] = lookup.oid
    if lookup.type:
        _check_type(lookup.type, where)
        out["type"] = lookup.type
    return out


def _auth(auth: Auth) -> dict[str, str]:
    fields = {
        "community": auth.community.reveal(),
        "security_level": auth.security_level.value,
        "username": auth.username,
        "password": auth.password.reveal(),
        "auth_protocol": auth.auth_protocol,
        "priv_protocol": auth.priv_protocol,
        "priv_password": auth.priv_password.reveal(),
        "context_name": auth.context_name,
    }
    return {key: value for key, value in fields.items() if value}


def _check_type(type_: str, where: str) -> None:
    if type_ in UNKNOWN_TO_0_21:
        raise _unsupported(where, f"type {type_}", "use a type that 0.21 knows, in a copy")


def _unsupported(where: str, construct: str, fix: str) -> ConfigError:
    return ConfigError(f"{where}: {construct} is not known to snmp_exporter 0.21, so this "
                       f"module cannot be written in the legacy layout. To compare it with "
                       f"0.21, {fix}.")


def _go(pattern: re.Pattern[str], where: str) -> str:
    try:
        return go_regex_source(pattern, anchored=True)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}. Write the regex_extracts regex as a complete "
                          "expression (balanced parentheses).") from None


def go_regex_source(pattern: re.Pattern[str], anchored: bool) -> str:
    """Go RE2 source for a pattern made by ``translate_go_regex`` (its inverse, up to
    spelling: ``\\z`` for the end of text, ``[0-9]`` for ``\\d``, scoped flags)."""
    text = pattern.pattern
    if anchored:
        if not (text.startswith(_ANCHOR_OPEN) and text.endswith(_ANCHOR_CLOSE)):
            raise ValueError(f"the pattern {text!r} was not anchored by netmon's loader")
        text = text[len(_ANCHOR_OPEN):-len(_ANCHOR_CLOSE)]
    out: list[str] = []
    pos = 0
    while pos < len(text):
        for python, go in ((WORD_BOUNDARY, "\\b"), (NOT_WORD_BOUNDARY, "\\B")):
            if text.startswith(python, pos):
                out.append(go)
                pos += len(python)
                break
        else:
            pos = _go_token(text, pos, out)
    return "".join(out)


def _go_token(text: str, pos: int, out: list[str]) -> int:
    """Append the Go spelling of the token at ``pos``; return the position after it."""
    if text[pos] != "\\" or pos + 1 >= len(text):
        out.append(text[pos])
        return pos + 1
    escape = text[pos + 1]
    if escape == "Z":
        out.append("\\z")
        return pos + 2
    if escape in "uU":
        width = 4 if escape == "u" else 8
        out.append(f"\\x{{{int(text[pos + 2:pos + 2 + width], 16):X}}}")
        return pos + 2 + width
    out.append(text[pos:pos + 2])
    return pos + 2


def format_go_duration(seconds: float) -> str:
    """``seconds`` as Go's ``time.Duration.String()`` writes it: ``5s``, ``500ms``, ``1m30s``."""
    nanoseconds = round(seconds * 1e9)
    sign, nanoseconds = ("-" if nanoseconds < 0 else ""), abs(nanoseconds)
    if nanoseconds < 1_000:
        return f"{sign}{nanoseconds}ns" if nanoseconds else "0s"
    if nanoseconds < 1_000_000:
        return sign + _decimal(nanoseconds, 1_000) + "µs"
    if nanoseconds < 1_000_000_000:
        return sign + _decimal(nanoseconds, 1_000_000) + "ms"
    hours, rest = divmod(nanoseconds, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = f"{hours}h" if hours else ""
    text += f"{minutes}m" if hours or minutes else ""
    return sign + text + _decimal(rest, 1_000_000_000) + "s"


def _decimal(value: int, unit: int) -> str:
    whole, fraction = divmod(value, unit)
    digits = len(str(unit)) - 1
    return f"{whole}.{fraction:0{digits}d}".rstrip("0").rstrip(".")
