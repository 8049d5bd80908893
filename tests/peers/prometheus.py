"""A real Prometheus (Debian's ``prometheus``) on loopback: configured, started, queried, and
stopped by its PID."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.peers.process import free_tcp_port, running


@dataclass(frozen=True)
class Prometheus:
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=30) as response:
            body = json.loads(response.read())
        if body.get("status") != "success":
            raise AssertionError(f"Prometheus {path}: {body}")
        return body["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        """Instant query; the result vector."""
        data = self.api("/api/v1/query", query=promql)
        result: list[dict[str, Any]] = data["result"]
        return result

    def wait_for(self, promql: str, at_least: int = 1, timeout: float = 60.0
                 ) -> list[dict[str, Any]]:
        """Poll a query until it returns at least ``at_least`` series."""
        deadline = time.monotonic() + timeout
        result: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            result = self.query(promql)
            if len(result) >= at_least:
                return result
            time.sleep(0.5)
        targets = self.api("/api/v1/targets")
        raise AssertionError(f"{promql!r} returned {len(result)} series (wanted {at_least}) "
                             f"after {timeout}s; targets: {json.dumps(targets)[:3000]}")


def prometheus_binary() -> str:
    path = shutil.which("prometheus")
    if path is None:
        raise RuntimeError("prometheus not found: install Debian's 'prometheus' package "
                           "(.ci/setup)")
    return path


@contextlib.contextmanager
def prometheus(config: str, *, extra_args: tuple[str, ...] = ()) -> Iterator[Prometheus]:
    """Run Prometheus with ``config`` (YAML text) on a free loopback port."""
    with tempfile.TemporaryDirectory(prefix="netmon-prometheus-") as tmp:
        config_file = Path(tmp, "prometheus.yml")
        config_file.write_text(config, encoding="utf-8")
        port = free_tcp_port()
        argv = [prometheus_binary(), f"--config.file={config_file}",
                f"--storage.tsdb.path={tmp}/data", f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn", *extra_args]

        def ready() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready",
                                            timeout=1) as response:
                    return bool(response.status == 200)
            except OSError:
                return False

        with running(argv, "prometheus", ready, timeout=60) as peer:
            yield Prometheus(port, peer.pid)
