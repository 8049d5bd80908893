"""From one exporter run to the bytes pushed to every collector.

Each run becomes one report (:mod:`netmon.wire`) with two batches:

* the exporter's batch: what it produced plus the harness's
  ``netmon_exporter_duration_seconds`` and ``netmon_exporter_success`` for that run, stamped
  with the run's start (Unix time, as Prometheus stamps a scrape) and the exporter's interval.
  A failed run still sends its batch: success 0 and the exporter's error metrics replace the
  previous batch, as a failed scrape replaces a good one in Prometheus;
* the batch ``agent``: the agent's own metrics (:mod:`agent.metrics`) at that moment.

Why the agent batch rides with every report rather than on an interval of its own: it costs
about 40 samples on top of the exporter's hundreds to thousands, while a separate push
would cost every collector one more request per agent and interval; and riding along, it
reaches every collector the exporters' data reaches, so an agent that reports at all always
reports its own health (failed pushes, queue depth, skipped runs) with it. Its ``interval``
is the agent's shortest exporter interval, the longest it can go without being refreshed.

The report is encoded once, gzipped, written to the spool, and the same bytes go to every
collector. Sequence numbers count up by one per report: strictly increasing and contiguous (a
gap at a collector is a report it never got). The spool persists the last one written, and
the agent goes on from there after a restart (:attr:`agent.spool.Spool.next_seq`); a fresh
spool starts at the wall clock in milliseconds, above an earlier spool's numbers as long as
that one wrote fewer than 1,000 reports a second on average.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prometheus_client import Metric

from exporters.harness import ExporterRun, harness_families
from netmon.wire import Batch, Report, batch, encode_report

__all__ = ["EncodedReport", "SequenceCounter", "encode", "exporter_batch", "merge_families"]


@dataclass(frozen=True, slots=True)
class EncodedReport:
    """A report as it goes on the wire, with what the shipper and the logs need to know."""

    seq: int
    body: bytes        # gzip of the JSON report
    created: float     # Unix time it was encoded
    samples: int
    exporter: str      # the batch it carries, for log lines
    backlog: bool = False  # a catch-up report, not the newest (agent.spool_cursor)


class SequenceCounter:
    """Strictly increasing report numbers, from ``start`` (the spool's next seq) or else the
    wall clock in milliseconds."""

    def __init__(self, start: int | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._next = start if start is not None else int(clock() * 1000)

    def next(self) -> int:
        seq = self._next
        self._next += 1
        return seq

    def peek(self) -> int:
        return self._next


def merge_families(families: Sequence[Metric]) -> list[Metric]:
    """One family per name, as the wire format requires in a batch: families that share a
    name (two modules walking the same object) are merged, first HELP and TYPE winning, and
    a series repeated with the same labels keeps its first value, exactly as
    :func:`exporters.exposition.render` prints them."""
    by_name: dict[str, Metric] = {}
    merged: set[str] = set()
    for family in families:
        first = by_name.get(family.name)
        if first is None:
            by_name[family.name] = family
            continue
        if family.name not in merged:
            copy = Metric(first.name, first.documentation, first.type)
            copy.samples = list(first.samples)
            by_name[family.name] = first = copy
            merged.add(family.name)
        first.samples.extend(family.samples)
    for name in merged:
        family = by_name[name]
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        unique = []
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            if key not in seen:
                seen.add(key)
                unique.append(sample)
        family.samples = unique
    return list(by_name.values())


def exporter_batch(run: ExporterRun, ts: float, interval: float) -> Batch:
    """One run's batch: its families and the harness's families for it."""
    return batch(run.exporter, ts, interval,
                 merge_families([*run.families, *harness_families([run])]))


def encode(seq: int, batches: Sequence[Batch], now: float, compresslevel: int = 6
           ) -> EncodedReport:
    report = Report(seq, now, tuple(batches))
    return EncodedReport(seq, encode_report(report, compresslevel), now,
                         report.sample_count(), batches[0].exporter if batches else "")
