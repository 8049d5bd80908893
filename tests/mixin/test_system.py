"""The mixin against the whole system: the demo's simulated wards, agents and collector, a real
Prometheus evaluating the generated rules and sending to a real Alertmanager, which delivers
to a webhook receiver in this test.

* Every dashboard variable and every panel query (variables substituted as Grafana would)
  runs without error and returns data, except the panels marked "may be empty".
* Taking one ward's primary uplink down, after it flapped, produces exactly one notification:
  WardUplinkDown for that ward, to the team owning its district, in Vietnamese; the
  flapping alert of the same interface reaches Alertmanager and is inhibited.

The simulated ward's ifOperStatus.4 (eth1, "WAN chính") is made writable with snmpsim's
``writecache`` variation, and the test sets it with net-snmp's ``snmpset``: no restart, so no
counter resets and no false reboots elsewhere. ``for:`` durations of the two alerts involved
are shortened through the generator's overrides; every other alert keeps its production
``for:`` and so cannot fire within the test.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mixin.build import MIXIN_DIR, render
from mixin.generate.config import load_config
from netmon.demo.setup import DemoFiles, WardAgent, prepare, write_agent_configs
from netmon.demo.simulator import SimulatedRouter, simulated_router
from netmon.demo.system import netmon_system
from tests.mixin.alertmanager_peer import Alertmanager, Webhook, alertmanager, webhook_receiver
from tests.peers.process import free_tcp_port
from tests.peers.prometheus import Prometheus, prometheus

pytestmark = pytest.mark.peers

WARDS = 3
INTERVAL = 2.0
IF_OPER_STATUS_ETH1 = "1.3.6.1.2.1.2.2.1.8.4"
#: The two alerts of the scenario, made quick; the flapping one waits longer than the down
#: one so that Alertmanager already holds its inhibitor when it arrives (as in production:
#: 2m against 5m).
OVERRIDES: dict[str, Any] = {
    "for": {"WardUplinkDown": "8s", "WardInterfaceFlapping": "14s"},
    "windows": {"flap": "2m"},
    "thresholds": {"flap_changes": 3},
}


@dataclass
class System:
    files: DemoFiles
    wan: SimulatedRouter
    prom: Prometheus
    am: Alertmanager
    hook: Webhook
    target: WardAgent


def _writable_uplink(data_file: Path) -> None:
    """Make eth1's ifOperStatus settable (snmpsim's writecache), starting at up (1)."""
    text = data_file.read_text(encoding="utf-8")
    line = f"{IF_OPER_STATUS_ETH1}|2|1\n"
    assert line in text, data_file
    data_file.write_text(text.replace(line, f"{IF_OPER_STATUS_ETH1}|2:writecache|value=1\n"),
                         encoding="utf-8")


def _prometheus_config(files: DemoFiles, rules: list[Path], am: Alertmanager) -> str:
    return json.dumps({
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                   "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in rules],
        "alerting": {"alertmanagers": [{"static_configs": [
            {"targets": [f"127.0.0.1:{am.port}"]}]}]},
        "scrape_configs": [
            {"job_name": "netmon", "honor_labels": True,
             "http_sd_configs": [{"url": f"{files.collector_url}/sd",
                                  "refresh_interval": "1s"}]},
            {"job_name": "netmon-collector",
             "static_configs": [{"targets": [files.listen]}]},
        ],
    })


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    assert shutil.which("snmpset"), "snmpset not found: install Debian's 'snmp' (.ci/setup)"
    workdir = tmp_path_factory.mktemp("mixin-system")
    files = prepare(workdir, WARDS, INTERVAL, f"127.0.0.1:{free_tcp_port()}")
    target = files.ward_agents[0]
    _writable_uplink(files.wan_dir / f"{target.router.community}.snmprec")
    with webhook_receiver() as hook, simulated_router(
            files.ward_agents[-1].router.community, files.wan_dir,
            workdir / "snmpsim-cache") as wan:
        write_agent_configs(files, wan.port)
        config = load_config(overrides={**OVERRIDES, "alertmanager": {
            "webhook_url": hook.url("{team}"), "group_wait": "1s", "group_interval": "2s"}})
        generated = render(config)
        rules = []
        for name, text in generated.items():
            if name.startswith("rules/"):
                path = workdir / name
                path.parent.mkdir(exist_ok=True)
                path.write_text(text, encoding="utf-8")
                rules.append(path)
        with (netmon_system(files),
              alertmanager(generated["alertmanager/alertmanager.yml"]) as am,
              prometheus(_prometheus_config(files, rules, am)) as prom):
            yield System(files, wan, prom, am, hook, target)


# --- dashboards ------------------------------------------------------------------------------

_LABEL_VALUES = re.compile(r"^label_values\((.*),\s*(\w+)\)$", re.DOTALL)
#: What Grafana puts for its built-in variables, for a 1 s scrape interval.
BUILTINS = {"$__rate_interval": "15s", "$__interval": "5s", "$__range": "1m"}
MAY_BE_EMPTY = "may be empty"


def _substitute(text: str, values: dict[str, str]) -> str:
    for name, value in BUILTINS.items():
        text = text.replace(name, value)
    for name in sorted(values, key=len, reverse=True):
        text = text.replace(f"${name}", values[name])
    return text


def _label_values(prom: Prometheus, query: str) -> list[str]:
    match = _LABEL_VALUES.match(query)
    assert match, query
    selector, label = match.groups()
    params = urllib.parse.urlencode({"match[]": selector})
    with urllib.request.urlopen(f"{prom.url}/api/v1/label/{label}/values?{params}",
                                timeout=10) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return sorted(body["data"])


def _variables(prom: Prometheus, board: dict[str, Any], timeout: float) -> dict[str, str]:
    """Each query variable's value as Grafana would choose it: `.*` for "All", else the
    first value its query returns (which must return some)."""
    values: dict[str, str] = {}
    for variable in board["templating"]["list"]:
        if variable["type"] != "query":
            continue
        query = _substitute(variable["query"]["query"], values)
        deadline = time.monotonic() + timeout
        options = _label_values(prom, query)
        while not options and time.monotonic() < deadline:
            time.sleep(0.5)
            options = _label_values(prom, query)
        assert options, (board["uid"], variable["name"], query)
        values[variable["name"]] = ".*" if variable.get("includeAll") else options[0]
    return values


def test_every_dashboard_query_runs_and_returns_data(system: System) -> None:
    prom = system.prom
    prom.wait_for('up{job="netmon"} == 1', at_least=WARDS + 1, timeout=60)
    prom.wait_for("netmon:if_in_utilisation:ratio_rate5m", timeout=60)
    deadline = time.monotonic() + 60
    checked = 0
    for path in sorted((MIXIN_DIR / "dashboards").glob("*.json")):
        board = json.loads(path.read_text(encoding="utf-8"))
        values = _variables(prom, board, timeout=30)
        for panel in board["panels"]:
            optional = MAY_BE_EMPTY in panel.get("description", "")
            for target in panel["targets"]:
                expr = _substitute(target["expr"], values)
                assert "$" not in expr.replace("$1", ""), (path.name, panel["title"], expr)
                result = prom.query(expr)  # raises on a query error
                while not result and not optional and time.monotonic() < deadline:
                    time.sleep(0.5)
                    result = prom.query(expr)
                assert result or optional, (path.name, panel["title"], expr)
                checked += 1
    assert checked >= 40


# --- a ward's uplink goes down -----------------------------------------------------------------

def _set_eth1(system: System, status: int) -> None:
    """snmpset the target ward's eth1 ifOperStatus, then wait until Prometheus has it."""
    subprocess.run(["snmpset", "-v2c", "-c", system.target.router.community, "-t", "2",
                    system.wan.target, IF_OPER_STATUS_ETH1, "i", str(status)],
                   check=True, capture_output=True, timeout=30)
    system.prom.wait_for(f'ifOperStatus{{agent="{system.target.agent_id}", ifIndex="4"}} '
                         f"== {status}", timeout=30)


