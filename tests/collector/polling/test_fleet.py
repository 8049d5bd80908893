"""A fleet of simulated routers (snmpsim) polled by a whole collector, one of them slow (a
delaying relay in front of snmpsim) and one dead (nothing listening): the devices appear on
the scope endpoints, in ``/sd`` and on ``/metrics`` exactly as agent-polled routers do, and the
dead one delays no one."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from agent.report import exporter_batch
from collector.config import CollectorConfig
from collector.polling.config import SnmpSettings
from collector.polling.poller import Poller
from collector.state import POLLER
from exporters.harness import run_exporter
from exporters.snmp.client import SnmpStack
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.exporter import SnmpExporter, SnmpTargetConfig
from exporters.target_labels import TargetLabels
from netmon import wire
from tests.collector.helpers import AGENT, headers
from tests.collector.polling.conftest import (
    AUTH,
    DelayProxy,
    collector_app,
    dead_address,
    device,
    with_devices,
    write_inventory,
)
from tests.peers.exposition import parse
from tests.peers.process import PeerProcess, free_udp_port
from tests.peers.snmp import DEMO_DATA, SNMPSIM, SnmpAgent, _answers

pytestmark = pytest.mark.peers

StartProxy = Callable[[str, int, float], Awaitable[DelayProxy]]


@pytest.fixture
def sim_files(tmp_path: Path, snmp_files: tuple[Path, ...],
              ward_router: SnmpAgent) -> tuple[Path, ...]:
    """netmon's modules and the auth of the snmpsim router (community ward-router)."""
    path = tmp_path / "sim-auth.yml"
    path.write_text(f"auths:\n  {AUTH}:\n    community: {ward_router.community}\n"
                    "    version: 2\nmodules: {}\n", encoding="utf-8")
    path.chmod(0o600)  # it holds a community (exporters/snmp/secret_fields.py)
    return snmp_files[0], path


async def agent_report(router: SnmpAgent, files: tuple[Path, ...]) -> bytes:
    """A report made as the agent makes it, of the same router with the same modules."""
    stack = SnmpStack()
    try:
        exporter = TargetLabels(SnmpExporter(
            SnmpTargetConfig(router.target, ("system", "if_mib"), AUTH, name="snmp:router"),
            load_snmp_config(list(files)), stack), {"instance": router.target})
        run = await run_exporter(exporter)
    finally:
        stack.close()
    now = time.time()
    return wire.encode_report(wire.Report(1, now, (exporter_batch(run, now, 60.0),)))


