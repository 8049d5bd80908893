"""Traps as alerts: the payloads (pure), then delivery to a real Alertmanager (Debian's
``prometheus-alertmanager``, on loopback): a linkDown becomes an active alert with the site's
labels, the linkUp after it resolves it; refusals and an unreachable Alertmanager are
counted, never retried forever."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from collector.clock import SystemClock
from collector.traps import TrapsConfig
from collector.traps.alertmanager import AlertSender
from collector.traps.alerts import alertname, trap_alerts
from collector.traps.config import AlertmanagerConfig, Source
from collector.traps.links import LinkEvent
from collector.traps.metrics import TrapMetrics
from collector.traps.names import LINK_DOWN, LINK_UP
from collector.traps.sources import Origin
from exporters.secrets import Secret
from tests.collector.helpers import AGENT, Pusher
from tests.collector.traps.conftest import (
    MakeTrapCollector,
    NetSnmp,
    link_varbinds,
)
from tests.collector.traps.test_effects import notification
from tests.collector.traps.test_v2c import until
from tests.mixin.alertmanager_peer import Alertmanager, alertmanager
from tests.peers.process import free_tcp_port, free_udp_port

pytestmark = pytest.mark.traps

AM_CONFIG = """
route: {receiver: "null", group_wait: 1h}
receivers: [{name: "null"}]
"""
SEVERITIES = {"linkDown": "critical", "coldStart": "warning"}
ORIGIN = Origin("10.1.2.1", AGENT, {"agent": AGENT, "site": "00001", "ward": "Phường Phúc Xá",
                                    "district": "Quận Ba Đình", "role": "ward-router",
                                    "dc": ""}, site_name="Phường Phúc Xá")


@pytest.fixture
def clock() -> SystemClock:
    """Alertmanager judges startsAt/endsAt by the real clock."""
    return SystemClock()


@pytest.fixture(scope="module")
def am() -> Iterator[Alertmanager]:
    with alertmanager(AM_CONFIG) as peer:
        yield peer


def test_payloads() -> None:
    assert alertname("linkDown") == "SnmpTrapLinkDown"
    assert alertname("1.3.6.1.4.1.9.0.1") == "SnmpTrap"
    down = trap_alerts("linkDown", notification(LINK_DOWN), ORIGIN, LinkEvent(False, 2, 2),
                       SEVERITIES, 1_800_000_000.0, 300)
    assert down == [{
        "labels": {"alertname": "SnmpTrapLinkDown", "severity": "critical",
                   "trap": "linkDown", "source": "10.1.2.1", "agent": AGENT, "site": "00001",
                   "ward": "Phường Phúc Xá", "district": "Quận Ba Đình",
                   "role": "ward-router", "ifIndex": "2"},
        "annotations": {"summary": "SNMP linkDown from Phường Phúc Xá, ifIndex 2",
                        "description": "1.3.6.1.2.1.1.3.0=1; "
                                       "1.3.6.1.6.3.1.1.4.1.0=1.3.6.1.6.3.1.1.5.3"},
        "startsAt": "2027-01-15T08:00:00.000+00:00",
        "endsAt": "2027-01-15T08:05:00.000+00:00"}]
    up = trap_alerts("linkUp", notification(LINK_UP), ORIGIN, LinkEvent(True, 2, 1),
                     SEVERITIES, 1_800_000_000.0, 300)
    assert len(up) == 1 and up[0]["labels"] == down[0]["labels"]   # linkUp is not forwarded
    assert up[0]["endsAt"] == up[0]["startsAt"]                     # but resolves linkDown
    assert trap_alerts("warmStart", notification(LINK_UP), ORIGIN, None, SEVERITIES, 0,
                       300) == []


def _active(am: Alertmanager, name: str) -> list[dict[str, Any]]:
    return [a for a in am.alerts()
            if a["labels"]["alertname"] == name and a["status"]["state"] == "active"]


@pytest.mark.peers
async def test_link_down_alert_and_its_resolution(
        am: Alertmanager, make_trap_collector: MakeTrapCollector, net_snmp: NetSnmp) -> None:
    config = TrapsConfig(enabled=True, port=free_udp_port(), communities=(Secret("public"),),
                         sources=(("127.0.0.1", Source(AGENT)),),
                         alertmanager=AlertmanagerConfig(am.url, tuple(SEVERITIES.items())))
    async with make_trap_collector(config) as tc:
        await tc.collector.push(Pusher().body())
        rc, out = await net_snmp.run("snmptrap", "-v", "2c", "-c", "public", tc.target, "",
                                     ".".join(map(str, LINK_DOWN)),
                                     *link_varbinds(2, oper=2))
        assert rc == 0, out

        async def raised() -> bool:
            return bool(await asyncio.to_thread(_active, am, "SnmpTrapLinkDown"))
        await until(raised, timeout=5)
        [alert] = await asyncio.to_thread(_active, am, "SnmpTrapLinkDown")
        labels = alert["labels"]
        assert labels["severity"] == "critical" and labels["ifIndex"] == "2"
        assert labels["agent"] == AGENT and labels["ward"] == "Phường Phúc Xá"
        assert "dc" not in labels                              # empty labels left out
        rc, out = await net_snmp.run("snmptrap", "-v", "2c", "-c", "public", tc.target, "",
                                     ".".join(map(str, LINK_UP)), *link_varbinds(2, oper=1))
        assert rc == 0, out

        async def resolved() -> bool:
            return not await asyncio.to_thread(_active, am, "SnmpTrapLinkDown")
        await until(resolved, timeout=5)
        assert await tc.value("netmon_snmp_trap_alerts_total", result="sent") == 2


@pytest.mark.peers
async def test_refused_and_unreachable(am: Alertmanager) -> None:
    metrics = TrapMetrics("80004fb8", 10)
    alert = trap_alerts("linkDown", notification(LINK_DOWN), ORIGIN, LinkEvent(False, 2, 2),
                        SEVERITIES, 1_800_000_000.0, 300)[0]
    refused = {**alert, "endsAt": "2020-01-01T00:00:00Z"}      # ends before it starts: 400
    async with aiohttp.ClientSession() as session:
        for url, alerts in ((am.url, [refused]), (f"http://127.0.0.1:{free_tcp_port()}",
                                                  [alert, alert])):
            sender = AlertSender(AlertmanagerConfig(url, (("linkDown", "critical"),),
                                                    timeout=2), metrics, backoff=(0.01, 0.01))
            task = asyncio.create_task(sender.run(session))
            sender.submit(alerts)

            async def done(sender: AlertSender = sender, n: int = len(alerts)) -> bool:
                return sender.queue.empty() and metrics.alerts["failed"] >= n
            await until(done, timeout=5)
            await sender.stop(task)
    assert metrics.alerts == {"sent": 0, "failed": 3, "dropped": 0}


async def test_queue_full_drops_and_counts() -> None:
    metrics = TrapMetrics("80004fb8", 10)
    sender = AlertSender(AlertmanagerConfig("http://127.0.0.1:1", (("linkDown", "x"),),
                                            queue=2), metrics)
    sender.submit([{"labels": {}}] * 5)
    assert metrics.alerts["dropped"] == 3
    task = asyncio.create_task(asyncio.sleep(0))
    await sender.stop(task)                     # the two still queued: dropped at stop
    assert metrics.alerts["dropped"] == 5
