"""The exporter around an injected connector (no SSH): where it runs, how a failure of one
command, of the login or of a whole run is reported, and the pool's bound."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from exporters.cli import CliDeviceConfig, CliExporter, CliPool
from exporters.cli.errors import CliCommandError, CliSessionError
from exporters.errors import ExporterError
from exporters.exposition import render
from exporters.harness import run_exporter
from tests.exporters.cli.conftest import device, value
from tests.exporters.cli.fakenos_peer import WARD_ROUTER, data
from tests.peers.exposition import parse

OUTPUTS = {command: data(name) for command, name in WARD_ROUTER.items()}
Behaviour = Callable[[str], str]


class FakeSession:
    def __init__(self, behaviour: Behaviour, log: list[str]) -> None:
        self.behaviour = behaviour
        self.log = log

    def send_command(self, command: str, read_timeout: float) -> str:
        self.log.append(command)
        return self.behaviour(command)

    def close(self) -> None:
        self.log.append("close")


class FakeConnector:
    """Sessions that answer from the captured data, with failures injected by the test."""

    def __init__(self, behaviour: Behaviour = OUTPUTS.__getitem__,
                 login: list[CliSessionError | None] | None = None) -> None:
        self.behaviour = behaviour
        self.login = list(login or [])
        self.log: list[str] = []
        self.threads: set[str] = set()

    def __call__(self, device: CliDeviceConfig) -> FakeSession:
        self.threads.add(threading.current_thread().name)
        self.log.append("connect")
        error = self.login.pop(0) if self.login else None
        if error is not None:
            raise error
        return FakeSession(self.behaviour, self.log)


@pytest.fixture
def pool() -> Iterator[CliPool]:
    with CliPool(3) as pool:
        yield pool


def failing(failures: dict[str, CliCommandError]) -> Behaviour:
    def behaviour(command: str) -> str:
        if command in failures:
            raise failures[command]
        return OUTPUTS[command]
    return behaviour


async def test_runs_in_the_pool_never_on_the_loop(pool: CliPool) -> None:
    connect = FakeConnector()
    families = await CliExporter(device("r1"), pool, connect=connect).collect()
    assert connect.threads and all(t.startswith("netmon-cli") for t in connect.threads)
    assert threading.current_thread().name not in connect.threads
    expo = parse(render(families))
    assert value(expo, "netmon_cli_up", device="r1") == 1
    assert all(v == 1 for v in expo.series("netmon_cli_command_success").values())
    assert connect.log[0] == "connect" and connect.log[-1] == "close"
    assert connect.log.count("show interfaces") == 1  # two tables, one command


async def test_a_timed_out_command_gets_a_fresh_session_for_the_rest(
        pool: CliPool, caplog: pytest.LogCaptureFixture) -> None:
    timeout = CliCommandError("timeout", "device=r1 command='show ip bgp summary': slow")
    connect = FakeConnector(failing({"show ip bgp summary": timeout}))
    with caplog.at_level(logging.WARNING, logger="exporters.cli"):
        families = await CliExporter(device("r1"), pool, connect=connect).collect()
    expo = parse(render(families))
    assert value(expo, "netmon_cli_command_success", device="r1",
                 command="show ip bgp summary") == 0
    assert value(expo, "netmon_cli_command_success", device="r1",
                 command="show running-config") == 1
    assert value(expo, "netmon_cli_errors_total", device="r1", command="show ip bgp summary",
                 kind="timeout") == 1
    assert connect.log.count("connect") == 2
    assert connect.log[connect.log.index("show ip bgp summary") + 1:][:2] == [
        "close", "connect"]
    assert [r.getMessage() for r in caplog.records] == [
        "cli command failed kind=timeout device=r1 command='show ip bgp summary': slow"]


async def test_a_second_failure_skips_the_rest(pool: CliPool) -> None:
    broken = CliCommandError("session", "device=r1: the session broke")
    connect = FakeConnector(failing({"show interfaces": broken,
                                     "show ip sla statistics": broken}))
    expo = parse(render(await CliExporter(device("r1"), pool, connect=connect).collect()))
    assert value(expo, "netmon_cli_errors_total", device="r1", command="show running-config",
                 kind="skipped") == 1
    assert value(expo, "netmon_cli_errors_total", device="r1", command="show interfaces",
                 kind="session") == 1
    assert connect.log.count("connect") == 2
    assert "show ip bgp summary" not in connect.log


async def test_a_login_failure_fails_the_run_with_its_metrics(
        pool: CliPool, caplog: pytest.LogCaptureFixture) -> None:
    auth = CliSessionError("auth", "device=r1 host=127.0.0.1:22: authentication failed")
    connect = FakeConnector(login=[auth, auth])
    exporter = CliExporter(device("r1"), pool, connect=connect)
    with pytest.raises(CliSessionError) as caught:
        await exporter.collect()
    assert caught.value.kind == "auth"
    with caplog.at_level(logging.WARNING):
        run = await run_exporter(exporter)
    assert not run.success
    expo = parse(render(run.families))
    assert value(expo, "netmon_cli_up", device="r1") == 0
    assert value(expo, "netmon_cli_errors_total", device="r1", command="", kind="auth") == 2
    assert set(expo.series("netmon_cli_command_success").values()) == {0}
    assert not expo.series("netmon_cli_command_duration_seconds")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "exporter=cli:r1" in lines[0] and "device=r1" in lines[0]


async def test_a_failed_reconnect_keeps_what_was_read(pool: CliPool,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    timeout = CliCommandError("timeout", "device=r1 command='show ip sla statistics': slow")
    gone = CliSessionError("unreachable", "device=r1 host=127.0.0.1:22: gone")
    connect = FakeConnector(failing({"show ip sla statistics": timeout}), login=[None, gone])
    with caplog.at_level(logging.WARNING, logger="exporters.cli"):
        families = await CliExporter(device("r1"), pool, connect=connect).collect()
    expo = parse(render(families))
    assert value(expo, "netmon_cli_up", device="r1") == 1
    assert value(expo, "netmon_cli_command_success", device="r1", command="show interfaces") == 1
    assert value(expo, "netmon_cli_errors_total", device="r1", command="",
                 kind="unreachable") == 1
    assert "netmon_cli_interface_admin_up" in expo.names()
    assert len(caplog.records) == 2  # the timeout and the failed reconnect


async def test_errors_accumulate_across_runs(pool: CliPool) -> None:
    refused = {"show ip sla statistics": "% Invalid input detected at '^' marker."}
    connect = FakeConnector(lambda c: refused.get(c) or OUTPUTS[c])
    exporter = CliExporter(device("r1"), pool, connect=connect)
    for _ in range(3):
        families = await exporter.collect()
    expo = parse(render(families))
    assert value(expo, "netmon_cli_errors_total", device="r1", command="show ip sla statistics",
                 kind="invalid_command") == 3
    assert expo.types["netmon_cli_errors_total"] == "counter"


async def test_a_run_still_busy_is_not_queued_behind(pool: CliPool) -> None:
    release = threading.Event()

    def slow(command: str) -> str:
        release.wait(10)
        return OUTPUTS[command]

    exporter = CliExporter(device("r1", checks=("bgp",)), pool, connect=FakeConnector(slow))
    first = await run_exporter(exporter, timeout=0.2)
    assert not first.success and "timed out" in first.error
    with pytest.raises(ExporterError, match="device=r1: the previous run is still running"):
        await exporter.collect()
    release.set()
    for _ in range(100):
        await asyncio.sleep(0.02)
        try:
            await exporter.collect()
        except ExporterError:
            continue
        break
    else:
        pytest.fail("the exporter never ran again")


async def test_the_pool_bounds_concurrency() -> None:
    running = 0
    peak = 0
    lock = threading.Lock()

    def behaviour(command: str) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return OUTPUTS[command]

    with CliPool(3) as pool:
        exporters = [CliExporter(device(f"r{i}", checks=("bgp",)), pool,
                                 connect=FakeConnector(behaviour)) for i in range(9)]
        await asyncio.gather(*(e.collect() for e in exporters))
    assert peak == 3


async def test_a_queued_run_is_dropped_when_its_caller_gives_up() -> None:
    release = threading.Event()
    started: list[str] = []

    def blocking(command: str) -> str:
        started.append(command)
        release.wait(10)
        return OUTPUTS[command]

    with CliPool(1) as pool:
        busy = CliExporter(device("busy", checks=("bgp",)), pool, connect=FakeConnector(blocking))
        queued_connect = FakeConnector()
        queued = CliExporter(device("queued", checks=("bgp",)), pool, connect=queued_connect)
        task = asyncio.ensure_future(busy.collect())
        await asyncio.sleep(0.05)
        assert not (await run_exporter(queued, timeout=0.1)).success
        release.set()
        await task
    assert queued_connect.log == []  # cancelled in the queue, never connected
