"""Which exposition families a report family becomes, so the text is always well formed.

The wire carries families as prometheus_client models them: a counter family ``x`` may have
samples ``x_total`` and ``x_created``, an info family ``x`` samples ``x_info``, a histogram
``x`` samples ``x_bucket``, ``x_sum``, ``x_count`` and ``x_created``. The text format (0.0.4)
wants every sample under a ``# TYPE`` line of its own name or of its histogram/summary base,
so, as prometheus_client's own 0.0.4 writer does:

* a counter's ``x_total`` samples are written under ``# TYPE x_total counter`` (a Go-style
  counter family already named ``..._total`` keeps its name);
* an info family's ``x_info`` samples under ``# TYPE x_info gauge``;
* histograms keep ``_bucket``, ``_sum``, ``_count``; summaries the bare name, ``_sum``,
  ``_count``;
* any other sample name (``x_created``, a gauge histogram's ``_gsum``...) becomes a family of
  its own: ``gauge`` for ``_created``, ``untyped`` otherwise.

Types are written as Go's client writes them (``unknown`` is ``untyped``, ``info`` and
``stateset`` are gauges, ``gaugehistogram`` is a histogram).
"""

from __future__ import annotations

from typing import Final

from netmon.wire import FamilyData

__all__ = ["Part", "split"]

_TYPES: Final = {"counter": "counter", "gauge": "gauge", "summary": "summary",
                 "histogram": "histogram", "untyped": "untyped", "unknown": "untyped",
                 "info": "gauge", "stateset": "gauge", "gaugehistogram": "histogram"}
_SUFFIXES: Final = {"histogram": ("_bucket", "_sum", "_count"),
                    "gaugehistogram": ("_bucket", "_sum", "_count"),
                    "summary": ("_sum", "_count")}

#: (exposition family name, exposition type, row indexes or None for all rows)
Part = tuple[str, str, list[int] | None]


def _home(family: FamilyData, sample: str) -> tuple[str, str]:
    """The exposition family (name, type) a sample of ``family`` is written under."""
    name, typ = family.name, family.type
    if sample == name:
        return name, _TYPES[typ]
    if typ == "counter" and sample == name + "_total":
        return sample, "counter"
    if typ == "info" and sample == name + "_info":
        return sample, "gauge"
    if sample.startswith(name) and sample[len(name):] in _SUFFIXES.get(typ, ()):
        return name, _TYPES[typ]
    return sample, "gauge" if sample == name + "_created" else "untyped"


def split(family: FamilyData) -> list[Part]:
    """The exposition families of ``family``, each with the rows written under it."""
    if family.names is None:
        return [(*_home(family, family.name), None)]
    parts: dict[tuple[str, str], list[int]] = {}
    homes: dict[str, tuple[str, str]] = {}
    for index, sample in enumerate(family.names):
        home = homes.get(sample)
        if home is None:
            home = homes[sample] = _home(family, sample)
        parts.setdefault(home, []).append(index)
    if len(parts) == 1:
        ((name, typ),) = parts
        return [(name, typ, None)]
    return [(name, typ, rows) for (name, typ), rows in parts.items()]
