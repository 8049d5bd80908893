"""The collector as a real process (``python -m collector``) on a port from the kernel,
with an inventory and real token files made by ``python -m collector inventory hanoi``."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from netmon import wire
from tests.peers.exposition import Exposition, parse
from tests.peers.process import PeerProcess, free_tcp_port, running


@dataclass
class Running:
    url: str
    process: PeerProcess
    tokens: Path
    inventory: Path

    def token(self, agent: str) -> str:
        return (self.tokens / f"{agent}.token").read_text().strip()

    def push(self, body: bytes, token: str) -> tuple[int, dict[str, object]]:
        request = urllib.request.Request(self.url + wire.PUSH_PATH, data=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": wire.CONTENT_TYPE,
            "Content-Encoding": "gzip"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def scope(self, path: str = "/scopes/wan/metrics") -> Exposition:
        status, body = self.get(path)
        assert status == 200, body
        return parse(body)


def collector_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "collector", *args]


@pytest.fixture
def process_inventory(tmp_path: Path) -> Path:
    proc = subprocess.run(collector_cmd("inventory", "hanoi", "--sites", "12", "--dc-hosts",
                                        "1", "--out", str(tmp_path / "inventory.yml"),
                                        "--tokens-dir", str(tmp_path / "tokens")),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "inventory.yml"


@pytest.fixture
def collector_process(tmp_path: Path, process_inventory: Path) -> Iterator[Running]:
    with start_collector(tmp_path, process_inventory) as running_collector:
        yield running_collector


@contextlib.contextmanager
def start_collector(directory: Path, inventory: Path, extra: str = "",
                    name: str = "collector", port: int | None = None,
                    host: str = "127.0.0.1") -> Iterator[Running]:
    """A collector process with ``directory/<name>.yml``: listen, inventory and ``extra``
    (more collector.yml, e.g. ``dc:`` and ``remote_write:``); tokens next to the inventory."""
    port = port or free_tcp_port()
    config = directory / f"{name}.yml"
    config.write_text(f"listen: {host}:{port}\ninventory: {inventory}\n{extra}",
                      encoding="utf-8")
    config.chmod(0o600)  # extra may hold trap communities (exporters/snmp/secret_fields.py)
    url = f"http://{host}:{port}"

    def ready() -> bool:
        try:
            with urllib.request.urlopen(url + "/-/ready", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    with running(collector_cmd("--config", str(config)), name, ready) as process:
        yield Running(url, process, inventory.parent / "tokens", inventory)
