"""PDUs to metric families, following snmp_exporter's ``collector.go`` rule for rule.

For each PDU the metric is the module metric with the *shortest* OID that prefixes the PDU's
OID; what follows is the index, turned into labels by the metric's ``indexes`` and extended
or pruned by its ``lookups``; the value becomes a sample according to the metric's type:

* ``counter``/``gauge``/``Float``/``Double``: the number (Counter64 wrapped at 2^53, as
  snmp_exporter's default ``--snmp.wrap-large-counters``);
* ``DateAndTime``/``ParseDateAndTime``/``NTPTimeStamp``: a Unix time (unparsable: no sample);
* ``EnumAsInfo``: ``<name>_info{<name>="<state>"} 1``; ``EnumAsStateSet``: one series per
  state, 1 for the current one; ``Bits``: one series per named bit;
* every string type: ``<name>{..., <name>="<text>"} 1``, or with ``regex_extracts`` one gauge
  per matching extract ``<name><suffix>``;
* ``scale`` and ``offset`` are applied last, as snmp_exporter does.

Two things are deliberately cheaper than snmp_exporter: the module is compiled once (OID
lookups by tuple, not a tree walked per arc), and labels are computed once per (index, label
plan) and shared by every metric of the row that has the same indexes and lookups; for
``if_mib`` that is once per interface instead of once per value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from prometheus_client import Metric

from exporters.snmp.config import Index, Lookup, MetricSpec, Module
from exporters.snmp.value_text import (
    COMBINED_TYPES,
    go_parse_float,
    index_as_text,
    parse_date_and_time,
    parse_date_with_pattern,
    parse_ntp_timestamp,
    pdu_number,
    to_valid_utf8,
    value_as_text,
)
from exporters.snmp.values import Oid, Value, VarBind, format_oid, parse_oid

log = logging.getLogger(__name__)

Pdus = Mapping[Oid, tuple[int, Value]]
Labels = dict[str, str]

_NUMERIC = {"counter": "counter", "gauge": "gauge", "Float": "gauge", "Double": "gauge"}
_TEMPLATE = re.compile(r"\$(?:\$|\{(\w+)\}|(\w+))")


@dataclass(frozen=True, slots=True)
class _CompiledLookup:
    spec: Lookup
    oid: Oid
    prev_oid: Oid | None  # for combined types: the column that holds the real type


@dataclass(frozen=True, slots=True)
class _LabelPlan:
    indexes: tuple[Index, ...]
    lookups: tuple[_CompiledLookup, ...]


@dataclass(frozen=True, slots=True)
class _CompiledMetric:
    spec: MetricSpec
    oid: Oid
    plan: int
    prev_oid: Oid  # the OID before this column, for combined types


@dataclass
class CompiledModule:
    """A module prepared for mapping: built once, used for every scrape."""

    module: Module
    by_oid: dict[Oid, _CompiledMetric] = field(default_factory=dict)
    lengths: tuple[int, ...] = ()
    plans: list[_LabelPlan] = field(default_factory=list)

    @classmethod
    def build(cls, module: Module) -> CompiledModule:
        compiled = cls(module)
        plan_ids: dict[tuple[object, ...], int] = {}
        for spec in module.metrics:
            oid = parse_oid(spec.oid)
            lookups = tuple(
                _CompiledLookup(lk, parse_oid(lk.oid) if lk.oid else (),
                                _prev(parse_oid(lk.oid)) if lk.oid and lk.type in COMBINED_TYPES
                                else None)
                for lk in spec.lookups)
            key = _plan_key(spec)
            plan = plan_ids.get(key)
            if plan is None:
                plan = plan_ids[key] = len(compiled.plans)
                compiled.plans.append(_LabelPlan(spec.indexes, lookups))
            # A metric OID listed twice: the last one wins, as in snmp_exporter's metric tree.
            compiled.by_oid[oid] = _CompiledMetric(spec, oid, plan, _prev(oid))
        compiled.lengths = tuple(sorted({len(o) for o in compiled.by_oid}))
        return compiled

    def match(self, oid: Oid) -> tuple[_CompiledMetric, Oid] | None:
        """The metric with the shortest OID prefixing ``oid``, and the index part."""
        by_oid = self.by_oid
        size = len(oid)
        for length in self.lengths:
            if length > size:
                return None
            metric = by_oid.get(oid[:length])
            if metric is not None:
                return metric, oid[length:]
        return None


def _plan_key(spec: MetricSpec) -> tuple[object, ...]:
    """Metrics with equal indexes and lookups share their labels (enum maps are dicts)."""
    return (
        tuple((i.labelname, i.type, i.fixed_size, i.implied, tuple(i.enum_values.items()))
              for i in spec.indexes),
        tuple((lk.labels, lk.labelname, lk.oid, lk.type, tuple(lk.enum_values.items()))
              for lk in spec.lookups),
    )


def _prev(oid: Oid) -> Oid:
    return (*oid[:-1], oid[-1] - 1) if oid else oid


@dataclass
class MappingReport:
    """Problems met while mapping one scrape (each also logged at debug level)."""

    unparsable: int = 0
    errors: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        self.unparsable += 1
        if len(self.errors) < 20:
            self.errors.append(message)
        log.debug("snmp mapping: %s", message)


class _Families:
    def __init__(self) -> None:
        self.by_name: dict[str, Metric] = {}

    def add(self, name: str, help_text: str, typ: str, labels: Labels, value: float) -> None:
        family = self.by_name.get(name)
        if family is None:
            family = self.by_name[name] = Metric(name, help_text, typ)
        family.add_sample(name, labels, value)


def pdus_by_oid(varbinds: list[VarBind]) -> dict[Oid, tuple[int, Value]]:
    """Index a scrape's varbinds by OID (a later answer for the same OID wins, as in Go)."""
    return {oid: (tag, value) for oid, tag, value in varbinds}