def _alert_states(am: Alertmanager) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for alert in am.alerts():
        out.setdefault(alert["labels"]["alertname"], []).append(alert)
    return out


def test_an_uplink_down_notifies_its_district_once_and_inhibits_the_rest(
        system: System) -> None:
    prom, am, hook, ward = system.prom, system.am, system.hook, system.target.router
    prom.wait_for(f'ifOperStatus{{agent="{system.target.agent_id}", ifIndex="4"}} == 1',
                  timeout=60)
    prom.wait_for("netmon:ward:state", at_least=WARDS, timeout=60)
    assert hook.notifications() == []

    # eth1 flaps (down, up, down) and stays down.
    for status in (2, 1, 2):
        _set_eth1(system, status)

    deadline = time.monotonic() + 60
    flapping: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        flapping = _alert_states(am).get("WardInterfaceFlapping", [])
        if flapping:
            break
        time.sleep(0.5)
    assert len(flapping) == 1, _alert_states(am)
    assert flapping[0]["labels"]["ward"] == ward.ward
    deadline = time.monotonic() + 10
    while not flapping[0]["status"]["inhibitedBy"] and time.monotonic() < deadline:
        time.sleep(0.5)
        flapping = _alert_states(am)["WardInterfaceFlapping"]
    assert flapping[0]["status"]["state"] == "suppressed", flapping
    time.sleep(5)  # two more group intervals: anything else would have been sent by now

    notifications = hook.notifications()
    assert len(notifications) == 1, json.dumps(notifications, ensure_ascii=False, indent=1)
    [note] = notifications
    assert note["receiver"] == "doi-noi-thanh-1"     # Quận Ba Đình's team
    assert note["status"] == "firing"
    assert note["groupLabels"] == {"alertname": "WardUplinkDown", "district": ward.district}
    [alert] = note["alerts"]
    labels, annotations = alert["labels"], alert["annotations"]
    assert labels["ward"] == ward.ward and labels["district"] == ward.district
    assert labels["ifName"] == "eth1" and labels["severity"] == "critical"
    assert labels["ifAlias"] == "WAN chính - DC 185 Giảng Võ"
    assert annotations["summary"] == (f"{ward.ward}, {ward.district}: uplink WAN chính "
                                      "(primary) eth1 mất kết nối")
    assert "(ifOperStatus 2)" in annotations["description"]
    assert "Kiểm tra trước: " in annotations["description"]
    # The other wards: nothing at all, in Alertmanager or Prometheus.
    firing = prom.query('ALERTS{alertstate="firing"}')
    assert {(a["metric"]["alertname"], a["metric"]["ward"]) for a in firing} == {
        ("WardUplinkDown", ward.ward), ("WardInterfaceFlapping", ward.ward)}
