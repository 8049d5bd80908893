"""A real VictoriaMetrics (Debian's ``victoria-metrics``, single node) on loopback: started
on a data directory, queried, stopped by its PID, and started again on the same directory
and port (a store outage that loses nothing of what it had)."""

from __future__ import annotations

import contextlib
import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.peers.process import free_tcp_port, running


@dataclass(frozen=True)
class VictoriaMetrics:
    port: int
    pid: int
    data: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def write_url(self) -> str:
        """Prometheus remote_write endpoint."""
        return f"{self.url}/api/v1/write"

    def _get(self, path: str, **params: str) -> bytes:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=30) as response:
            body: bytes = response.read()
        return body

    def flush(self) -> None:
        """Make what was just written searchable (it is buffered for about a second)."""
        self._get("/internal/force_flush")

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": promql, **({"time": f"{at:.3f}"} if at is not None else {})}
        body = json.loads(self._get("/api/v1/query", **params))
        if body.get("status") != "success":
            raise AssertionError(f"VictoriaMetrics query {promql!r}: {body}")
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def export(self, match: str, start: float, end: float) -> list[dict[str, Any]]:
        """Raw samples: ``[{"metric": {...}, "values": [...], "timestamps": [ms...]}]``."""
        body = self._get("/api/v1/export", **{"match[]": match, "start": f"{start:.3f}",
                                              "end": f"{end:.3f}"})
        return [json.loads(line) for line in body.splitlines() if line.strip()]


def victoria_metrics_binary() -> str:
    path = shutil.which("victoria-metrics")
    if path is None:
        raise RuntimeError("victoria-metrics not found: install Debian's 'victoria-metrics' "
                           "package (.ci/setup)")
    return path


@contextlib.contextmanager
def victoria_metrics(data: Path, port: int | None = None, *,
                     extra_args: tuple[str, ...] = ()) -> Iterator[VictoriaMetrics]:
    """Run VictoriaMetrics on ``data`` (kept after it stops) on ``port`` (default: free)."""
    port = port or free_tcp_port()
    argv = [victoria_metrics_binary(), f"-storageDataPath={data}",
            f"-httpListenAddr=127.0.0.1:{port}", "-loggerLevel=ERROR", *extra_args]

    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                return bool(r.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    with running(argv, "victoria-metrics", ready, timeout=30) as peer:
        yield VictoriaMetrics(port, peer.pid, data)
