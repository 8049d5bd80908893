"""The whole system, every part real: snmpsim ward routers, ward agents and a host agent as
processes, a collector process, and Debian's Prometheus finding the wards through the
collector's service discovery and answering PromQL.

It runs what ``netmon demo`` runs (same files, same processes), on free loopback ports.
"""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from netmon.demo.processes import Children
from netmon.demo.setup import DemoFiles, prepare, write_agent_configs
from netmon.demo.simulator import simulated_router
from netmon.demo.system import netmon_system
from tests.peers.process import free_tcp_port
from tests.peers.prometheus import Prometheus, prometheus

pytestmark = pytest.mark.peers

WARDS = 3
INTERVAL = 2.0


@dataclass
class System:
    files: DemoFiles
    children: Children
    prom: Prometheus

    def collector_metrics(self) -> str:
        with urllib.request.urlopen(f"{self.files.collector_url}/metrics", timeout=10) as r:
            return str(r.read().decode())


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    workdir = tmp_path_factory.mktemp("e2e")
    listen = f"127.0.0.1:{free_tcp_port()}"
    files = prepare(workdir, WARDS, INTERVAL, listen)
    with simulated_router(files.ward_agents[-1].router.community, files.wan_dir,
                          workdir / "snmpsim-cache") as wan:
        write_agent_configs(files, wan.port)
        with netmon_system(files) as children:
            config = f"""
global: {{scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}}
scrape_configs:
  - job_name: netmon
    honor_labels: true
    http_sd_configs:
      - url: {files.collector_url}/sd
        refresh_interval: 1s
"""
            with prometheus(config) as prom:
                yield System(files, children, prom)


def test_prometheus_scrapes_every_ward_through_service_discovery(system: System) -> None:
    up = system.prom.wait_for('up{job="netmon"} == 1', at_least=WARDS + 1, timeout=90)
    agents = {series["metric"]["agent"] for series in up}
    assert {w.agent_id for w in system.files.ward_agents} <= agents
    first = system.files.ward_agents[0]
    octets = system.prom.wait_for(f'ifHCInOctets{{ward="{first.router.ward}"}}', at_least=24)
    labels = octets[0]["metric"]
    assert labels["district"] == first.router.district      # Vietnamese, end to end
    assert labels["agent"] == first.agent_id
    assert {s["metric"]["ifName"] for s in octets} >= {"eth1", "eth2", "lo"}
    location = system.prom.wait_for(f'sysLocation{{agent="{first.agent_id}"}}')
    assert location[0]["metric"]["sysLocation"].startswith(first.router.ward)
    cpu = system.prom.wait_for('node_cpu_seconds_total{mode="idle"}')
    assert cpu[0]["metric"]["role"] != "ward-router"
    rate = system.prom.wait_for(
        f'rate(ifHCInOctets{{agent="{first.agent_id}",ifName="eth1"}}[10s]) > 0', timeout=60)
    assert float(rate[0]["value"][1]) > 0  # counters grow: the routers are live


def test_a_silent_ward_goes_down_and_the_others_stay_up(system: System) -> None:
    system.prom.wait_for('up{job="netmon"} == 1', at_least=WARDS + 1, timeout=90)
    wards = system.children.procs["ward-agents"]
    os.killpg(wards.pid, signal.SIGSTOP)  # the whole WAN side goes silent; nothing is lost
    try:
        deadline = time.monotonic() + 3 * INTERVAL * 3 + 15
        while time.monotonic() < deadline:
            text = system.collector_metrics()
            down = [line for line in text.splitlines()
                    if line.startswith("netmon_agent_up{") and 'role="ward-router"' in line
                    and float(line.rsplit(" ", 1)[1]) == 0]
            if len(down) == WARDS:
                break
            time.sleep(0.5)
        assert len(down) == WARDS, text
        assert any(line.startswith("netmon_agent_up{") and 'role="dc-host"' in line
                   and float(line.rsplit(" ", 1)[1]) == 1 for line in text.splitlines())
        system.prom.wait_for('up{job="netmon",role="ward-router"} == 0', at_least=WARDS)
    finally:
        os.killpg(wards.pid, signal.SIGCONT)
    system.prom.wait_for('up{job="netmon",role="ward-router"} == 1', at_least=WARDS,
                         timeout=60)


def test_every_endpoint_parses_in_promtool(system: System) -> None:
    from tests.peers.promtool import check_metrics
    system.prom.wait_for('up{job="netmon"} == 1', at_least=WARDS + 1, timeout=90)
    for path in ("/metrics", "/scopes/wan/metrics", "/scopes/dc-primary/metrics",
                 f"/scopes/wan/metrics?agent={system.files.ward_agents[0].agent_id}"):
        with urllib.request.urlopen(f"{system.files.collector_url}{path}", timeout=10) as r:
            result = check_metrics(r.read())
        assert result.parsed, (path, result.output)
        own = [line for line in result.lint if line.startswith(("netmon_", "node_cpu"))]
        assert own == [], (path, own)


def test_workdir_is_self_contained(system: System) -> None:
    files = system.files
    assert (files.workdir / "inventory.yml").is_file()
    modes = {oct(p.stat().st_mode & 0o777) for p in Path(files.workdir, "tokens").iterdir()}
    assert modes == {"0o600"}
