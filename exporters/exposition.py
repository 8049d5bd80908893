"""The Prometheus text format (version 0.0.4), written the way Go's client writes it.

prometheus_client's own writer appends ``_total`` to every counter family's HELP/TYPE lines
and prints floats in Python's notation; node_exporter and snmp_exporter print ``ifHCInOctets``
as a counter without a suffix and ``1.6777216e+10`` in Go's shortest ``%g`` notation. To be a
drop-in replacement netmon writes exactly what they write:

* families sorted by name, series within a family sorted by label values, labels by name;
  a histogram's or summary's series are grouped per label set as Go writes them: the
  buckets (or quantiles) in numeric order of ``le`` (``quantile``), then ``_sum``, ``_count``;
* families that share a name are merged (first HELP and TYPE win); a series repeated with
  the same labels keeps its first value, as Prometheus would reject the duplicate;
* values formatted like Go's ``strconv.FormatFloat(v, 'g', -1, 64)``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from prometheus_client import Metric

from exporters.gofloat import format_g

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_TYPES = {"counter": "counter", "gauge": "gauge", "summary": "summary",
          "histogram": "histogram", "unknown": "untyped", "info": "gauge",
          "stateset": "gauge", "gaugehistogram": "histogram"}


def format_value(value: float) -> str:
    """A sample value as Go's client writes it (``FormatFloat(v, 'g', -1, 64)``)."""
    if value == 1:
        return "1"
    if value == -1:
        return "-1"
    return format_g(value)


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def escape_label(text: str) -> str:
    if "\\" in text or '"' in text or "\n" in text:
        return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return text


def render(families: Iterable[Metric]) -> bytes:
    """Render families as one exposition in the Prometheus text format."""
    merged: dict[str, tuple[Metric, dict[tuple[str, str], tuple[tuple[Any, ...], str]]]] = {}
    # Exporters share one labels dict between the samples of a row (every if_mib metric of an
    # interface): render each distinct dict once. The cache keeps a reference to each dict,
    # so no id can be reused by another dict during this call (``families`` may be a
    # generator whose families are freed as it goes).
    bodies: dict[int, tuple[str, tuple[str, ...], dict[str, str]]] = {}
    for family in families:
        entry = merged.get(family.name)
        if entry is None:
            entry = merged[family.name] = (family, {})
        series = entry[1]
        grouped = family.type in _GROUPED
        for sample in family.samples:
            labels = sample.labels
            rendered = bodies.get(id(labels))
            if rendered is None:
                rendered = bodies[id(labels)] = (*_label_body(labels), labels)
            body, order, _ = rendered
            key_order: tuple[Any, ...] = order
            key = (sample.name, body)
            if key in series:
                log.debug("duplicate series dropped metric=%s labels=%s", sample.name, body)
                continue
            if grouped:
                key_order = _grouped_order(family.name, sample.name, labels)
            series[key] = (key_order, _sample_line(sample.name, body, sample.value,
                                               sample.timestamp))
    out: list[str] = []
    for name in sorted(merged):
        family, series = merged[name]
        if not series:
            continue
        out.append(f"# HELP {name} {escape_help(family.documentation)}\n")
        out.append(f"# TYPE {name} {_TYPES.get(family.type, 'untyped')}\n")
        out.extend(line for _, line in sorted(series.values()))
    return "".join(out).encode("utf-8")


_GROUPED = frozenset({"histogram", "gaugehistogram", "summary"})
_SUFFIX_ORDER = {"_bucket": 0, "": 0, "_sum": 1, "_count": 2, "_gsum": 1, "_gcount": 2}


def _grouped_order(family: str, sample: str, labels: dict[str, str]) -> tuple[Any, ...]:
    """A histogram's or summary's sort key: its labels but ``le``/``quantile``, then bucket
    or quantile series before ``_sum`` and ``_count``, buckets by numeric bound."""
    rest = tuple(v for k, v in sorted(labels.items()) if k not in ("le", "quantile"))
    bound = labels.get("le", labels.get("quantile"))
    try:
        number = float(bound) if bound is not None else 0.0
    except ValueError:
        number = 0.0
    return (rest, _SUFFIX_ORDER.get(sample[len(family):], 3), number)


def _label_body(labels: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """``a="1",b="2"`` (labels sorted by name) and the values in that order, for sorting."""
    items = sorted(labels.items())
    body = ",".join(f'{k}="{escape_label(v)}"' for k, v in items)
    return body, tuple(v for _, v in items)


def _sample_line(name: str, body: str, value: float, timestamp: object) -> str:
    head = f"{name}{{{body}}}" if body else name
    if timestamp is None:
        return f"{head} {format_value(value)}\n"
    millis = round(float(timestamp) * 1000)  # type: ignore[arg-type]
    return f"{head} {format_value(value)} {millis}\n"
