"""A real Prometheus finds every ward through the collector's /sd, scrapes each as its own
target, and answers PromQL with district and ward labels (Vietnamese, intact)."""

from __future__ import annotations

import pytest

from tests.collector.helpers import AGENT, DC_HOST, OTHER, Pusher, family
from tests.collector.process import Running
from tests.peers.prometheus import prometheus

pytestmark = pytest.mark.peers


def config(collector_process: Running) -> str:
    host = collector_process.url.removeprefix("http://")
    return f"""
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: netmon-wards
    honor_labels: true
    http_sd_configs:
      - url: {collector_process.url}/sd
        refresh_interval: 1s
  - job_name: netmon-collector
    static_configs:
      - targets: ["{host}"]
"""


def test_prometheus_discovers_and_scrapes_every_ward(collector_process: Running) -> None:
    collector = collector_process
    for agent in (AGENT, OTHER):
        assert collector.push(Pusher().body(), collector.token(agent))[0] == 200
    host = [family("node_load1", "gauge", [({}, 0.25)])]
    pushed = collector.push(Pusher(exporter="host").body(host), collector.token(DC_HOST))
    assert pushed[0] == 200
    with prometheus(config(collector)) as prom:
        up = prom.wait_for('up{job="netmon-wards"}', at_least=14)
        by_agent = {s["metric"]["agent"]: s for s in up}
        assert by_agent[AGENT]["value"][1] == "1"
        assert by_agent[AGENT]["metric"]["ward"] == "Phường Phúc Xá"
        assert by_agent[AGENT]["metric"]["district"] == "Quận Ba Đình"
        assert by_agent[OTHER]["value"][1] == "1"
        never = [a for a in by_agent if a not in (AGENT, OTHER, DC_HOST)]
        assert never and all(by_agent[a]["value"][1] == "0" for a in never)

        octets = prom.wait_for('ifHCInOctets{ward="Phường Phúc Xá"}', at_least=2)
        for series in octets:
            labels = series["metric"]
            assert labels["district"] == "Quận Ba Đình" and labels["agent"] == AGENT
            assert labels["site"] == "00001" and labels["role"] == "ward-router"
            assert not [k for k in labels if k.startswith("exported_")]
        load = prom.wait_for('node_load1{dc="primary"}')
        assert load[0]["metric"]["agent"] == DC_HOST

        agents_up = prom.wait_for('netmon_agent_up{job="netmon-collector"} == 1', at_least=3)
        assert {s["metric"]["agent"] for s in agents_up} == {AGENT, OTHER, DC_HOST}
