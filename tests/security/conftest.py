"""A hardened collector process for the attack tests: small limits, so each attack is cheap.

One collector per test module (``hardened``), started with ``python -m collector`` on a port
from the kernel, with an inventory and token files made by ``netmon inventory hanoi`` and, for
the token tests, by ``netmon inventory rotate-token``. Each test uses its own agents, so the
per-agent limits of one test never touch another's.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.collector.process import Running, collector_cmd, start_collector

#: collector.yml ``limits:`` of the hardened collector (``netmon.wire.Limits``).
LIMITS = {
    "max_compressed_bytes": 64 * 1024,
    "max_bytes": 1024 * 1024,
    "max_ratio": 50,
    "max_series_per_agent": 50,
    "max_reports_per_second": 2,
    "max_report_burst": 5,
    "header_timeout_seconds": 2,
    "body_timeout_seconds": 2,
}


@dataclass
class Hardened:
    running: Running
    agents: list[str]            # ward agents, in inventory order
    expired_token: str           # a token whose expiry has passed (agent ``expired_agent``)
    expired_agent: str

    @property
    def url(self) -> str:
        return self.running.url

    def metric(self, name: str, **labels: str) -> float:
        """One sample of the collector's own /metrics (0 when absent)."""
        status, body = self.running.get("/metrics")
        assert status == 200
        want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in body.decode().split("\n"):
            head, _, value = line.rpartition(" ")
            if head == (f"{name}{{{want}}}" if labels else name):
                return float(value)
        return 0.0


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(collector_cmd(*args), capture_output=True, text=True, timeout=60,
                          check=False)


def make_inventory(directory: Path, sites: int = 12) -> Path:
    inventory = directory / "inventory.yml"
    proc = run_cli("inventory", "hanoi", "--sites", str(sites), "--dc-hosts", "1", "--out",
                   str(inventory), "--tokens-dir", str(directory / "tokens"))
    assert proc.returncode == 0, proc.stderr
    return inventory


def ward_agents(inventory: Path) -> list[str]:
    return sorted(p.stem for p in (inventory.parent / "tokens").glob("*.token")
                  if "-dc-" not in p.stem)


def limits_yaml(**overrides: int) -> str:
    merged = {**LIMITS, **overrides}
    return "limits: {" + ", ".join(f"{k}: {v}" for k, v in merged.items()) + "}\n"


@pytest.fixture(scope="module")
def hardened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hardened]:
    directory = tmp_path_factory.mktemp("hardened")
    inventory = make_inventory(directory)
    agents = ward_agents(inventory)
    expired_agent = agents[-1]
    expired_token = (directory / "tokens" / f"{expired_agent}.token").read_text().strip()
    proc = run_cli("inventory", "rotate-token", expired_agent, "--inventory", str(inventory),
                   "--tokens-dir", str(directory / "tokens"), "--grace", "1s")
    assert proc.returncode == 0, proc.stderr
    time.sleep(1.1)   # the old token's expiry (whole seconds, at most 1 s away) has passed
    with start_collector(directory, inventory, limits_yaml()) as running:
        yield Hardened(running, agents[:-1], expired_token, expired_agent)
