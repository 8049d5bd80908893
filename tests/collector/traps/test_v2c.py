"""SNMPv1/v2c traps and informs from net-snmp's ``snmptrap`` and ``snmpinform``, received by
a running collector: counted with the sender's identity, informs acknowledged, wrong
communities refused and counted."""

from __future__ import annotations

import asyncio

import pytest

from collector.traps import TrapsConfig
from collector.traps.config import Source
from exporters.secrets import Secret
from tests.collector.helpers import AGENT, Pusher
from tests.collector.traps.conftest import (
    LINK_DOWN,
    LINK_UP,
    MakeTrapCollector,
    NetSnmp,
    TrapCollector,
    link_varbinds,
)
from tests.peers.process import free_udp_port

pytestmark = [pytest.mark.traps, pytest.mark.peers]


def config(**overrides: object) -> TrapsConfig:
    base: dict[str, object] = {
        "enabled": True, "port": free_udp_port(),
        "communities": (Secret("hanoi-traps"), Secret("second")),
        "sources": (("127.0.0.1", Source(AGENT)),)}
    return TrapsConfig(**{**base, **overrides})  # type: ignore[arg-type]


async def until(check: object, timeout: float = 2.0) -> None:
    """Wait for ``await check()`` to be true (polling every 20 ms)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def oper_status(tc: TrapCollector, if_index: str) -> float | None:
    scope = await tc.collector.scope()
    for (name, labels), value in scope.values.items():
        if name == "ifOperStatus" and dict(labels).get("ifIndex") == if_index:
            return value
    return None


async def test_link_down_reaches_the_store_within_a_second(
        make_trap_collector: MakeTrapCollector, net_snmp: NetSnmp) -> None:
    async with make_trap_collector(config()) as tc:
        assert (await tc.collector.push(Pusher().body())).status == 200
        assert await oper_status(tc, "2") == 1
        started = asyncio.get_running_loop().time()
        rc, out = await net_snmp.run("snmptrap", "-v", "2c", "-c", "hanoi-traps", tc.target,
                                     "", LINK_DOWN, *link_varbinds(2, oper=2))
        assert rc == 0, out

        async def down() -> bool:
            return await oper_status(tc, "2") == 2
        await until(down, timeout=1.0)
        assert asyncio.get_running_loop().time() - started < 1.0
        assert await oper_status(tc, "1") == 1          # the other interface is untouched
        rc, out = await net_snmp.run("snmptrap", "-v", "2c", "-c", "second", tc.target, "",
                                     LINK_UP, *link_varbinds(2, oper=1))
        assert rc == 0, out

        async def up() -> bool:
            return await oper_status(tc, "2") == 1
        await until(up, timeout=1.0)
        assert await tc.value("netmon_snmp_traps_total", trap="linkDown", agent=AGENT,
                              site="00001", source="127.0.0.1") == 1
        assert await tc.value("netmon_snmp_trap_if_oper_status_updates_total",
                              result="updated") == 2


async def test_inform_is_acknowledged(make_trap_collector: MakeTrapCollector,
                                      net_snmp: NetSnmp) -> None:
    async with make_trap_collector(config()) as tc:
        rc, out = await net_snmp.run("snmpinform", "-v", "2c", "-c", "hanoi-traps", "-t", "1",
                                     "-r", "0", tc.target, "", "1.3.6.1.6.3.1.1.5.1")
        assert rc == 0, out                              # snmpinform got its Response
        assert await tc.value("netmon_snmp_traps_total", trap="coldStart", agent=AGENT) == 1


async def test_wrong_community_is_refused_counted_and_not_stored(
        make_trap_collector: MakeTrapCollector, net_snmp: NetSnmp,
        caplog: pytest.LogCaptureFixture) -> None:
    async with make_trap_collector(config()) as tc:
        await tc.collector.push(Pusher().body())
        rc, _ = await net_snmp.run("snmptrap", "-v", "2c", "-c", "guessed-secret", tc.target,
                                   "", LINK_DOWN, *link_varbinds(2, oper=2))
        assert rc == 0
        rc, _ = await net_snmp.run("snmpinform", "-v", "2c", "-c", "guessed-secret", "-t",
                                   "0.3", "-r", "0", tc.target, "", LINK_DOWN)
        assert rc != 0                                   # no answer to a wrong community

        async def refused() -> bool:
            return await tc.value("netmon_snmp_traps_rejected_total",
                                  reason="community") == 2
        await until(refused)
        assert await tc.value("netmon_snmp_traps_total") == 0
        assert await oper_status(tc, "2") == 1
    assert "trap refused (community) source=127.0.0.1" in caplog.text
    assert "guessed-secret" not in caplog.text


async def test_v1_trap_is_converted(make_trap_collector: MakeTrapCollector,
                                    net_snmp: NetSnmp) -> None:
    """An SNMPv1 linkDown (generic trap 2) whose agent-addr names the router: RFC 3584
    makes it linkDown, and the agent-addr picks the agent even though the datagram came
    from another address."""
    sources = (("10.1.2.1", Source(AGENT)),)
    async with make_trap_collector(config(sources=sources)) as tc:
        await tc.collector.push(Pusher().body())
        rc, out = await net_snmp.run("snmptrap", "-v", "1", "-c", "hanoi-traps", tc.target,
                                     "1.3.6.1.4.1.9.1.1", "10.1.2.1", "2", "0", "",
                                     *link_varbinds(2, oper=2))
        assert rc == 0, out

        async def down() -> bool:
            return await oper_status(tc, "2") == 2
        await until(down)
        assert await tc.value("netmon_snmp_traps_total", trap="linkDown", agent=AGENT,
                              source="10.1.2.1") == 1
