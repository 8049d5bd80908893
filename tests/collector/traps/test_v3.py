"""SNMPv3 (USM, authPriv with SHA and AES) informs and traps from net-snmp, through pysnmp's
notification receiver on the collector's trap socket."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from collector.traps import TrapsConfig
from collector.traps.config import Source, V3User
from collector.traps.engine_id import parse_engine_id
from exporters.secrets import Secret
from exporters.snmp.config import SecurityLevel
from tests.collector.helpers import AGENT, Pusher
from tests.collector.traps.conftest import (
    LINK_DOWN,
    MakeTrapCollector,
    NetSnmp,
    link_varbinds,
)
from tests.collector.traps.test_v2c import oper_status, until
from tests.peers.process import free_udp_port

pytestmark = [pytest.mark.traps, pytest.mark.peers]

ROUTER_ENGINE = "0x80000009030001020304"   # the sending router's own engine ID (v3 traps)
COLLECTOR_ENGINE = "80004fb8046e65746d6f6e4074657374"
AUTH = ["-u", "netmon", "-l", "authPriv", "-a", "SHA", "-A", "auth-pass-hanoi", "-x", "AES",
        "-X", "priv-pass-hanoi"]


def config() -> TrapsConfig:
    user = V3User("netmon", SecurityLevel.AUTH_PRIV, "SHA", Secret("auth-pass-hanoi"), "AES",
                  Secret("priv-pass-hanoi"), (parse_engine_id(ROUTER_ENGINE),))
    return TrapsConfig(enabled=True, port=free_udp_port(), users=(user,),
                       engine_id=parse_engine_id(COLLECTOR_ENGINE),
                       sources=(("127.0.0.1", Source(AGENT)),))


async def test_v3_inform_and_trap(make_trap_collector: MakeTrapCollector,
                                  net_snmp: NetSnmp) -> None:
    async with make_trap_collector(config()) as tc:
        await tc.collector.push(Pusher().body())
        # An inform: net-snmp discovers the collector's engine ID, then sends authPriv.
        rc, out = await net_snmp.run("snmpinform", "-v", "3", *AUTH, "-t", "1", "-r", "1",
                                     tc.target, "", "1.3.6.1.6.3.1.1.5.1")
        assert rc == 0, out
        assert await tc.value("netmon_snmp_traps_total", trap="coldStart", agent=AGENT) == 1
        assert await tc.value("netmon_snmp_trap_v3_discovery_total", step="engine_id") >= 1
        assert await tc.value("netmon_snmp_trap_engine_info",
                              engine_id=COLLECTOR_ENGINE) == 1
        # Told the engine ID (as a Cisco router is): no discovery needed.
        rc, out = await net_snmp.run("snmpinform", "-v", "3", "-e", COLLECTOR_ENGINE, *AUTH,
                                     "-t", "1", "-r", "1", tc.target, "",
                                     "1.3.6.1.6.3.1.1.5.2")
        assert rc == 0, out
        # A trap: the router is the authoritative engine, with its own engine ID.
        rc, out = await net_snmp.run("snmptrap", "-v", "3", "-e", ROUTER_ENGINE, *AUTH,
                                     tc.target, "", LINK_DOWN, *link_varbinds(2, oper=2))
        assert rc == 0, out

        async def down() -> bool:
            return await oper_status(tc, "2") == 2
        await until(down)
        assert await tc.value("netmon_snmp_traps_total", agent=AGENT) == 3
        assert await tc.value("netmon_snmp_traps_rejected_total") == 0


async def test_v3_refusals(make_trap_collector: MakeTrapCollector, net_snmp: NetSnmp) -> None:
    async with make_trap_collector(config()) as tc:
        wrong = [a if a != "priv-pass-hanoi" else "wrong-pass-x" for a in AUTH]
        wrong = [a if a != "auth-pass-hanoi" else "wrong-pass-y" for a in wrong]
        await net_snmp.run("snmptrap", "-v", "3", "-e", ROUTER_ENGINE, *wrong, tc.target, "",
                           LINK_DOWN)
        # Known user, no authentication: pysnmp's USM would take it; netmon refuses it.
        await net_snmp.run("snmptrap", "-v", "3", "-e", ROUTER_ENGINE, "-u", "netmon", "-l",
                           "noAuthNoPriv", tc.target, "", LINK_DOWN)
        await net_snmp.run("snmptrap", "-v", "3", "-e", ROUTER_ENGINE, "-u", "intruder",
                           "-l", "noAuthNoPriv", tc.target, "", LINK_DOWN)
        # A sender engine ID the user was not configured for: its keys cannot match.
        await net_snmp.run("snmptrap", "-v", "3", "-e", "0x800000090300ffffffff", *AUTH,
                           tc.target, "", LINK_DOWN)

        async def refused() -> bool:
            return await tc.value("netmon_snmp_traps_rejected_total") >= 4
        await until(refused)
        metrics = await tc.metrics()
        counts = {dict(labels)["reason"]: value for (name, labels), value in metrics.items()
                  if name == "netmon_snmp_traps_rejected_total" and value}
        assert counts == {"v3_authentication": 1, "v3_security_level": 1,
                          "v3_unknown_user": 2}, counts
        assert await tc.value("netmon_snmp_traps_total") == 0


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


async def test_ipv6_informs(make_trap_collector: MakeTrapCollector, net_snmp: NetSnmp) -> None:
    """Listening on [::1]: a v2c and a v3 inform are answered from the trap port."""
    if not _has_ipv6_loopback():
        pytest.fail("this test needs an IPv6 loopback (::1), as CI machines have: enable "
                    "IPv6 on lo (sysctl net.ipv6.conf.lo.disable_ipv6=0)")
    base = config()
    v6 = dataclasses.replace(base, host="::1", communities=(Secret("public"),),
                             sources=(("::1", Source(AGENT)),))
    async with make_trap_collector(v6) as tc:
        target = f"udp6:[::1]:{tc.port}"
        rc, out = await net_snmp.run("snmpinform", "-v", "2c", "-c", "public", "-t", "1",
                                     "-r", "0", target, "", "1.3.6.1.6.3.1.1.5.1")
        assert rc == 0, out
        rc, out = await net_snmp.run("snmpinform", "-v", "3", *AUTH, "-t", "1", "-r", "1",
                                     target, "", "1.3.6.1.6.3.1.1.5.2")
        assert rc == 0, out
        assert await tc.value("netmon_snmp_traps_total", agent=AGENT, source="::1") == 2
