"""Build the metric part of a module (:class:`~exporters.snmp.config.MetricSpec` with its
indexes, lookups, enum values and ``regex_extracts``) from YAML nodes, strictly, and read the
values modules are written in: numeric OIDs, Prometheus names, Go regular expressions.

:mod:`exporters.snmp.config_load` reads the files, auths and modules and calls
:func:`metric_spec` for each metric; its docstring lists what is refused and why. Here:

* a lookup names only labels that an index or an earlier lookup set, and has ``oid`` and
  ``type`` unless it deletes its label (``labels: []``);
* ``ParseDateAndTime`` needs a ``datetime_pattern``;
* a ``regex_extracts`` suffix must make a valid metric name; its regexes are anchored as
  snmp_exporter anchors them (:func:`exporters.snmp.go_syntax.translate_go_regex`), its
  ``value`` defaults to ``$1``.
"""

from __future__ import annotations

import re

from yaml.nodes import Node

from exporters.snmp.config import INDEX_TYPES, METRIC_TYPES, Index, Lookup, MetricSpec, RegexExtract
from exporters.snmp.go_syntax import translate_go_regex
from exporters.snmp.yaml_nodes import (
    NULL_NODE,
    Where,
    boolean,
    choice,
    entries,
    fields,
    integer,
    items,
    number,
    string,
)

__all__ = ["go_regex", "metric_spec", "numeric_oid", "numeric_oids"]

_METRIC_KEYS = frozenset({"name", "oid", "type", "help", "indexes", "lookups", "enum_values",
                          "regex_extracts", "datetime_pattern", "offset", "scale",
                          "display_hint"})
_INDEX_KEYS = frozenset({"labelname", "type", "fixed_size", "implied", "enum_values"})
_LOOKUP_KEYS = frozenset({"labels", "labelname", "oid", "type", "enum_values"})
_EXTRACT_KEYS = frozenset({"regex", "value"})

_OID = re.compile(r"(?:0|[1-9][0-9]{0,9})(?:\.(?:0|[1-9][0-9]{0,9}))+")
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_LONG_ARC = re.compile(r"[0-9]{10}")
_MAX_SUBID = 2**32 - 1


# --- values: OIDs, names, regular expressions -------------------------------------------------


def numeric_oid(node: Node, where: Where, key: str) -> str:
    text = string(node, where, key)
    if not _OID.fullmatch(text) or (_LONG_ARC.search(text) and any(
            int(arc) > _MAX_SUBID for arc in text.split("."))):
        raise where.error(node, f"{key} {text!r} is not a numeric OID",
                          "Write it as dotted decimal sub-identifiers without a leading dot, "
                          "e.g. 1.3.6.1.2.1.2.2.1.10 (the generator resolves MIB names).")
    return text


def numeric_oids(node: Node, where: Where, key: str) -> tuple[str, ...]:
    return tuple(numeric_oid(item, where, f"{key}[{i}]")
                 for i, item in enumerate(items(node, where, key)))


def _name(node: Node, where: Where, key: str, pattern: re.Pattern[str], what: str) -> str:
    text = string(node, where, key)
    if not pattern.fullmatch(text):
        raise where.error(node, f"{key} {text!r} is not a valid Prometheus {what}",
                          "Use letters, digits and underscores (the generator sanitizes "
                          "names), starting with a letter or underscore.")
    return text


def go_regex(node: Node, where: Where, key: str, anchored: bool) -> re.Pattern[str]:
    source = string(node, where, key)
    try:
        return re.compile(translate_go_regex(source, anchored))
    except (ValueError, re.error) as exc:
        reason = f"{exc.msg} (in its Python translation)" if isinstance(exc, re.error) \
            else str(exc)
        raise where.error(node, f"{key} {source!r} is not a usable Go regular expression: "
                          f"{reason}", "Write an RE2 expression (github.com/google/re2/wiki/"
                          "Syntax) without lookarounds, backreferences or \\p{...} classes."
                          ) from None


# --- metrics ----------------------------------------------------------------------------------


def _enum_values(node: Node, where: Where) -> dict[int, str]:
    return {integer(k, where, f"enum_values key {key!r}", -(2**63), 2**63 - 1):
            string(value, where, f"enum_values[{key}]")
            for key, k, value in entries(node, where, "enum_values")}


