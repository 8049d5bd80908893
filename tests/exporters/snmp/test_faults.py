"""Targets that are dead, lie, or never stop: each gets a precise error metric and log line,
bounded time and memory, and none of them delays or breaks another target."""

from __future__ import annotations

import asyncio
import logging

import pytest

from exporters.errors import SnmpError
from exporters.exposition import render
from exporters.harness import run_exporters
from exporters.secrets import Secret
from exporters.snmp.client import Limits, SnmpStack
from exporters.snmp.config import Auth, MetricSpec, Module, SnmpConfig, WalkParams
from exporters.snmp.exporter import SnmpExporter, SnmpTargetConfig
from tests.peers import misbehaving_agents as bad
from tests.peers.exposition import parse
from tests.peers.snmp import SnmpAgent

pytestmark = pytest.mark.faults

ROOT = (1, 3, 6, 1, 4, 1, 99999)
FAST = WalkParams(max_repetitions=25, retries=1, timeout=0.3)


def _config(params: WalkParams = FAST) -> SnmpConfig:
    table = Module("table", walk=(".".join(map(str, ROOT)),), walk_params=params,
                   metrics=(MetricSpec("row", ".".join(map(str, ROOT)) + ".1", "gauge",
                                       "A row."),))
    return SnmpConfig(auths={"public_v2": Auth("public_v2", community=Secret("public"))},
                      modules={"table": table}, sources=("test",))


def _exporter(target: str, stack: SnmpStack, limits: Limits | None = None,
              config: SnmpConfig | None = None) -> SnmpExporter:
    return SnmpExporter(SnmpTargetConfig(target, ("table",), limits=limits or Limits()),
                        config or _config(), stack)


async def _failure(exporter: SnmpExporter) -> tuple[str, dict]:
    with pytest.raises(SnmpError) as info:
        await exporter.collect()
    values = parse(render(info.value.families)).values
    return str(info.value.__cause__ or info.value), values


async def test_dead_target_times_out_with_a_metric(caplog: pytest.LogCaptureFixture) -> None:
    stack = SnmpStack()
    try:
        with bad.udp_agent(bad.silent) as agent:
            exporter = _exporter(agent.target, stack)
            (run,) = await run_exporters([exporter])
    finally:
        stack.close()
    assert not run.success
    assert f"target={agent.target} module=table kind=timeout" in run.error
    values = parse(render(run.families)).values
    assert values[("netmon_snmp_module_error",
                   frozenset({("module", "table"), ("kind", "timeout")}))] == 1.0
    assert values[("netmon_snmp_module_success", frozenset({("module", "table")}))] == 0.0
    assert 0.5 <= run.duration_seconds < 3.0  # 2 attempts of 0.3 s, not the 30 s deadline
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(messages) == 1  # one line for one failure
    assert f"target={agent.target}" in messages[0]
    assert "kind=timeout" in messages[0]


async def test_garbage_answer_fails_fast_as_protocol_error() -> None:
    stack = SnmpStack()
    try:
        with bad.udp_agent(bad.garbage) as agent:
            exporter = _exporter(agent.target, stack)
            loop = asyncio.get_running_loop()
            start = loop.time()
            with pytest.raises(SnmpError) as info:
                await exporter.collect()
            elapsed = loop.time() - start
    finally:
        stack.close()
    values = parse(render(info.value.families)).values
    assert values[("netmon_snmp_module_error",
                   frozenset({("module", "table"), ("kind", "protocol")}))] == 1.0
    assert elapsed < 0.3  # did not wait for the timeout


async def test_lying_length_is_a_protocol_error_naming_the_offset() -> None:
    stack = SnmpStack()
    try:
        with bad.udp_agent(bad.garbage_with_request_id) as agent, pytest.raises(SnmpError) as info:
            await _exporter(agent.target, stack).collect()
    finally:
        stack.close()
    assert "kind=protocol" in str(info.value)
    assert "malformed message" in str(info.value)
    assert "offset" in str(info.value)


async def test_table_of_100_000_rows_is_refused_with_default_limits() -> None:
    params = WalkParams(max_repetitions=200, retries=1, timeout=2.0)
    stack = SnmpStack()
    try:
        with bad.udp_agent(bad.endless_table(ROOT)) as agent:
            exporter = _exporter(agent.target, stack, config=_config(params))
            with pytest.raises(SnmpError) as info:
                await exporter.collect()
    finally:
        stack.close()
    values = parse(render(info.value.families)).values
    assert values[("netmon_snmp_module_error",
                   frozenset({("module", "table"), ("kind", "limit")}))] == 1.0
    assert f"more than {Limits().max_varbinds} varbinds" in str(info.value)
    assert Limits().max_varbinds < 100_000


