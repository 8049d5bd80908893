"""A poll into the store, by the road a report takes: a :mod:`netmon.wire` batch (the
device's families and the harness's ``netmon_exporter_duration_seconds`` and
``netmon_exporter_success``, as an agent sends them), rendered once with the device's
identity labels (:func:`collector.lines.render_batch`), committed with
:meth:`collector.store.Store.commit`. So a polled device's series, staleness and
``netmon_agent_up`` are exactly those of an agent's; with ``remote_write.forward: all`` its
batches are forwarded like an agent's too.

A failed poll is committed as well (success 0 and the exporter's error metrics replace the
last batch, as an agent's failed run does): the device's series go at once, not after the
staleness timeout, and what failed is on the scopes.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from prometheus_client import Metric

from collector.lines import render_batch
from collector.prepare import PreparedReport
from collector.remote_write.config import Forward
from collector.remote_write.errors import SpoolError
from collector.remote_write.forwarder import Forwarder
from collector.store import Commit, Store
from exporters.harness import ExporterRun, harness_families
from netmon import wire

log = logging.getLogger(__name__)

__all__ = ["OFFLOAD_SAMPLES", "commit_poll", "device_batch"]

#: A poll with more samples than this is rendered in a worker thread (as a large push is).
OFFLOAD_SAMPLES: Final = 4000


def device_batch(run: ExporterRun, ts: float, interval: float,
                 labels: Mapping[str, str]) -> wire.Batch:
    """The poll as an agent would send it: the device's samples also labelled with
    ``labels`` (``instance``: what :class:`exporters.target_labels.TargetLabels` adds for an
    agent, unless the sample has the label already), then the harness's two. Equal to
    ``wire.batch`` of the wrapped families, without copying each sample first: the SNMP
    exporter shares one labels dict between the samples of a row, so each row's label
    values are looked up once."""
    tails: dict[tuple[str, ...], dict[int, list[str]]] = {}
    return wire.Batch(run.exporter, ts, interval, (
        *(_family_data(f, labels, tails) for f in run.families),
        *(_family_data(f, {}, {}) for f in harness_families([run]))))


def _special(value: float) -> float | str:
    """The wire's spelling of a value that is not finite."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return value


def _family_data(family: Metric, extra: Mapping[str, str],
                 tails: dict[tuple[str, ...], dict[int, list[str]]]) -> wire.FamilyData:
    samples: Sequence[Any] = family.samples
    names = set(extra)
    for sample in samples:
        names.update(sample.labels)
    keys = tuple(sorted(names))
    cache = tails.setdefault(keys, {})
    rows = []
    for sample in samples:
        tail = cache.get(id(sample.labels))
        if tail is None:
            merged = {**extra, **sample.labels}
            tail = cache[id(sample.labels)] = [merged.get(k, "") for k in keys]
        value = sample.value
        rows.append([value if value - value == 0 else _special(value), *tail])
    uniform = all(s.name == family.name for s in samples)
    return wire.FamilyData(family.name, family.type, family.documentation, keys, rows,
                           None if uniform else tuple(s.name for s in samples))


async def commit_poll(store: Store, name: str, seq: int, batch: wire.Batch, sent: float,
                      forwarder: Forwarder | None = None) -> Commit | None:
    """Store ``batch`` for device ``name`` (``sent``: when the poll ended, Unix time). None
    when the device left the inventory, or changed identity, while the batch was rendered."""
    state = store.agents.get(name)
    if state is None:
        return None
    ident = state.ident
    if sum(f.sample_count() for f in batch.families) > OFFLOAD_SAMPLES:
        rendered = await asyncio.to_thread(render_batch, batch, ident)
        if store.agents.get(name) is not state or state.ident is not ident:
            return None
    else:
        rendered = render_batch(batch, ident)
    if forwarder is not None and forwarder.config.forward is Forward.ALL:
        try:
            await forwarder.submit([batch], ident.identity)
        except SpoolError as exc:
            log.error("poll not forwarded: remote_write spool failed device=%s error=%s",
                      name, exc)
        if store.agents.get(name) is not state:
            return None
    report = PreparedReport(seq, (rendered,), rendered.ts, (batch,), sent)
    return store.commit(name, report)
