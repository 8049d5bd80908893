"""The harness: every run timed, every failure contained and turned into metrics."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import Metric

from exporters.errors import ExporterError
from exporters.exposition import render
from exporters.harness import all_families, run_exporter, run_exporters
from tests.peers.exposition import parse


class Fixed:
    """A tiny exporter for the harness's own tests (the contract, not a peer)."""

    def __init__(self, name: str, delay: float = 0.0, error: BaseException | None = None,
                 partial: list[Metric] | None = None) -> None:
        self._name, self.delay, self.error, self.partial = name, delay, error, partial

    @property
    def name(self) -> str:
        return self._name

    async def collect(self) -> list[Metric]:
        await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        family = Metric("x", "X.", "gauge")
        family.add_sample("x", {"from": self._name}, 1.0)
        return [family]


def _status(runs: list) -> dict:
    values = parse(render(all_families(runs))).values
    return {dict(k[1])["exporter"]: v for k, v in values.items()
            if k[0] == "netmon_exporter_success"}


async def test_a_failing_exporter_stops_no_other(caplog: pytest.LogCaptureFixture) -> None:
    runs = await run_exporters([Fixed("good"), Fixed("bad", error=RuntimeError("boom")),
                                Fixed("worse", error=KeyError("k"))])
    assert _status(runs) == {"good": 1.0, "bad": 0.0, "worse": 0.0}
    assert runs[0].families and not runs[1].families
    lines = [r.getMessage() for r in caplog.records]
    assert sum("exporter=bad" in line and "RuntimeError: boom" in line for line in lines) == 1


async def test_timeout_is_a_failure_with_its_duration() -> None:
    run = await run_exporter(Fixed("slow", delay=5), timeout=0.1)
    assert not run.success
    assert "timed out after 0.1s" in run.error
    assert 0.1 <= run.duration_seconds < 1


async def test_partial_families_of_an_exporter_error_are_kept() -> None:
    partial = Metric("why", "Why.", "gauge")
    partial.add_sample("why", {"kind": "timeout"}, 1.0)
    run = await run_exporter(Fixed("e", error=ExporterError("all failed", [partial])))
    assert not run.success
    assert [f.name for f in run.families] == ["why"]
