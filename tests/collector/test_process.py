"""The collector as a real process (``python -m collector``) on a port from the kernel:
pushes over real HTTP, SIGHUP reload, real-time staleness, SIGTERM, exit codes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from collector.inventory_load import load_inventory
from collector.inventory_write import dump_inventory
from tests.collector.helpers import AGENT, OTHER, Pusher
from tests.collector.process import Running, collector_cmd
from tests.peers.exposition import parse


def test_push_scrape_reload_and_stop(collector_process: Running) -> None:
    mine, other = Pusher(), Pusher()
    assert collector_process.push(mine.body(), collector_process.token(AGENT)) == (200, {"ack": 1,
                                                                         "samples": 5})
    assert collector_process.push(other.body(), collector_process.token(OTHER))[0] == 200
    scope = collector_process.scope()
    wards = {dict(k)["ward"] for k in scope.series("ifHCInOctets")}
    assert wards == {"Phường Phúc Xá", "Phường Phúc Tân"}
    status, sd = collector_process.get("/sd")
    assert status == 200 and len(json.loads(sd)) == 14

    # revoke OTHER's token and reload with SIGHUP: refused at once, state kept
    revoked = collector_process.token(OTHER)
    inventory = load_inventory(collector_process.inventory)
    agents = tuple(a.__class__(a.id, a.site, a.role, ()) if a.id == OTHER else a
                   for a in inventory.agents)
    collector_process.inventory.write_text(dump_inventory(inventory.__class__(
        inventory.districts, inventory.sites, inventory.data_centres, agents)),
        encoding="utf-8")
    os.kill(collector_process.process.pid, signal.SIGHUP)
    deadline = time.monotonic() + 10
    while collector_process.push(other.body(), revoked)[0] != 401:
        assert time.monotonic() < deadline, collector_process.process.output()
        time.sleep(0.05)
    assert {dict(k)["agent"] for k in collector_process.scope().series("ifHCInOctets")} == {AGENT,
                                                                                    OTHER}
    assert "reloaded" in collector_process.process.output()
    assert revoked not in collector_process.process.output()

    # SIGTERM: a clean stop, exit status 0
    collector_process.process.proc.send_signal(signal.SIGTERM)
    assert collector_process.process.proc.wait(timeout=15) == 0


def test_staleness_in_real_time(collector_process: Running) -> None:
    pusher = Pusher(interval=0.3)
    assert collector_process.push(pusher.body(), collector_process.token(AGENT))[0] == 200
    assert collector_process.scope(f"/scopes/wan/metrics?agent={AGENT}").series("ifHCInOctets")
    time.sleep(1.3)                         # > 3 x 0.3 s, and a sweep has run
    status, _ = collector_process.get(f"/scopes/wan/metrics?agent={AGENT}")
    assert status == 503
    assert not collector_process.scope().series("ifHCInOctets")
    _, metrics = collector_process.get("/metrics")
    up = parse(metrics).series("netmon_agent_up")
    assert [v for k, v in up.items() if ("agent", AGENT) in k] == [0.0]


def test_exit_codes(tmp_path: Path, process_inventory: Path) -> None:
    inventory = process_inventory
    config = tmp_path / "bad.yml"
    config.write_text(f"inventory: {inventory.name}\nstaleness: 3\n", encoding="utf-8")
    proc = subprocess.run(collector_cmd("--config", str(config), "--check-config"),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert f"{config}:2: unknown key 'staleness'" in proc.stderr
    proc = subprocess.run(collector_cmd("--inventory", str(inventory), "--check-config"),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0 and "wan (12 agents)" in proc.stdout
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(collector_cmd("--inventory", str(inventory), "--listen",
                                            f"127.0.0.1:{port}"),
                              capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "cannot serve" in proc.stderr
