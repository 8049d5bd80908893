"""Traps from the devices the collector polls: a device's address is its trap source, with no
``traps.sources`` entry (issue 5 item 3). The mapping alone, then a real collector process
polling a simulated router on 127.0.0.2 and net-snmp's ``snmptrap`` sending from there."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import time
from pathlib import Path

import pytest

from collector.inventory import Device, Identity
from collector.inventory_write import dump_inventory
from collector.traps.config import Source
from collector.traps.sources import Sources, device_sources
from netmon.commands import netmon_modules_path
from tests.collector.helpers import small_inventory
from tests.collector.process import Running, start_collector
from tests.collector.traps.conftest import LINK_DOWN, NetSnmp, link_varbinds
from tests.peers.exposition import parse
from tests.peers.process import free_udp_port
from tests.peers.snmp import WARD_ROUTER
from tests.peers.snmp_responder import Device as SimDevice
from tests.peers.snmp_responder import Records, serve

pytestmark = pytest.mark.traps

COMMUNITY = "hn-wan-ro"
TRAP_COMMUNITY = "hanoi-traps"
#: a loopback address of its own, so that the router's host is no one else's
ROUTER_HOST = "127.0.0.2"


def device(name: str, address: str) -> Device:
    return Device(name, "00001", "ward-router", address, ("if_mib",), "fleet")


def test_devices_map_their_own_addresses() -> None:
    mapped, skipped = device_sources([
        device("r1", "10.1.2.1"), device("r2", "udp://10.1.2.2:1161"),
        device("r3", "[2001:db8::3]:161"), device("named", "router.example"),
        device("nat-a", "10.9.0.1:1161"), device("nat-b", "10.9.0.1:1162")])
    assert mapped == {"10.1.2.1": Source("r1"), "10.1.2.2": Source("r2"),
                      "2001:db8::3": Source("r3")}
    assert len(skipped) == 2
    assert "device=named address=router.example: not an IP address" in skipped[0]
    assert "devices=nat-a,nat-b share the address 10.9.0.1" in skipped[1]

    identities = {n: Identity(n, "00001", "Quận Ba Đình", "Phường Phúc Xá", "ward-router", "",
                              "ward") for n in ("r1", "agent-x")}
    sources = Sources((("10.1.2.1", Source("agent-x")),), max_unknown=4)
    # traps.sources wins over the inventory; a device's own address maps to it otherwise
    assert sources.resolve("10.1.2.1", None, identities, mapped).agent == "agent-x"
    assert Sources((), 4).resolve("::ffff:10.1.2.1", None, identities, mapped).agent == "r1"
    assert Sources((), 4).resolve("10.9.0.1", None, identities, mapped).agent == ""


def value(text: bytes, name: str, **labels: str) -> float | None:
    for (n, pairs), v in parse(text).values.items():
        if n == name and set(labels.items()) <= set(pairs):
            return v
    return None


async def get(running: Running, path: str) -> bytes:
    status, body = await asyncio.to_thread(running.get, path)
    assert status == 200, body[:300]
    return body


@pytest.mark.peers
async def test_a_linkdown_from_a_polled_router(tmp_path: Path, net_snmp: NetSnmp) -> None:
    router = SimDevice(Records.from_snmprec(WARD_ROUTER.read_text(encoding="utf-8")),
                       COMMUNITY.encode())
    transports = await serve([router], host=ROUTER_HOST)
    inventory = small_inventory()
    site = next(s for s in inventory.sites if s.kind == "ward")
    polled = Device("hn-trap-r1", site.id, "ward-router", f"{ROUTER_HOST}:{router.port}",
                    ("if_mib",), "fleet", interval=3.0)
    inventory_file = tmp_path / "inventory.yml"
    inventory_file.write_text(dump_inventory(dataclasses.replace(inventory,
                                                                 devices=(polled,))), "utf-8")
    auths = tmp_path / "auths.yml"
    auths.write_text(f"auths:\n  fleet:\n    community: {COMMUNITY}\n    version: 2\n"
                     "modules: {}\n", encoding="utf-8")
    auths.chmod(0o600)  # it holds a community (exporters/snmp/secret_fields.py)
    auths.chmod(0o600)  # it holds a community (exporters/snmp/secret_fields.py)
    trap_port = free_udp_port()
    extra = (f"snmp:\n  files: [{netmon_modules_path()}, {auths}]\n  jitter: 0\n"
             f"traps:\n  listen: 127.0.0.1:{trap_port}\n  communities: [{TRAP_COMMUNITY}]\n")
    scope = f"/scopes/wan/metrics?agent={polled.name}"
    try:
        with contextlib.ExitStack() as stack:
            running = await asyncio.to_thread(stack.enter_context,
                                              start_collector(tmp_path, inventory_file, extra))
            deadline = time.monotonic() + 15
            while (await asyncio.to_thread(running.get, scope))[0] != 200:  # 503: not yet
                assert time.monotonic() < deadline, running.process.output()[-2000:]
                await asyncio.sleep(0.2)
            assert value(await get(running, scope), "ifOperStatus", ifIndex="1") == 1.0

            # the link goes down: the router says so when polled, and sends a linkDown
            router.records.set((1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 1), 2, "2")
            code, out = await net_snmp.run(
                "snmptrap", "-v", "2c", "-c", TRAP_COMMUNITY, f"--clientaddr={ROUTER_HOST}",
                f"127.0.0.1:{trap_port}", "", LINK_DOWN, *link_varbinds(1, 2))
            assert code == 0, out
            sent = time.monotonic()
            while value(await get(running, scope), "ifOperStatus", ifIndex="1") != 2.0:
                assert time.monotonic() - sent < 1.0, "linkDown not in the store within 1 s"
                await asyncio.sleep(0.05)

            metrics = await get(running, "/metrics")
            assert value(metrics, "netmon_snmp_traps_total", trap="linkDown",
                         agent=polled.name, source=ROUTER_HOST, site=site.id,
                         ward=site.name) == 1.0
            assert value(metrics, "netmon_snmp_trap_if_oper_status_updates_total",
                         result="updated") == 1.0
            assert re.search(rf"trap received trap=linkDown .* source={ROUTER_HOST} "
                             rf"agent={polled.name} site={site.id} ifIndex=1 ifOperStatus=2",
                             running.process.output())
    finally:
        for transport in transports:
            transport.close()
