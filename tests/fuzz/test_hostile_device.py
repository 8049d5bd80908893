"""Hostile devices polled for real, beside a good one, on one shared SNMP socket.

Each hostile device (:mod:`tests.fuzz.hostile_device`) answers garbage of one kind; the poll
of it (:func:`exporters.snmp.scrape.scrape_module`, what the collector's poller and the
agent's SNMP exporter both run, with netmon's ``if_mib`` module over the shared
:class:`exporters.snmp.client.SnmpStack`) must fail with the precise error the kind deserves,
within the module's timeout, without growing memory, while a good device (the light
responder serving the demo's ward router) polled at the same moment gets every value it gets
when polled alone.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import time
import tracemalloc
from collections.abc import AsyncIterator

import pytest

from exporters.errors import SnmpError, SnmpLimitExceeded, SnmpProtocolError, SnmpTimeout
from exporters.secrets import Secret
from exporters.snmp.client import Limits, SnmpStack, Target
from exporters.snmp.config import Auth, Module
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.scrape import ScrapeResult, scrape_module
from netmon.commands import netmon_modules_path
from tests.fuzz import hostile_device
from tests.fuzz.hostile_device import HostileDevice
from tests.peers.snmp import WARD_ROUTER
from tests.peers.snmp_responder import Device, Records

pytestmark = pytest.mark.security

COMMUNITY = "public"
AUTH = Auth("public_v2", 2, Secret(COMMUNITY))
LIMITS = Limits(max_varbinds=5_000, max_requests_per_walk=500)
#: Every mode, the error it must raise and a piece of its message.
EXPECTED: dict[str, tuple[type[SnmpError], str]] = {
    "truncated": (SnmpProtocolError, "not an SNMP message"),
    "huge_length": (SnmpProtocolError, "runs past the end"),
    "wrong_request_id": (SnmpTimeout, "no answer from"),
    "wrong_pdu": (SnmpProtocolError, "expected a Response PDU"),
    "wrong_value_type": (SnmpProtocolError, "unknown value type 0x4a"),
    "huge_arc": (SnmpProtocolError, "sub-identifier past 64 bits"),
    "same_oid": (SnmpProtocolError, "OID not increasing"),
    "decreasing": (SnmpProtocolError, "OID not increasing"),
    "endless": (SnmpLimitExceeded, "more than 5000 varbinds"),
}


def if_mib() -> Module:
    module = load_snmp_config([netmon_modules_path()]).modules["if_mib"]
    params = dataclasses.replace(module.walk_params, timeout=0.5, retries=0)
    return dataclasses.replace(module, walk_params=params)


@pytest.fixture
async def stack() -> AsyncIterator[SnmpStack]:
    stack = SnmpStack()
    try:
        yield stack
    finally:
        stack.close()


async def poll(stack: SnmpStack, port: int, module: Module) -> ScrapeResult:
    session = await stack.session(Target("127.0.0.1", port), AUTH, module.walk_params, LIMITS)
    return await scrape_module(session, module)


def test_every_mode_has_an_expectation() -> None:
    assert set(EXPECTED) == set(hostile_device.MODES)


async def test_hostile_devices_fail_precisely_and_a_good_one_beside_them_is_unaffected(
        stack: SnmpStack) -> None:
    module = if_mib()
    good = Device(Records.from_snmprec(WARD_ROUTER.read_text(encoding="utf-8")),
                  COMMUNITY.encode())
    hostile = {mode: HostileDevice(mode) for mode in EXPECTED}
    loop = asyncio.get_running_loop()
    transports = [(await loop.create_datagram_endpoint(lambda: good,
                                                       local_addr=("127.0.0.1", 0)))[0]]
    transports += [await hostile_device.serve(device) for device in hostile.values()]
    try:
        alone = await poll(stack, good.port, module)
        assert len(alone.varbinds) > 100

        async def timed(port: int) -> tuple[ScrapeResult | BaseException, float]:
            start = time.monotonic()
            try:
                return await poll(stack, port, module), time.monotonic() - start
            except SnmpError as exc:
                return exc, time.monotonic() - start

        tracemalloc.start()
        try:
            async with asyncio.timeout(20):   # a hang fails here, not at pytest's timeout
                results = await asyncio.gather(
                    timed(good.port), *(timed(d.port) for d in hostile.values()))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

        (beside, beside_seconds), *bad = results
        assert isinstance(beside, ScrapeResult)
        assert beside.varbinds == alone.varbinds
        assert beside_seconds < 2.0
        for (mode, (kind, words)), (outcome, seconds) in zip(EXPECTED.items(), bad,
                                                             strict=True):
            assert type(outcome) is kind, (mode, outcome)
            assert words in str(outcome), (mode, str(outcome))
            assert seconds < 3.0, (mode, seconds)
            assert hostile[mode].requests >= 1, mode
        assert peak < 40 * 2**20, f"peak traced memory {peak / 2**20:.1f} MiB"
        assert stack.transport._pending == {}   # no request left waiting
    finally:
        for transport in transports:
            transport.close()


async def test_polling_hostile_devices_again_and_again_does_not_grow_memory(
        stack: SnmpStack) -> None:
    module = if_mib()
    modes = ("truncated", "huge_arc", "same_oid", "endless")
    devices = [HostileDevice(mode) for mode in modes]
    transports = [await hostile_device.serve(device) for device in devices]

    async def round_() -> None:
        for device in devices:
            with pytest.raises(SnmpError):
                await poll(stack, device.port, module)

    try:
        await round_()   # warm: caches, the shared socket
        gc.collect()
        tracemalloc.start()
        try:
            await round_()
            gc.collect()
            first, _ = tracemalloc.get_traced_memory()
            for _ in range(4):
                await round_()
            gc.collect()
            last, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert last - first < 512 * 1024, f"grew {(last - first) / 1024:.0f} KiB in 4 rounds"
        assert stack.transport._pending == {}
    finally:
        for transport in transports:
            transport.close()