async def test_slow_endless_walk_is_cut_at_the_scrape_deadline() -> None:
    stack = SnmpStack()
    try:
        with bad.udp_agent(bad.slow(bad.endless_table(ROOT), 0.1)) as agent:
            exporter = SnmpExporter(SnmpTargetConfig(agent.target, ("table",), timeout=1.0),
                                    _config(), stack)
            loop = asyncio.get_running_loop()
            start = loop.time()
            with pytest.raises(SnmpError) as info:
                await exporter.collect()
            elapsed = loop.time() - start
    finally:
        stack.close()
    values = parse(render(info.value.families)).values
    assert values[("netmon_snmp_module_error",
                   frozenset({("module", "table"), ("kind", "deadline")}))] == 1.0
    assert 0.9 < elapsed < 2.0


async def test_error_status_ending_a_walk_keeps_the_rows_as_snmp_exporter_does() -> None:
    stack = SnmpStack()
    try:
        with bad.udp_agent(bad.table_then_error(ROOT, rows=60)) as agent:
            families = await _exporter(agent.target, stack).collect()
    finally:
        stack.close()
    values = parse(render(families)).values
    assert values[("snmp_scrape_pdus_returned", frozenset({("module", "table")}))] == 60
    assert values[("netmon_snmp_module_success", frozenset({("module", "table")}))] == 1.0


async def test_endless_table_stops_at_the_limit() -> None:
    stack = SnmpStack()
    try:
        with bad.udp_agent(bad.endless_table(ROOT)) as agent:
            exporter = _exporter(agent.target, stack, Limits(max_varbinds=2_000))
            with pytest.raises(SnmpError) as info:
                await exporter.collect()
    finally:
        stack.close()
    values = parse(render(info.value.families)).values
    assert values[("netmon_snmp_module_error",
                   frozenset({("module", "table"), ("kind", "limit")}))] == 1.0


async def test_oids_that_do_not_increase_end_the_walk_with_an_error() -> None:
    stack = SnmpStack()
    try:
        with bad.udp_agent(bad.decreasing_oids(ROOT)) as agent, pytest.raises(SnmpError) as info:
            await _exporter(agent.target, stack).collect()
    finally:
        stack.close()
    assert "OID not increasing" in str(info.value)
    assert "allow_nonincreasing_oids" in str(info.value)


async def test_one_bad_target_delays_no_other(ward_router: SnmpAgent) -> None:
    """The simulated ward router answers in full while a dead device is still timing out,
    and garbage and an endless table next to it change nothing."""
    slow = _config(WalkParams(retries=1, timeout=2.0))
    system = Module("system", walk=("1.3.6.1.2.1.1",), metrics=(
        MetricSpec("sysName", "1.3.6.1.2.1.1.5", "DisplayString", "Name."),))
    router = SnmpConfig(auths={"public_v2": Auth("public_v2",
                                                 community=Secret(ward_router.community))},
                        modules={"system": system}, sources=("test",))
    stack = SnmpStack()
    try:
        with (bad.udp_agent(bad.silent) as dead, bad.udp_agent(bad.garbage) as liar,
              bad.udp_agent(bad.endless_table(ROOT)) as endless):
            exporters = [
                _exporter(dead.target, stack, config=slow),
                _exporter(liar.target, stack),
                _exporter(endless.target, stack, Limits(max_varbinds=5_000)),
                SnmpExporter(SnmpTargetConfig(ward_router.target, ("system",)), router, stack),
            ]
            runs = await run_exporters(exporters)
    finally:
        stack.close()
    dead_run, liar_run, endless_run, good_run = runs
    assert not dead_run.success and dead_run.duration_seconds >= 4.0
    assert not liar_run.success and liar_run.duration_seconds < 1.0
    assert not endless_run.success
    assert good_run.success
    assert good_run.duration_seconds < dead_run.duration_seconds / 2
    names = parse(render(good_run.families)).series("sysName")
    assert [dict(labels)["sysName"] for labels in names] == ["hn-bd-phucxa-r1"]
