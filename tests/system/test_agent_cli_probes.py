"""A ward agent (``netmon agent``, a real process) configured with a simulated Cisco IOS router
(fakenos over SSH) and a probe of its collector, pushing to a real collector: the collector
serves the router's IP SLA, BGP and interface metrics and the probe's results with the
ward's identity labels, and a change of the router's running config shows up as one change.

fakenos types its answers slowly (a run of four commands takes several seconds), so the CLI
device runs every 15 s here, as a real one would every 60 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.collector.process import Running
from tests.exporters.cli.fakenos_peer import (
    PASSWORD,
    USERNAME,
    WARD_ROUTER,
    FakeHost,
    fakenos_devices,
    outputs,
)
from tests.peers.exposition import Exposition
from tests.peers.process import free_tcp_port

pytestmark = [pytest.mark.cli, pytest.mark.probes, pytest.mark.peers]

ROOT = Path(__file__).resolve().parents[2]
AGENT = "hn-badinh-phucxa-r1"
ROUTER = "hn-bd-phucxa-r1"


def agent_yml(folder: Path, collector: Running, router_port: int) -> Path:
    password = folder / "router.password"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    password.chmod(0o600)
    port = collector.url.rsplit(":", 1)[1]
    path = folder / "agent.yml"
    path.write_text(f"""\
agent_id: {AGENT}
token_file: {collector.tokens / f"{AGENT}.token"}
collectors:
  - {{name: dc-primary, url: "{collector.url}", timeout: 5s}}
exporters:
  host: {{enabled: false}}
  cli:
    workers: 2
    state_dir: {folder / "cli-state"}
    credentials:
      ward_ro: {{username: {USERNAME}, password_file: {password}}}
    devices:
      - {{name: {ROUTER}, host: 127.0.0.1, port: {router_port}, credentials: ward_ro,
          checks: [interfaces, ip_sla, bgp, config], interval: 15s, enable: false}}
  probes:
    interval: 3s
    count: 3
    spacing: 200ms
    timeout: 500ms
    targets:
      - {{name: dc-primary-collector, address: 127.0.0.1, port: {port}, method: tcp,
          labels: {{probe_dc: primary, probe_role: collector}}}}
shipping:
  backoff_base: 100ms
  backoff_max: 1s
  spool: {{path: {folder / "spool.db"}}}
""", encoding="utf-8")
    return path


def wait_for(collector: Running, done: Callable[[Exposition], bool],
             timeout: float = 90.0) -> Exposition:
    deadline = time.monotonic() + timeout
    while True:
        status, body = collector.get(f"/scopes/wan/metrics?agent={AGENT}")
        if status == 200:
            expo = collector.scope(f"/scopes/wan/metrics?agent={AGENT}")
            if done(expo):
                return expo
        assert time.monotonic() < deadline, body.decode(errors="replace")[-3000:]
        time.sleep(0.3)


def value(expo: Exposition, name: str, **labels: str) -> float | None:
    for key, found in expo.series(name).items():
        if set(labels.items()) <= key:
            return found
    return None


def test_an_agent_reports_a_fakenos_router_and_its_config_change(
        tmp_path: Path, collector_process: Running) -> None:
    port = free_tcp_port()
    v1 = FakeHost(ROUTER, outputs(WARD_ROUTER))
    v2 = FakeHost(ROUTER, outputs({**WARD_ROUTER,
                                   "show running-config": "running_config_v2.txt"}))
    config = agent_yml(tmp_path, collector_process, port)
    log = (tmp_path / "agent.log").open("wb")
    agent: subprocess.Popen[bytes] | None = None
    try:
        with fakenos_devices([v1], tmp_path, {ROUTER: port}):
            agent = subprocess.Popen(
                [sys.executable, "-m", "netmon", "agent", "--config", str(config)],
                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
            expo = wait_for(collector_process, lambda e: value(
                e, "netmon_cli_ip_sla_rtt_seconds", device=ROUTER, sla="10") is not None
                and value(e, "probe_success", target="dc-primary-collector") is not None)
            ward = {"agent": AGENT, "site": "00001", "ward": "Phường Phúc Xá",
                    "district": "Quận Ba Đình"}
            assert value(expo, "netmon_cli_ip_sla_rtt_seconds", device=ROUTER, sla="10",
                         **ward) == 0.004
            assert value(expo, "netmon_cli_bgp_peer_established", device=ROUTER,
                         neighbor="172.16.100.1") == 1
            assert value(expo, "netmon_cli_interface_admin_up", device=ROUTER,
                         interface="GigabitEthernet0/0/2") == 0
            assert value(expo, "netmon_cli_up", device=ROUTER) == 1
            assert value(expo, "probe_success", target="dc-primary-collector",
                         probe_dc="primary", **ward) == 1
            assert value(expo, "netmon_probe_method", target="dc-primary-collector",
                         method="tcp") == 1
            assert value(expo, "netmon_cli_config_changes_total", device=ROUTER) == 0
            first = value(expo, "netmon_cli_config_last_change_timestamp_seconds",
                          device=ROUTER)
            assert first is not None
        # the router's running config changes (an engineer edited it)
        with fakenos_devices([v2], tmp_path, {ROUTER: port}):
            expo = wait_for(collector_process, lambda e: value(
                e, "netmon_cli_config_changes_total", device=ROUTER) == 1)
            changed = value(expo, "netmon_cli_config_last_change_timestamp_seconds",
                            device=ROUTER)
            assert changed is not None and changed > first
            assert value(expo, "netmon_cli_up", device=ROUTER) == 1
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=30) == 0
        text = (tmp_path / "agent.log").read_text(errors="replace")
        assert PASSWORD not in text
    finally:
        log.close()
        if agent is not None and agent.poll() is None:
            os.killpg(agent.pid, signal.SIGKILL)
            agent.wait(timeout=10)
