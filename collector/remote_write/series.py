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

Pure functions: they run in the spool's thread, never on the event loop.
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
    timeseries_field,
)
from netmon.wire import Batch

__all__ = ["Fragment", "encode_batches", "series_of"]

_NAME = "__name__"


@dataclass(frozen=True, slots=True)
class Fragment:
    """A WriteRequest (protobuf, uncompressed) of at most ``max_samples`` samples."""

    body: bytes
    samples: int
    oldest_ts: float      # of its batches (Unix seconds)
    newest_ts: float


def series_of(batch: Batch, fixed: Mapping[str, str], constant: Mapping[str, str]
              ) -> Iterator[bytes]:
    """Encoded ``WriteRequest.timeseries`` fields of ``batch``: ``fixed`` labels (identity)
    always, ``constant`` ones (replica, external) where the series lacks them."""
    head, tail = sample_fields(round(batch.ts * 1000))
    pack = struct.Struct("<d").pack
    fixed_fields = {k: label_field(k, v) for k, v in fixed.items() if v}
    constant_fields = {k: label_field(k, v) for k, v in constant.items() if v}
    name_fields: dict[str, bytes] = {}
    seen: set[bytes] = set()
    for family in batch.families:
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
        for index, row in enumerate(family.rows):
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
            labels = b"".join(parts)
            if labels in seen:
                continue
            seen.add(labels)
            yield timeseries_field(labels, head + pack(float(row[0])) + tail)


def encode_batches(batches: Sequence[Batch], fixed: Mapping[str, str],
                   constant: Mapping[str, str], max_samples: int) -> list[Fragment]:
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
        for series in series_of(batch, fixed, constant):
            parts.append(series)
            oldest, newest = min(oldest, batch.ts), max(newest, batch.ts)
            if len(parts) >= max_samples:
                flush()
    flush()
    return out
