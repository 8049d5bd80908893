"""Alertmanager's configuration: ``amtool check-config``, routing with ``amtool config routes
test`` (every district to its team, the platform's alerts to the platform team), and
inhibition in a real Alertmanager, alert by alert."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from collector.inventory_hanoi import default_wards_path, parse_wards, read_wards
from mixin.build import MIXIN_DIR, render
from mixin.generate.config import load_config
from tests.mixin.alertmanager_peer import (
    Alertmanager,
    Webhook,
    alertmanager,
    amtool_binary,
    webhook_receiver,
)

pytestmark = pytest.mark.peers

CONFIG_FILE = MIXIN_DIR / "alertmanager" / "alertmanager.yml"


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([amtool_binary(), *args], capture_output=True, text=True, timeout=60,
                          check=False)


def test_amtool_checks_the_config() -> None:
    result = _amtool("check-config", str(CONFIG_FILE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def _routes(labels: dict[str, str]) -> str:
    result = _amtool("config", "routes", "test", f"--config.file={CONFIG_FILE}",
                     *(f'{k}="{v}"' for k, v in labels.items()))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def test_every_district_routes_to_its_team() -> None:
    config = load_config()
    owner = {d: team.name for team in config.alertmanager.teams for d in team.districts}
    rows = parse_wards(read_wards(default_wards_path()), "hanoi_wards.csv")
    first_ward: dict[str, str] = {}
    for row in rows:
        first_ward.setdefault(row.district, row.ward)
    for district, ward in sorted(first_ward.items()):
        got = _routes({"alertname": "WardUplinkDown", "severity": "critical",
                       "layer": "ward-interface", "district": district, "ward": ward})
        assert got == owner[district], district


@pytest.mark.parametrize(("labels", "receiver"), [
    # A collector, a DC host (whose site lies in a district all the same), netmon's own
    # agent on a DC host: the platform team.
    ({"alertname": "NetmonCollectorDown", "layer": "collector", "collector": "c:9750"},
     "noc-trung-tam"),
    ({"alertname": "DcHostFilesystemAlmostFull", "layer": "dc-host", "role": "dc-host",
      "district": "Quận Đống Đa", "dc": "primary"}, "noc-trung-tam"),
    ({"alertname": "NetmonAgentLate", "layer": "agent", "role": "dc-host",
      "district": "Quận Hà Đông", "dc": "backup"}, "noc-trung-tam"),
    # A ward's agent running late: its district's team.
    ({"alertname": "NetmonAgentLate", "layer": "agent", "role": "ward-router",
      "district": "Huyện Sóc Sơn", "ward": "Xã Bắc Sơn"}, "doi-phia-bac"),
    ({"alertname": "DistrictOutage", "layer": "district", "district": "Thị xã Sơn Tây"},
     "doi-phia-tay"),
    # A district nobody owns (a typo, a new district): the duty NOC, not nowhere.
    ({"alertname": "WardUplinkDown", "layer": "ward-interface", "district": "Quận Mới"},
     "noc-truc-ban"),
])
def test_routes(labels: dict[str, str], receiver: str) -> None:
    assert _routes(labels) == receiver


# --- inhibition, in a real Alertmanager ----------------------------------------------------

@pytest.fixture(scope="module")
def am() -> Iterator[tuple[Alertmanager, Webhook]]:
    with webhook_receiver() as hook:
        config = load_config(overrides={"alertmanager": {
            "webhook_url": hook.url("{team}"), "group_wait": "1s", "group_interval": "1s"}})
        with alertmanager(render(config)["alertmanager/alertmanager.yml"]) as peer:
            yield peer, hook


def _ward(district: str, ward: str, agent: str, **extra: str) -> dict[str, str]:
    return {"district": district, "ward": ward, "agent": agent, "role": "ward-router",
            **extra}


def _alert(name: str, severity: str, layer: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"labels": {"alertname": name, "severity": severity, "layer": layer, **labels},
            "annotations": {"summary": name}}


PHUC_XA = _ward("Quận Ba Đình", "Phường Phúc Xá", "hn-badinh-phucxa-r1")
TRUC_BACH = _ward("Quận Ba Đình", "Phường Trúc Bạch", "hn-badinh-trucbach-r1")
PHUC_TAN = _ward("Quận Hoàn Kiếm", "Phường Phúc Tân", "hn-hoankiem-phuctan-r1")
HANG_BAC = _ward("Quận Hoàn Kiếm", "Phường Hàng Bạc", "hn-hoankiem-hangbac-r1")
PHU_THUONG = _ward("Quận Tây Hồ", "Phường Phú Thượng", "hn-tayho-phuthuong-r1")
THUONG_THANH = _ward("Quận Long Biên", "Phường Thượng Thanh", "hn-longbien-thuongthanh-r1")
ETH1 = {"instance": "10.0.1.1", "ifIndex": "4", "ifName": "eth1"}
ETH2 = {"instance": "10.0.1.1", "ifIndex": "5", "ifName": "eth2"}
HOST = {"agent": "hn-dc-primary-host1", "role": "dc-host", "dc": "primary",
        "district": "Quận Đống Đa", "device": "/dev/sda1", "mountpoint": "/"}

#: (alert, inhibited?) — each block is one rule of the topology.
CASES: list[tuple[dict[str, Any], bool]] = [
    # 1. Phúc Xá's agent is silent everywhere: its interface, path and router alerts go.
    (_alert("NetmonAgentDown", "critical", "ward-site", {**PHUC_XA, "collector": "c-a"}), False),
    (_alert("WardUplinkDown", "critical", "ward-interface", {**PHUC_XA, **ETH1}), True),
    (_alert("WardLatencyHigh", "warning", "ward-path", {**PHUC_XA, "probe_dc": "primary"}),
     True),
    (_alert("WardRouterHighCPU", "warning", "ward-router", {**PHUC_XA, "instance": "10.0.1.1"}),
     True),
    #    ... and Trúc Bạch, in the same district, keeps its own.
    (_alert("WardUplinkDown", "critical", "ward-interface", {**TRUC_BACH, **ETH1}), False),
    #    Phú Thượng's router does not answer SNMP: same for its alerts.
    (_alert("WardRouterUnreachable", "critical", "ward-site", PHU_THUONG), False),
    (_alert("WardInterfaceErrors", "warning", "ward-interface", {**PHU_THUONG, **ETH1}), True),
    # 2. Hoàn Kiếm's aggregation is down: every ward alert of the district goes, the
    #    district's own stays.
    (_alert("DistrictOutage", "critical", "district", {"district": "Quận Hoàn Kiếm"}), False),
    (_alert("NetmonAgentDown", "critical", "ward-site", {**PHUC_TAN, "collector": "c-a"}), True),
    (_alert("WardUplinkDown", "critical", "ward-interface", {**HANG_BAC, **ETH1}), True),
    (_alert("NetmonAgentLate", "warning", "agent", HANG_BAC), True),
    # 3. collector c-b sees most agents down: agent-down and path alerts seen through c-b go,
    #    the same ward seen down through c-a stays.
    (_alert("NetmonCollectorMostAgentsDown", "critical", "collector", {"collector": "c-b"}),
     False),
    (_alert("NetmonAgentDown", "critical", "ward-site", {**THUONG_THANH, "collector": "c-b"}),
     True),
    (_alert("NetmonAgentDown", "critical", "ward-site", {**THUONG_THANH, "collector": "c-a"}),
     False),
    (_alert("WardPathDown", "warning", "ward-path", {**TRUC_BACH, "collector": "c-b"}), True),
    # 4. Trúc Bạch's uplink eth1 is down: its flapping is noise; eth2's is not.
    (_alert("WardInterfaceFlapping", "warning", "ward-interface", {**TRUC_BACH, **ETH1}), True),
    (_alert("WardInterfaceFlapping", "warning", "ward-interface", {**TRUC_BACH, **ETH2}), False),
    # 5. A filesystem predicted full within 4 h silences its 24 h warning.
    (_alert("DcHostFilesystemFillingUp", "critical", "dc-host", HOST), False),
    (_alert("DcHostFilesystemFillingUp", "warning", "dc-host", HOST), True),
    (_alert("DcHostFilesystemFillingUp", "warning", "dc-host", {**HOST, "mountpoint": "/var"}),
     False),
]


def _key(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def test_inhibition_follows_the_topology(am: tuple[Alertmanager, Webhook]) -> None:
    peer, hook = am
    peer.post_alerts([alert for alert, _ in CASES])
    expected = {_key(alert["labels"]): inhibited for alert, inhibited in CASES}
    deadline = time.monotonic() + 20
    while True:
        got = {_key(a["labels"]): bool(a["status"]["inhibitedBy"]) for a in peer.alerts()}
        if got == expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    wrong = [(dict(k), "inhibited" if v else "active") for k, v in got.items()
             if expected.get(k) != v]
    assert wrong == [], wrong
    assert set(got) == set(expected)

    # Alertmanager delivers the active ones only, each district to its team, grouped.
    active = {_key(a["labels"]) for a, inhibited in CASES if not inhibited}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        delivered = {_key(a["labels"]) for n in hook.notifications() for a in n["alerts"]}
        if delivered >= active:
            break
        time.sleep(0.2)
    notified: dict[str, set[tuple[str, ...]]] = {}
    for notification in hook.notifications():
        assert notification["_path"] == f"/{notification['receiver']}"
        for alert in notification["alerts"]:
            labels = alert["labels"]
            notified.setdefault(notification["receiver"], set()).add(tuple(
                labels.get(k, "") for k in ("alertname", "ward", "collector", "ifName",
                                            "mountpoint")))
    assert notified == {
        "doi-noi-thanh-1": {
            ("NetmonAgentDown", "Phường Phúc Xá", "c-a", "", ""),
            ("WardUplinkDown", "Phường Trúc Bạch", "", "eth1", ""),
            ("WardRouterUnreachable", "Phường Phú Thượng", "", "", ""),
            ("DistrictOutage", "", "", "", ""),
            ("NetmonAgentDown", "Phường Thượng Thanh", "c-a", "", ""),
            ("WardInterfaceFlapping", "Phường Trúc Bạch", "", "eth2", "")},
        "noc-trung-tam": {
            ("NetmonCollectorMostAgentsDown", "", "c-b", "", ""),
            ("DcHostFilesystemFillingUp", "", "", "", "/"),
            ("DcHostFilesystemFillingUp", "", "", "", "/var")},
    }