def map_pdus(compiled: CompiledModule, pdus: Pdus, report: MappingReport | None = None,
             wrap_counters: bool = True) -> list[Metric]:
    """Every family the module's metrics make of these PDUs."""
    report = report if report is not None else MappingReport()
    families = _Families()
    label_cache: dict[tuple[int, Oid], Labels] = {}
    for oid, (tag, value) in pdus.items():
        found = compiled.match(oid)
        if found is None:
            continue
        metric, index = found
        # A device controls every byte of what is mapped here: whatever one value does
        # (a date past year 9999, a NaN where an integer belongs), it costs that value, never
        # the rest of the scrape.
        try:
            key = (metric.plan, index)
            labels = label_cache.get(key)
            if labels is None:
                labels = label_cache[key] = _labels(compiled.plans[metric.plan], index, pdus)
            _samples(metric, index, tag, value, labels, pdus, families, report, wrap_counters)
        except (ValueError, OverflowError, TypeError, IndexError, KeyError) as exc:
            report.note(f"{metric.spec.name} at {format_oid(oid)}: {type(exc).__name__}: {exc}")
    return list(families.by_name.values())


def _labels(plan: _LabelPlan, index: Oid, pdus: Pdus) -> Labels:
    """snmp_exporter's ``indexesToLabels``."""
    labels: Labels = {}
    label_oids: dict[str, tuple[int, ...]] = {}
    rest: list[int] = list(index)
    for idx in plan.indexes:
        text, used, rest = index_as_text(rest, idx.type, idx.fixed_size, idx.implied,
                                         idx.enum_values)
        labels[idx.labelname] = to_valid_utf8(text.encode("utf-8", "surrogatepass"))
        label_oids[idx.labelname] = tuple(used)
    for lookup in plan.lookups:
        spec = lookup.spec
        if not spec.labels:
            labels.pop(spec.labelname, None)
            continue
        suffix: tuple[int, ...] = ()
        missing = False
        for name in spec.labels:
            part = label_oids.get(name)
            if part is None:
                missing = True
                break
            suffix += part
        pdu = None if missing else pdus.get(lookup.oid + suffix)
        if pdu is None:
            labels[spec.labelname] = ""
            continue
        ptag, pvalue = pdu
        typ = spec.type
        if lookup.prev_oid is not None:
            prev = pdus.get(lookup.prev_oid + suffix)
            if prev is not None:
                real = COMBINED_TYPES[typ].get(int(pdu_number(*prev)))
                if real is not None:
                    typ = real
        if typ == "EnumAsInfo" and spec.enum_values:
            number = int(pdu_number(ptag, pvalue))
            labels[spec.labelname] = spec.enum_values.get(number, str(number))
        else:
            labels[spec.labelname] = value_as_text(ptag, pvalue, typ)
        label_oids[spec.labelname] = (int(pdu_number(ptag, pvalue)),)
    return labels