def _index(node: Node, where: Where) -> Index:
    f = fields(node, where, _INDEX_KEYS, required=("labelname", "type"))
    return Index(
        labelname=_name(f["labelname"], where, "labelname", _LABEL_NAME, "label name"),
        type=choice(f["type"], where, "type", INDEX_TYPES),
        fixed_size=integer(f["fixed_size"], where, "fixed_size", 0, 2**31 - 1)
        if "fixed_size" in f else 0,
        implied=boolean(f["implied"], where, "implied") if "implied" in f else False,
        enum_values=_enum_values(f["enum_values"], where) if "enum_values" in f else {},
    )


def _lookup(node: Node, where: Where, known: set[str]) -> Lookup:
    f = fields(node, where, _LOOKUP_KEYS, required=("labels", "labelname"))
    labelname = _name(f["labelname"], where, "labelname", _LABEL_NAME, "label name")
    labels = tuple(string(item, where, "labels") for item in items(f["labels"], where, "labels"))
    for label in labels or (labelname,):
        if label not in known:
            raise where.error(f["labels"] if labels else f["labelname"],
                              f"label {label!r} is neither an index label nor set by an "
                              f"earlier lookup (known: {', '.join(sorted(known)) or 'none'})",
                              "Name one of those labels, or move this lookup after the one "
                              "that sets it.")
    if labels and not ("oid" in f and "type" in f):
        raise where.error(node, f"lookup of {labelname!r} has labels but no oid/type",
                          "Add the oid and type to look up, or write labels: [] to delete "
                          "the label.")
    known.add(labelname)
    return Lookup(
        labels=labels, labelname=labelname,
        oid=numeric_oid(f["oid"], where, "oid") if "oid" in f else "",
        type=choice(f["type"], where, "type", METRIC_TYPES) if "type" in f else "",
        enum_values=_enum_values(f["enum_values"], where) if "enum_values" in f else {},
    )


def _regex_extracts(node: Node, where: Where, name: str) -> dict[str, tuple[RegexExtract, ...]]:
    out: dict[str, tuple[RegexExtract, ...]] = {}
    for suffix, key_node, rules in entries(node, where, "regex_extracts"):
        if not _METRIC_NAME.fullmatch(name + suffix):
            raise where.error(key_node, f"regex_extracts suffix {suffix!r} makes the invalid "
                              f"metric name {name + suffix!r}",
                              "Use letters, digits and underscores in the suffix.")
        rule_where = where.child(f"regex_extracts[{suffix!r}]")
        out[suffix] = tuple(_regex_extract(rule, rule_where.child(f"[{i}]"))
                            for i, rule in enumerate(items(rules, rule_where, "rules")))
    return out


def _regex_extract(node: Node, where: Where) -> RegexExtract:
    f = fields(node, where, _EXTRACT_KEYS, required=("regex",))
    value = string(f["value"], where, "value") if "value" in f else "$1"
    return RegexExtract(regex=go_regex(f["regex"], where, "regex", anchored=True), value=value)


def metric_spec(node: Node, where: Where) -> MetricSpec:
    f = fields(node, where, _METRIC_KEYS, required=("name", "oid", "type"))
    name = _name(f["name"], where, "name", _METRIC_NAME, "metric name")
    where = where.child(f"metric {name!r}")
    type_ = choice(f["type"], where, "type", METRIC_TYPES)
    indexes = tuple(_index(item, where.child(f"indexes[{i}]"))
                    for i, item in enumerate(items(f.get("indexes", NULL_NODE), where,
                                                   "indexes")))
    known = {index.labelname for index in indexes}
    lookups = tuple(_lookup(item, where.child(f"lookups[{i}]"), known)
                    for i, item in enumerate(items(f.get("lookups", NULL_NODE), where,
                                                   "lookups")))
    pattern = string(f["datetime_pattern"], where, "datetime_pattern") \
        if "datetime_pattern" in f else ""
    if type_ == "ParseDateAndTime" and not pattern:
        raise where.error(node, "type ParseDateAndTime needs a datetime_pattern",
                          "Add datetime_pattern: (strptime-style, e.g. '%Y-%m-%d %H:%M:%S').")
    return MetricSpec(
        name=name, oid=numeric_oid(f["oid"], where, "oid"), type=type_,
        help=string(f["help"], where, "help") if "help" in f else "",
        indexes=indexes, lookups=lookups,
        enum_values=_enum_values(f["enum_values"], where) if "enum_values" in f else {},
        regex_extracts=_regex_extracts(f["regex_extracts"], where, name)
        if "regex_extracts" in f else {},
        datetime_pattern=pattern,
        offset=number(f["offset"], where, "offset") if "offset" in f else 0.0,
        scale=number(f["scale"], where, "scale") if "scale" in f else 0.0,
        display_hint=string(f["display_hint"], where, "display_hint")
        if "display_hint" in f else "",
    )


