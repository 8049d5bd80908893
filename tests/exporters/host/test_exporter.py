"""HostExporter: the contract, the explicit collector list, failure isolation, threads."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client import Metric

from exporters.contract import Exporter
from exporters.exposition import render
from exporters.harness import run_exporter
from exporters.host import HostConfig, HostExporter
from exporters.host.collector import gauge
from exporters.host.exporter import default_collectors
from tests.peers.exposition import parse
from tests.peers.node_exporter import HOST_COLLECTORS


def success_by_collector(families: list[Metric]) -> dict[str, float]:
    exp = parse(render(families))
    return {dict(k)["collector"]: v for k, v in exp.series("netmon_host_collector_success").items()}


class ThreadProbe:
    """A collector that records which thread ran it and whether an event loop ran there."""

    name = "probe"

    def __init__(self) -> None:
        self.thread = ""
        self.loop_running = True

    def collect(self) -> list[Metric]:
        self.thread = threading.current_thread().name
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.loop_running = False
        family = gauge("netmon_probe", "Probe.")
        family.add_sample(family.name, {}, 1.0)
        return [family]


def test_host_exporter_implements_the_contract() -> None:
    exporter = HostExporter()
    assert isinstance(exporter, Exporter)
    assert exporter.name == "host"
    assert exporter.config == HostConfig()


def test_default_collectors_are_the_node_exporter_collectors_the_peer_runs() -> None:
    names = [c.name for c in default_collectors(HostConfig())]
    assert sorted(names) == sorted(HOST_COLLECTORS)
    assert len(set(names)) == len(names)


async def test_collect_on_this_machine_succeeds_everywhere() -> None:
    families = await HostExporter().collect()
    assert success_by_collector(families) == dict.fromkeys(HOST_COLLECTORS, 1.0)
    exp = parse(render(families))
    assert exp.values[("node_memory_MemTotal_bytes", frozenset())] > 0
    assert exp.types["netmon_host_collector_duration_seconds"] == "gauge"


async def test_a_failing_collector_does_not_stop_the_others(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # An empty procfs: every collector reading /proc files fails; psutil and clock ones work.
    caplog.set_level(logging.WARNING, logger="exporters.host.exporter")
    families = await HostExporter(HostConfig(procfs=tmp_path)).collect()

    assert success_by_collector(families) == {
        "cpu": 0, "diskstats": 1, "filesystem": 0, "loadavg": 0, "meminfo": 0, "netdev": 1,
        "stat": 0, "time": 1, "timex": 1, "uname": 0}
    names = {f.name for f in families}
    assert "node_network_receive_bytes_total" in names
    assert "node_time_seconds" in names
    assert not any(n.startswith(("node_memory_", "node_cpu_", "node_load")) for n in names)
    failures = [r.getMessage() for r in caplog.records]
    assert len(failures) == 6
    meminfo = next(m for m in failures if "collector=meminfo" in m)
    assert "FileNotFoundError" in meminfo
    assert str(tmp_path / "meminfo") in meminfo


async def test_collectors_run_in_worker_threads_never_on_the_loop() -> None:
    probe = ThreadProbe()
    await HostExporter(collectors=[probe]).collect()
    assert probe.thread != threading.current_thread().name
    assert probe.loop_running is False


async def test_collectors_run_in_the_executor_given() -> None:
    probe = ThreadProbe()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="netmon-host-test") as pool:
        families = await HostExporter(collectors=[probe], executor=pool).collect()
    assert probe.thread.startswith("netmon-host-test")
    assert families[0].name == "netmon_probe"


async def test_the_harness_runs_the_host_exporter() -> None:
    run = await run_exporter(HostExporter(), timeout=30)
    assert run.success, run.error
    assert run.exporter == "host"