def _samples(metric: _CompiledMetric, index: Oid, tag: int, value: Value, labels: Labels,
             pdus: Pdus, families: _Families, report: MappingReport,
             wrap_counters: bool) -> None:
    spec = metric.spec
    typ = spec.type
    name = spec.name
    numeric = _NUMERIC.get(typ)
    if numeric is not None:
        number = pdu_number(tag, value, wrap_counters)
        families.add(name, spec.help, numeric, labels, _scaled(spec, number))
        return
    if typ in ("DateAndTime", "ParseDateAndTime", "NTPTimeStamp"):
        try:
            if typ == "DateAndTime":
                number = parse_date_and_time(value)
            elif typ == "NTPTimeStamp":
                number = parse_ntp_timestamp(value)
            else:
                number = parse_date_with_pattern(value_as_text(tag, value, "DisplayString"),
                                                 spec.datetime_pattern)
        except ValueError as exc:
            report.note(f"{name}: {exc}")
            return
        families.add(name, spec.help, "gauge", labels, _scaled(spec, number))
        return
    if typ == "EnumAsInfo":
        if name in labels:
            return
        number = int(pdu_number(tag, value, wrap_counters))
        state = spec.enum_values.get(number, str(number))
        families.add(name + "_info", spec.help + " (EnumAsInfo)", "gauge",
                     {**labels, name: state}, 1.0)
        return
    if typ == "EnumAsStateSet":
        number = int(pdu_number(tag, value, wrap_counters))
        help_text = spec.help + " (EnumAsStateSet)"
        current = spec.enum_values.get(number, str(number))
        families.add(name, help_text, "gauge", {**labels, name: current}, 1.0)
        for key, state in spec.enum_values.items():
            if key != number:
                families.add(name, help_text, "gauge", {**labels, name: state}, 0.0)
        return
    if typ == "Bits":
        if not isinstance(value, bytes):
            report.note(f"{name}: BITS value was not an OCTET STRING on the wire")
            return
        help_text = spec.help + " (Bits)"
        for bit, state in spec.enum_values.items():
            on = bit < len(value) * 8 and value[bit // 8] & (0x80 >> (bit % 8))
            families.add(name, help_text, "gauge", {**labels, name: state},
                         1.0 if on else 0.0)
        return
    # Some form of string.
    real = typ
    mapping = COMBINED_TYPES.get(typ)
    if mapping is not None:
        prev = pdus.get(metric.prev_oid + index)
        mapped = mapping.get(int(pdu_number(*prev))) if prev is not None else None
        real = mapped if mapped is not None else "OctetString"
    if spec.regex_extracts:
        text = value_as_text(tag, value, real, spec.display_hint)
        _regex_extracts(spec, text, labels, families, report)
        return
    if name in labels:
        families.add(name, spec.help, "gauge", labels, _scaled(spec, 1.0))
        return
    text = value_as_text(tag, value, real, spec.display_hint)
    families.add(name, spec.help, "gauge", {**labels, name: text}, _scaled(spec, 1.0))


def _scaled(spec: MetricSpec, number: float) -> float:
    if spec.scale != 0.0:
        number *= spec.scale
    return number + spec.offset


def _regex_extracts(spec: MetricSpec, text: str, labels: Labels, families: _Families,
                    report: MappingReport) -> None:
    """First matching rule per suffix; the number gets ``scale`` and ``offset`` as in
    snmp_exporter since ``scale``/``offset`` exist (0.26; ``applyRegexExtracts``)."""
    for suffix, rules in spec.regex_extracts.items():
        for rule in rules:
            match = rule.regex.search(text)
            if match is None:
                continue
            expanded = expand_template(rule.value, match)
            try:
                number = go_parse_float(expanded)
            except ValueError:
                report.note(f"{spec.name}{suffix}: {expanded!r} is not a number")
                continue
            families.add(spec.name + suffix, spec.help + " (regex extracted)", "gauge",
                         labels, _scaled(spec, number))
            break


def expand_template(template: str, match: re.Match[str]) -> str:
    """Go's ``Regexp.ExpandString``: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``; an
    unknown group expands to nothing."""
    def group(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        ref = m.group(1) or m.group(2)
        try:
            value = match.group(int(ref)) if ref.isdigit() else match.group(ref)
        except IndexError:
            return ""
        return value or ""

    return _TEMPLATE.sub(group, template)