async def test_a_fleet_with_a_slow_and_a_dead_router(
        tmp_path: Path, ward_router: SnmpAgent, sim_files: tuple[Path, ...],
        delay_proxy: StartProxy) -> None:
    slow = await delay_proxy(ward_router.host, ward_router.port, 0.25)
    # the wards of the inventory's sites 2-4 are polled (their agent ids are devices now)
    devices = (
        device("hn-hoankiem-phuctan-r1", "00037", ward_router.target),
        device("hn-tayho-phuthuong-r1", "00091", ward_router.target, ("system",)),
        device("hn-slow-r1", "00115", f"127.0.0.1:{slow.port}", ("system",)),
        device("hn-dead-r1", "00157", dead_address(), ("system",), timeout=3.0),
        dataclasses.replace(device("hn-dc-primary-sw1", "dc-primary", ward_router.target,
                                   ("system",)), role="dc-switch"),
        dataclasses.replace(device("hn-dc-backup-sw1", "dc-backup", ward_router.target,
                                   ("system",)), role="dc-switch", pollers=("backup",)),
    )
    inventory = with_devices(devices)
    inventory = dataclasses.replace(inventory, agents=tuple(
        a for a in inventory.agents if a.id not in {d.name for d in devices}))
    config = CollectorConfig(inventory=write_inventory(tmp_path / "inv.yml", inventory),
                             snmp=SnmpSettings(files=sim_files))
    async with collector_app(config) as client:
        poller = client.app[POLLER]   # type: ignore[index]
        # the backup DC's switch is the backup collector's, not this one's
        assert set(poller.targets) == {d.name for d in devices[:5]}
        # the agent's router reports as an agent does, while the collector sweeps its own
        report, summaries = await asyncio.gather(agent_report(ward_router, sim_files),
                                                 poller.sweep())
        response = await client.post(wire.PUSH_PATH, data=report, headers=headers(AGENT))
        assert response.status == 200, await response.text()
        by_name = dict(zip(poller.targets, summaries, strict=True))

        dead = by_name["hn-dead-r1"]
        assert not dead.success and dead.duration >= 2.4        # cut at 3 s - 0.5 s
        for name in ("hn-tayho-phuthuong-r1", "hn-dc-primary-sw1"):
            assert by_name[name].success
            assert by_name[name].duration < dead.duration / 2, name
        assert by_name["hn-slow-r1"].success and by_name["hn-slow-r1"].duration >= 0.5
        assert by_name["hn-hoankiem-phuctan-r1"].success

        # the polled router's series carry the same label names as the agent's router's
        wan = parse(await (await client.get("/scopes/wan/metrics")).text())
        octets = wan.series("ifHCInOctets")
        ours = [dict(k) for k in octets if dict(k)["agent"] == "hn-hoankiem-phuctan-r1"]
        theirs = [dict(k) for k in octets if dict(k)["agent"] == AGENT]
        assert len(ours) == len(theirs) == 24
        assert {frozenset(s) for s in ours} == {frozenset(s) for s in theirs}
        assert ours[0]["ward"] == "Phường Phúc Tân" and ours[0]["district"] == "Quận Hoàn Kiếm"
        assert ours[0]["site"] == "00037" and ours[0]["role"] == "ward-router"
        assert ours[0]["instance"] == ward_router.target
        ifs = {k: v for k, v in octets.items() if dict(k)["agent"] == AGENT}
        same = {k: v for k, v in octets.items() if dict(k)["agent"] == "hn-hoankiem-phuctan-r1"}
        assert sorted(ifs.values()) == sorted(same.values())     # static data: same values

        # one device, on its own, as one Prometheus target; the dead one answers 200 with
        # its failure (the collector is the "agent" that keeps reporting)
        one = await client.get("/scopes/wan/metrics?agent=hn-tayho-phuthuong-r1")
        assert one.status == 200 and 'sysName{' in await one.text()
        dead_text = await (await client.get("/scopes/wan/metrics?agent=hn-dead-r1")).text()
        assert 'netmon_exporter_success{exporter="snmp:hn-dead-r1"' in dead_text
        assert "sysName" not in dead_text
        switch = await client.get("/scopes/dc-primary/metrics?agent=hn-dc-primary-sw1")
        assert 'role="dc-switch"' in await switch.text()

        sd = await (await client.get("/sd")).json()
        targets = {g["labels"]["agent"]: g["labels"] for g in sd}
        assert targets["hn-dc-primary-sw1"]["__metrics_path__"] == "/scopes/dc-primary/metrics"
        assert targets["hn-tayho-phuthuong-r1"]["ward"] == "Phường Phú Thượng"
        assert set(targets[AGENT]) == set(targets["hn-tayho-phuthuong-r1"])

        metrics = parse(await (await client.get("/metrics")).text())
        up = {dict(k)["target"]: v for k, v in metrics.series("netmon_target_up").items()}
        assert up == {"hn-hoankiem-phuctan-r1": 1.0, "hn-tayho-phuthuong-r1": 1.0,
                      "hn-slow-r1": 1.0, "hn-dead-r1": 0.0, "hn-dc-primary-sw1": 1.0}
        agent_up = {dict(k)["agent"]: v for k, v in metrics.series("netmon_agent_up").items()}
        assert agent_up["hn-tayho-phuthuong-r1"] == agent_up[AGENT] == 1.0
        # the sweep's first poll read the change markers too; the metric shows the last poll
        # (the app's own schedule may have polled again since, from the lookup cache)
        assert by_name["hn-hoankiem-phuctan-r1"].pdus == 32 + 962
        pdus = {dict(k)["target"]: v
                for k, v in metrics.series("netmon_target_pdus_returned").items()}
        assert pdus["hn-hoankiem-phuctan-r1"] in (32 + 962, 32 + 866)
        errors = {dict(k)["kind"] for k in metrics.series("netmon_target_errors_total")
                  if dict(k)["target"] == "hn-dead-r1"}
        assert errors & {"deadline", "timeout"}


def snmpsim_on(port: int, tmp: Path) -> PeerProcess:
    """snmpsim serving netmon's demo data on a chosen port (to restart it on the same one)."""
    exe = shutil.which(SNMPSIM)
    assert exe is not None
    return PeerProcess([exe, f"--data-dir={DEMO_DATA}", f"--cache-dir={tmp}/cache",
                        f"--agent-udpv4-endpoint=127.0.0.1:{port}", "--log-level=error"],
                       "snmpsim", env=dict(os.environ, SNMPSIM_ALLOW_ROOT="true"))


async def test_a_rebooted_router_refreshes_the_lookup_cache(
        tmp_path: Path, make_poller: Callable[..., Awaitable[Poller]]) -> None:
    """``ward-router-live``: its sysUpTime runs from when snmpsim started, so restarting
    snmpsim is a reboot. The second poll reads fewer values; the one after the reboot reads
    the kept columns again."""
    port = free_udp_port()
    peer = snmpsim_on(port, tmp_path)
    try:
        peer.wait_ready(_answers(port, "ward-router-live"), 30)
        poller = await make_poller((dataclasses.replace(
            device("r0", "00001", f"127.0.0.1:{port}", ("system", "if_mib")),
            auth="live"),), )
        first = (await poller.sweep())[0]
        await asyncio.sleep(1.5)   # so that the uptime after the restart is lower
        second = (await poller.sweep())[0]
        assert first.success and second.success
        assert (first.pdus, second.pdus) == (32 + 962, 32 + 866)
        assert second.packets <= first.packets
        peer.stop()
        peer = snmpsim_on(port, tmp_path)
        peer.wait_ready(_answers(port, "ward-router-live"), 30)
        third = (await poller.sweep())[0]
        assert third.success and third.pdus == 32 + 962
        assert poller.targets["r0"].scrape.refreshes == {"first": 1, "restarted": 1}
    finally:
        peer.stop()
