"""A batch rendered once, at ingest, into the text lines every scope will concatenate.

Each sample line carries the report's labels and then the agent's identity labels (from the
inventory). A report label whose name is an identity label is kept as ``exported_<name>``
(``exported_exported_<name>`` if that is taken too), Prometheus's ``honor_labels: false``
rule, so no report can write another agent's identity. Empty label values are left out (to
Prometheus an empty label is an absent one, and a histogram's ``_sum`` must not carry
``le=""``). A series repeated within a family keeps its first value, as Prometheus would
reject the repeat. Label values and HELP are escaped, and values formatted, with the helpers
of :mod:`exporters.exposition`, so the text is exactly what the exporters themselves write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from collector.families import split
from collector.inventory import IDENTITY_LABELS, Identity
from exporters.exposition import escape_help, escape_label, format_value
from netmon.wire import Batch, FamilyData

__all__ = ["IdentityLabels", "RenderedBatch", "RenderedFamily", "exported_name", "label_names",
           "render_batch"]

_RESERVED = frozenset(IDENTITY_LABELS)


@dataclass(frozen=True, slots=True)
class IdentityLabels:
    """An agent's identity as the tail of a label set: ``,agent="...",district="..."``."""

    identity: Identity
    tail: str

    @classmethod
    def of(cls, identity: Identity) -> IdentityLabels:
        pairs = [f'{k}="{escape_label(v)}"' for k, v in identity.labels().items() if v]
        return cls(identity, ",".join(pairs))


@dataclass(frozen=True, slots=True)
class RenderedFamily:
    name: str          # the name on the HELP and TYPE lines
    type: str          # as written on the TYPE line
    help: str          # raw (unescaped) help text
    lines: bytes       # sample lines, UTF-8, each ending in \n
    samples: int

    def head(self) -> bytes:
        return f"# HELP {self.name} {escape_help(self.help)}\n# TYPE {self.name} {self.type}\n" \
            .encode()


@dataclass(frozen=True, slots=True)
class RenderedBatch:
    exporter: str
    ts: float
    interval: float
    families: tuple[RenderedFamily, ...]
    samples: int
    duplicates: int    # series dropped because the batch repeated them
    conflicts: int     # families dropped because the batch gave one name two types


def exported_name(label: str, taken: set[str]) -> str:
    """``exported_<label>`` (prefixed again while taken)."""
    name = "exported_" + label
    while name in taken:
        name = "exported_" + name
    return name


def label_names(labels: Sequence[str]) -> list[str]:
    """A report's label names as written: an identity label becomes ``exported_<name>``."""
    if _RESERVED.isdisjoint(labels):
        return list(labels)
    taken = set(labels)
    out = []
    for label in labels:
        name = label
        if label in _RESERVED:
            name = exported_name(label, taken)
            taken.add(name)
        out.append(name)
    return out


@dataclass(slots=True)
class _Accumulator:
    """One exposition family being rendered (several wire families may feed it)."""

    type: str
    help: str
    lines: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)     # sample name + label body
    duplicates: int = 0


def _family_lines(family: FamilyData, rows: Iterable[tuple[int, list[Any]]],
                  ident: IdentityLabels, bodies: dict[tuple[Any, ...], str],
                  acc: _Accumulator) -> None:
    """Render the samples ``rows`` ((index, row) pairs) of ``family`` into ``acc``.

    ``bodies`` caches label sets across the batch: the families of one table share them
    (every if_mib family repeats each interface's ``ifAlias,ifDescr,ifIndex,ifName``).
    """
    names = family.names
    labels = family.labels
    prefixes: list[str] | None = None
    seen, lines = acc.seen, acc.lines
    for index, row in rows:
        sample = family.name if names is None else names[index]
        body_key = (labels, *row[1:])
        body = bodies.get(body_key)
        if body is None:
            if prefixes is None:
                prefixes = [f'{n}="' for n in label_names(labels)]
            parts = [p + escape_label(v) + '"' for p, v in zip(prefixes, row[1:], strict=True)
                     if v]
            if ident.tail:
                parts.append(ident.tail)
            body = bodies[body_key] = "{" + ",".join(parts) + "} " if parts else " "
        series = sample + body
        if series in seen:
            acc.duplicates += 1
            continue
        seen.add(series)
        lines.append(f"{series}{format_value(float(row[0]))}\n")


def render_batch(batch: Batch, ident: IdentityLabels) -> RenderedBatch:
    """Render every family of ``batch`` with ``ident``'s labels (pure: safe in a thread)."""
    merged: dict[str, _Accumulator] = {}
    bodies: dict[tuple[Any, ...], str] = {}
    conflicts = 0
    for family in batch.families:
        for name, typ, indexes in split(family):
            acc = merged.get(name)
            if acc is None:
                acc = merged[name] = _Accumulator(typ, family.help)
            elif acc.type != typ:
                conflicts += 1
                continue
            rows = (enumerate(family.rows) if indexes is None
                    else ((i, family.rows[i]) for i in indexes))
            _family_lines(family, rows, ident, bodies, acc)
    families = tuple(RenderedFamily(name, acc.type, acc.help, "".join(acc.lines).encode(),
                                    len(acc.lines))
                     for name, acc in merged.items() if acc.lines)
    return RenderedBatch(batch.exporter, batch.ts, batch.interval, families,
                         sum(f.samples for f in families),
                         sum(acc.duplicates for acc in merged.values()), conflicts)
