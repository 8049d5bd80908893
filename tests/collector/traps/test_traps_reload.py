"""``traps:`` follows a reload (SIGHUP) of a real collector process: a new community is taken
and the old one refused, without a restart (issue 5 item 4)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

from collector.inventory_write import dump_inventory
from tests.collector.helpers import small_inventory
from tests.collector.process import Running, start_collector
from tests.collector.traps.conftest import LINK_DOWN, NetSnmp, link_varbinds
from tests.peers.exposition import parse
from tests.peers.process import free_udp_port

pytestmark = [pytest.mark.traps, pytest.mark.peers]


async def counted(running: Running, name: str, **labels: str) -> float:
    status, body = await asyncio.to_thread(running.get, "/metrics")
    assert status == 200
    return sum(v for (n, pairs), v in parse(body).values.items()
               if n == name and set(labels.items()) <= set(pairs))


async def test_a_reload_changes_the_communities(tmp_path: Path, net_snmp: NetSnmp) -> None:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(dump_inventory(small_inventory()), encoding="utf-8")
    port = free_udp_port()
    extra = f"traps:\n  listen: 127.0.0.1:{port}\n  communities: [before]\n"

    async def send(community: str) -> None:
        code, out = await net_snmp.run("snmptrap", "-v", "2c", "-c", community,
                                       f"127.0.0.1:{port}", "", LINK_DOWN,
                                       *link_varbinds(3, 2))
        assert code == 0, out

    async def until(what: str, check: float, name: str, **labels: str) -> None:
        deadline = time.monotonic() + 5
        while await counted(running, name, **labels) != check:
            assert time.monotonic() < deadline, f"{what}: {name}{labels} != {check}"
            await asyncio.sleep(0.05)

    with contextlib.ExitStack() as stack:
        running = await asyncio.to_thread(stack.enter_context,
                                          start_collector(tmp_path, inventory, extra))
        await send("before")
        await until("first trap", 1, "netmon_snmp_traps_total", trap="linkDown")

        config = tmp_path / "collector.yml"
        config.write_text(config.read_text().replace("[before]", "[after]"), "utf-8")
        os.kill(running.process.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "trap receiver reloaded" not in running.process.output():
            assert time.monotonic() < deadline, running.process.output()[-2000:]
            await asyncio.sleep(0.1)

        await send("before")
        await until("old community", 1, "netmon_snmp_traps_rejected_total", reason="community")
        await send("after")
        await until("new community", 2, "netmon_snmp_traps_total", trap="linkDown")
