"""Parallel column walks (issue 5 item 2) against the light responder: the same values as one
walk after another, in the same order; a failure is the failure of a sequential walk; round
trips overlap on a large table; a large module is split per column from its second poll,
a small one never."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from collector.config_load import parse_config
from collector.errors import ConfigError
from collector.polling.columns import split_columns
from collector.polling.config import DEFAULT_PARALLEL_WALKS, LookupCacheConfig
from collector.polling.scrape import SPLIT_VALUES, CachedScrape
from exporters.errors import SnmpProtocolError
from exporters.secrets import Secret
from exporters.snmp.client import SnmpStack, Target
from exporters.snmp.config import Auth, SnmpConfig, WalkParams
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.scrape import walk_roots
from exporters.snmp.values import parse_oid
from netmon.commands import netmon_modules_path
from tests.collector.polling.conftest import COMMUNITY, StartDevices
from tests.peers.snmp_responder import Device as SimDevice
from tests.peers.snmp_responder import Records, if_table_snmprec, serve

AUTH = Auth("fleet", community=Secret(COMMUNITY))


def modules() -> SnmpConfig:
    return load_snmp_config([netmon_modules_path()])


def test_split_columns() -> None:
    config = modules()
    if_mib = split_columns(config.module("if_mib"))
    assert len(if_mib.walk) > 30
    assert all(w.startswith(("1.3.6.1.2.1.2.", "1.3.6.1.2.1.31.1.1.1.")) for w in if_mib.walk)
    assert "1.3.6.1.2.1.2.2.1.8" in if_mib.walk               # ifOperStatus
    assert "1.3.6.1.2.1.31.1.1.1.18" in if_mib.walk           # ifAlias, a lookup
    assert list(if_mib.walk) == sorted(if_mib.walk, key=parse_oid)
    hr_cpu = config.module("hr_cpu")                           # walks columns already
    assert split_columns(hr_cpu).walk == hr_cpu.walk


async def test_parallel_walks_read_what_sequential_walks_read(
        simulated: StartDevices) -> None:
    router = (await simulated(1))[0]
    roots = [parse_oid(w) for w in split_columns(modules().module("if_mib")).walk]
    stack = SnmpStack()
    try:
        session = await stack.session(Target("127.0.0.1", router.port), AUTH, WalkParams())
        sequential = await walk_roots(session, roots, 1)
        parallel = await walk_roots(session, roots, 4)
    finally:
        stack.close()
    assert len(sequential) > 900
    assert parallel == sequential


async def test_a_failing_walk_fails_the_scrape_as_a_sequential_one_does(
        ward_records: Records) -> None:
    device = SimDevice(ward_records.copy(), COMMUNITY.encode(), fault="malformed")
    transports = await serve([device])
    roots = [parse_oid(w) for w in split_columns(modules().module("if_mib")).walk]
    stack = SnmpStack()
    try:
        session = await stack.session(Target("127.0.0.1", device.port), AUTH,
                                      WalkParams(timeout=1.0, retries=0))
        with pytest.raises(SnmpProtocolError, match="malformed message"):
            await walk_roots(session, roots, 4)
    finally:
        stack.close()
        for transport in transports:
            transport.close()
    assert device.requests < 2 * 4        # of 40 columns: the others were cancelled


async def test_round_trips_overlap_on_a_large_table(ward_records: Records) -> None:
    """Devices 5 ms away: a 300-row ifTable (3,600 values) is walked four columns at a time
    from its second poll, in a fraction of the time one at a time takes; a 24-row one stays
    one at a time (small tables cost less CPU so, for the same values)."""
    big = SimDevice(Records.from_snmprec(if_table_snmprec(300)), COMMUNITY.encode(),
                    delay=0.005)
    small = SimDevice(ward_records.copy(), COMMUNITY.encode(), delay=0.005)
    transports = await serve([big, small])
    module = modules().module("if_mib")
    stack = SnmpStack()
    took = {}
    try:
        for parallel in (1, 4):
            scrape = CachedScrape("r", LookupCacheConfig(), parallel=parallel)
            session = await stack.session(Target("127.0.0.1", big.port), AUTH,
                                          module.walk_params)
            first = await scrape(session, module)       # sequential: its size is not known
            assert len(first.varbinds) > SPLIT_VALUES
            assert scrape.parallel_for(module) == parallel
            start = time.perf_counter()
            second = await scrape(session, module)
            took[parallel] = time.perf_counter() - start
            assert sorted(second.varbinds) == sorted(first.varbinds)
        scrape = CachedScrape("r", LookupCacheConfig(), parallel=4)
        session = await stack.session(Target("127.0.0.1", small.port), AUTH,
                                      module.walk_params)
        await scrape(session, module)
        assert scrape.parallel_for(module) == 1
    finally:
        stack.close()
        for transport in transports:
            transport.close()
    assert took[4] < 0.6 * took[1], took


async def test_a_large_module_is_split_from_its_second_poll(ward_records: Records) -> None:
    big = SimDevice(Records.from_snmprec(if_table_snmprec(300)), COMMUNITY.encode())
    small = SimDevice(ward_records.copy(), COMMUNITY.encode())
    transports = await serve([big, small])
    module = modules().module("if_mib")
    off = LookupCacheConfig(enabled=False)
    stack = SnmpStack()
    try:
        got = {}
        for device in (big, small):
            scrape = CachedScrape("r", off, parallel=4)
            session = await stack.session(Target("127.0.0.1", device.port), AUTH,
                                          module.walk_params)
            first = await scrape(session, module)
            second = await scrape(session, module)
            got[device.port] = (first, second, scrape.plans["if_mib"].live.walk)
    finally:
        stack.close()
        for transport in transports:
            transport.close()
    first, second, walks = got[big.port]
    assert len(first.varbinds) > SPLIT_VALUES and len(walks) > 30
    assert sorted(second.varbinds) == sorted(first.varbinds)   # every value is mapped
    first, second, walks = got[small.port]
    assert len(first.varbinds) < SPLIT_VALUES and walks == module.walk


def test_the_settings() -> None:
    settings = parse_config("snmp:\n  parallel_walks: 8\n  max_varbinds: 200000\n",
                            "collector.yml").snmp
    assert (settings.parallel_walks, settings.max_varbinds) == (8, 200_000)
    assert parse_config("", "collector.yml").snmp.parallel_walks == DEFAULT_PARALLEL_WALKS
    for text, message in (("snmp:\n  parallel_walks: 0\n", "parallel_walks must be between 1"),
                          ("snmp:\n  max_varbinds: many\n", "max_varbinds must be an integer")):
        with pytest.raises(ConfigError, match=message):
            parse_config(text, "collector.yml", Path("/nonexistent"))
