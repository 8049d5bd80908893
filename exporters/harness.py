"""Runs exporters, times them, and turns their failures into metrics.

Like node_exporter's ``node_scrape_collector_{duration_seconds,success}``, every run records
``netmon_exporter_duration_seconds{exporter}`` and ``netmon_exporter_success{exporter}``. A
failing exporter yields those two series plus one log line; it never raises into its caller
and never stops the other exporters that run beside it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from prometheus_client import Metric

from exporters.contract import Exporter
from exporters.errors import ExporterError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExporterRun:
    """What one run of one exporter produced."""

    exporter: str
    duration_seconds: float
    success: bool
    families: list[Metric] = field(default_factory=list)
    error: str = ""


async def run_exporter(exporter: Exporter, timeout: float | None = None) -> ExporterRun:
    """Run one exporter once; never raises (except cancellation of the caller)."""
    start = time.perf_counter()
    partial: list[Metric] = []
    try:
        families = await asyncio.wait_for(exporter.collect(), timeout)
    except TimeoutError:
        error = f"timed out after {timeout}s"
    except ExporterError as exc:
        error = f"{type(exc).__name__}: {exc}"
        partial = exc.families
    except Exception as exc:  # the harness exists to contain any failure
        error = f"{type(exc).__name__}: {exc}"
    else:
        return ExporterRun(exporter.name, time.perf_counter() - start, True, families)
    duration = time.perf_counter() - start
    log.warning("exporter failed exporter=%s duration=%.3fs error=%s",
                exporter.name, duration, error)
    return ExporterRun(exporter.name, duration, False, partial, error)


async def run_exporters(
    exporters: Sequence[Exporter], timeout: float | None = None
) -> list[ExporterRun]:
    """Run several exporters concurrently; one slow or failing exporter delays nobody else."""
    return list(await asyncio.gather(*(run_exporter(e, timeout) for e in exporters)))


def harness_families(runs: Iterable[ExporterRun]) -> list[Metric]:
    """The harness's own families for a set of runs."""
    duration = Metric(
        "netmon_exporter_duration_seconds", "How long the exporter's last run took.", "gauge"
    )
    success = Metric(
        "netmon_exporter_success", "Whether the exporter's last run succeeded (1) or not (0).",
        "gauge",
    )
    for run in runs:
        labels = {"exporter": run.exporter}
        duration.add_sample(duration.name, labels, run.duration_seconds)
        success.add_sample(success.name, labels, 1.0 if run.success else 0.0)
    return [duration, success]


def all_families(runs: Sequence[ExporterRun]) -> list[Metric]:
    """Every family the runs produced, followed by the harness's own."""
    out: list[Metric] = [f for run in runs for f in run.families]
    out.extend(harness_families(runs))
    return out
