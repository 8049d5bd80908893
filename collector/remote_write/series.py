"""The series a batch becomes on remote_write: the names and labels a scrape of the
collector's scopes gives, stamped with the batch's own collection time.

* ``__name__`` is the sample's name as the exposition writes it (``x_total``, ``x_bucket``);
* then the sample's labels, a label named like an identity label kept as ``exported_<name>``
  (:func:`collector.lines.label_names`, as in the scopes), and the agent's identity labels;
* then the constant labels (the replica label and ``external_labels``), **unless the series
  already has a label of that name**: Prometheus's rule for ``external_labels``;
* empty values are left out (an empty label is an absent one), names are sorted (the
  remote_write specification requires it), and a series repeated within a batch keeps its
  first value, as the exposition does;
* the timestamp is the batch's ``ts`` in milliseconds; one sample per series.

Pure functions: they run in the spool's thread, never on the event loop. Encoding a ward
router's report (1,300 series) cost about 7 ms of CPU, more than decoding it: in a catch-up
every report is late and forwarded, so a :class:`LabelCache` keeps each series' encoded head
(labels) from one report of an agent to the next (its series are the same every time),
which brings a report to about 1.3 ms (``python -m tests.collector.measure_rw``).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from collector.lines import label_names
from collector.remote_write.protobuf import (
    label_field,
    label_prefix,
    sample_fields,
    timeseries_head,
)
from netmon.wire import Batch

__all__ = ["Fragment", "LabelCache", "encode_batches", "series_of"]

_NAME = "__name__"


class LabelCache:
    """Encoded label sets, by agent, family and row: bounded by ``max_series`` (past it,
    everything is dropped and rebuilt as reports come: simpler than an LRU and as good for
    agents whose series are the same in every report)."""

    def __init__(self, max_series: int = 200_000) -> None:
        self.max_series = max_series
        self.size = 0
        self._families: dict[tuple[object, ...], dict[tuple[object, ...], bytes]] = {}

    def family(self, key: tuple[object, ...]) -> dict[tuple[object, ...], bytes]:
        if self.size > self.max_series:
            self._families.clear()
            self.size = 0
        found = self._families.get(key)
        if found is None:
            found = self._families[key] = {}
        return found


@dataclass(frozen=True, slots=True)
class Fragment:
    """A WriteRequest (protobuf, uncompressed) of at most ``max_samples`` samples."""

    body: bytes
    samples: int
    oldest_ts: float      # of its batches (Unix seconds)
    newest_ts: float


def series_of(batch: Batch, fixed: Mapping[str, str], constant: Mapping[str, str],
              cache: LabelCache | None = None) -> Iterator[bytes]:
    """Encoded ``WriteRequest.timeseries`` fields of ``batch``: ``fixed`` labels (identity)
    always, ``constant`` ones (replica, external) where the series lacks them; label sets
    are looked up in (and added to) ``cache``."""
    head, tail = sample_fields(round(batch.ts * 1000))
    pack = struct.Struct("<d").pack
    sample_len = len(head) + 8 + len(tail)
    fixed_fields = {k: label_field(k, v) for k, v in fixed.items() if v}
    constant_fields = {k: label_field(k, v) for k, v in constant.items() if v}
    name_fields: dict[str, bytes] = {}
    seen: set[bytes] = set()
    context = (tuple(fixed.items()), tuple(constant.items()))
    for family in batch.families:
        # cached: the series field's head (key, length and labels), for this sample length
        known = (cache.family((context, family.name, tuple(family.labels), sample_len))
                 if cache is not None else None)
        if known is not None:
            rows = family.rows
            names_of = family.names
            for index, row in enumerate(rows):
                key = (names_of[index] if names_of is not None else None, *row[1:])
                series_head = known.get(key)
                if series_head is None:
                    break
                if series_head in seen:
                    continue
                seen.add(series_head)
                yield series_head + head + pack(float(row[0])) + tail
            else:
                continue
            # a row not seen before: encode the family's remaining rows (and keep them)
            start = index
        else:
            start = 0
        names = label_names(family.labels)
        own = set(names)
        # (sort key, step); a step is (0, a constant field), (i > 0, the prefix of the label
        # whose value is row[i]) or (-1, b""): the sample's name
        plan: list[tuple[str, tuple[int, bytes]]] = [(_NAME, (-1, b""))]
        plan += [(n, (i + 1, label_prefix(n))) for i, n in enumerate(names)]
        plan += [(k, (0, f)) for k, f in fixed_fields.items() if k not in own]
        plan += [(k, (0, f)) for k, f in constant_fields.items()
                 if k not in own and k not in fixed_fields]
        plan.sort(key=lambda entry: entry[0])
        steps = [step for _, step in plan]
        sample_names = family.names
        for index in range(start, len(family.rows)):
            row = family.rows[index]
            parts: list[bytes] = []
            for position, data in steps:
                if position > 0:
                    value = row[position]
                    if value:
                        parts.append(label_field("", value, data))
                elif position == 0:
                    parts.append(data)
                else:
                    sample = family.name if sample_names is None else sample_names[index]
                    field = name_fields.get(sample)
                    if field is None:
                        field = name_fields[sample] = label_field(_NAME, sample)
                    parts.append(field)
            series_head = timeseries_head(b"".join(parts), sample_len)
            if known is not None and cache is not None:
                known[(sample_names[index] if sample_names is not None else None,
                       *row[1:])] = series_head
                cache.size += 1
            if series_head in seen:
                continue
            seen.add(series_head)
            yield series_head + head + pack(float(row[0])) + tail


def encode_batches(batches: Sequence[Batch], fixed: Mapping[str, str],
                   constant: Mapping[str, str], max_samples: int,
                   cache: LabelCache | None = None) -> list[Fragment]:
    """``batches`` as WriteRequests of at most ``max_samples`` samples each, in order."""
    out: list[Fragment] = []
    parts: list[bytes] = []
    oldest, newest = math.inf, -math.inf

    def flush() -> None:
        nonlocal parts, oldest, newest
        if parts:
            out.append(Fragment(b"".join(parts), len(parts), oldest, newest))
        parts, oldest, newest = [], math.inf, -math.inf

    for batch in batches:
        series = list(series_of(batch, fixed, constant, cache))
        at = 0
        while at < len(series):
            room = max_samples - len(parts)
            parts.extend(series[at:at + room])
            at += room
            oldest, newest = min(oldest, batch.ts), max(newest, batch.ts)
            if len(parts) >= max_samples:
                flush()
    flush()
    return out
