"""The receiver under garbage and from many senders: it never stops receiving, counts every
refusal by reason, and keeps its label sets bounded."""

from __future__ import annotations

import asyncio
import random
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.errors import ConfigError
from collector.traps import TrapsConfig
from collector.traps.config import Source, V3User
from collector.traps.engine_id import parse_engine_id
from exporters.secrets import Secret
from exporters.snmp import ber
from exporters.snmp.config import SecurityLevel
from tests.collector.helpers import AGENT
from tests.collector.traps.conftest import MakeTrapCollector, TrapCollector
from tests.collector.traps.test_decode import V1_LINK_DOWN, V2C_INFORM, V2C_TRAP
from tests.collector.traps.test_v2c import until
from tests.peers.process import free_udp_port

pytestmark = pytest.mark.traps

# net-snmp 5.9.3: `snmptrap -v 3 -e 0x8000000001020304 -u trapuser -l authPriv -a SHA
# -A authpass123 -x AES -X privpass123 ... 1.3.6.1.6.3.1.1.5.1`
V3_TRAP = bytes.fromhex(
    "3081a1020103301102040fdf320a020300ffe30401030201030436303404088000000001020304020101020312"
    "496f04087472617075736572040ca6a521087a319b538e6b9fc90408807ffdd36d57af6004519d11f1656523"
    "9bd2c3da6ca6901932e07df6c61c61a24dd702de2523698368ffe896370142b5d1de20ccc90d787eff01450e"
    "abd4c64692e63ef5c17a348606e566679650d1a98866f30c51c83bc7101ebb")


def config(**overrides: object) -> TrapsConfig:
    user = V3User("trapuser", SecurityLevel.AUTH_PRIV, "SHA", Secret("authpass123"), "AES",
                  Secret("privpass123"), (parse_engine_id("8000000001020304"),))
    base: dict[str, object] = {"enabled": True, "port": free_udp_port(),
                               "communities": (Secret("public"),), "users": (user,),
                               "sources": (("127.0.0.1", Source(AGENT)),)}
    return TrapsConfig(**{**base, **overrides})  # type: ignore[arg-type]


def send(tc: TrapCollector, *datagrams: bytes, source: str = "127.0.0.1") -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        for data in datagrams:
            s.sendto(data, ("127.0.0.1", tc.port))


async def rejected(tc: TrapCollector) -> dict[str, float]:
    return {dict(labels)["reason"]: value for (name, labels), value in
            (await tc.metrics()).items() if name == "netmon_snmp_traps_rejected_total"}


async def test_garbage_is_counted_and_the_receiver_goes_on(
        make_trap_collector: MakeTrapCollector) -> None:
    rng = random.Random(5)
    garbage = [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200)))
               for _ in range(50)]
    truncated = [V2C_TRAP[:-3], V1_LINK_DOWN[:20], V3_TRAP[:-10], b"", b"\x30"]
    v3_garbage = bytes.fromhex("3006020103040178")     # version 3, then nonsense
    tampered = bytearray(V3_TRAP)
    tampered[-5] ^= 0xFF                                # the encrypted PDU, changed
    get = ber.encode_request(ber.VERSION_2C, b"public", ber.GET_REQUEST, 7, [(1, 3, 6, 1)])
    async with make_trap_collector(config()) as tc:
        send(tc, *garbage, *truncated, get, v3_garbage, bytes(tampered), V3_TRAP)

        async def all_seen() -> bool:
            return (sum((await rejected(tc)).values())
                    + await tc.value("netmon_snmp_traps_total")) >= 59
        await until(all_seen)
        counts = await rejected(tc)
        assert counts["malformed"] >= 53 and counts["unsupported"] == 1
        assert counts["v3_dropped"] == 1 and counts["v3_authentication"] == 1
        assert counts["error"] == 0
        assert await tc.value("netmon_snmp_traps_total", trap="coldStart") == 1  # V3_TRAP
        send(tc, V2C_TRAP)                        # still receiving

        async def accepted() -> bool:
            return await tc.value("netmon_snmp_traps_total", trap="linkDown") == 1
        await until(accepted)


async def test_v3_message_without_users(make_trap_collector: MakeTrapCollector) -> None:
    async with make_trap_collector(config(users=())) as tc:
        send(tc, V3_TRAP)

        async def refused() -> bool:
            return (await rejected(tc))["v3_disabled"] == 1
        await until(refused)


async def test_mutated_datagrams_through_the_whole_receiver(
        make_trap_collector: MakeTrapCollector) -> None:
    """Property: any mutation of a valid v1, v2c or v3 datagram, handled by the receiver
    (BER decoding, community check, pysnmp's USM and decryption), is accepted or refused
    and counted, never an error."""
    async with make_trap_collector(config()) as tc:
        receiver = tc.traps.receiver
        assert receiver is not None
        handled = 0

        @settings(max_examples=300, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(st.sampled_from([V2C_TRAP, V2C_INFORM, V1_LINK_DOWN, V3_TRAP]), st.data())
        def mutate(valid: bytes, data: st.DataObject) -> None:
            nonlocal handled
            mutated = bytearray(valid)
            for _ in range(data.draw(st.integers(1, 3))):
                mutated[data.draw(st.integers(0, len(valid) - 1))] = data.draw(
                    st.integers(0, 255))
            receiver.process(bytes(mutated[:data.draw(st.integers(0, len(valid)))]),
                             ("127.0.0.1", 9))
            handled += 1

        mutate()
        counts = await rejected(tc)
        accepted = await tc.value("netmon_snmp_traps_total")
        assert counts["error"] == 0
        assert sum(counts.values()) + accepted >= handled
        await asyncio.sleep(0)


async def test_unknown_senders_are_bounded(make_trap_collector: MakeTrapCollector) -> None:
    async with make_trap_collector(config(max_unknown_sources=2)) as tc:
        for host in range(2, 7):
            send(tc, V2C_TRAP, source=f"127.0.0.{host}")
        send(tc, V2C_TRAP)                                  # the known sender

        async def all_in() -> bool:
            return await tc.value("netmon_snmp_traps_total") == 6
        await until(all_in)
        series = {dict(labels)["source"]: (value, dict(labels)["agent"])
                  for (name, labels), value in (await tc.metrics()).items()
                  if name == "netmon_snmp_traps_total"}
        assert series == {"127.0.0.2": (1, ""), "127.0.0.3": (1, ""), "other": (3, ""),
                          "127.0.0.1": (1, AGENT)}
        assert await tc.value("netmon_snmp_trap_if_oper_status_updates_total",
                              result="unknown_source") == 5


async def test_overload_is_counted(make_trap_collector: MakeTrapCollector) -> None:
    async with make_trap_collector(config(queue=1)) as tc:
        receiver = tc.traps.receiver
        assert receiver is not None
        for _ in range(5):                        # as a burst arriving in one loop step
            receiver.enqueue(V2C_TRAP, ("127.0.0.1", 9))

        async def counted() -> bool:
            return await tc.value("netmon_snmp_traps_total") == 1
        await until(counted)
        assert (await rejected(tc))["overload"] == 4


async def test_port_in_use_is_a_config_error(make_trap_collector: MakeTrapCollector) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"traps.listen 127.0.0.1:{port}: cannot receive"):
            async with make_trap_collector(config(port=port)):
                pass
