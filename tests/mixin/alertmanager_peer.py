"""A real Alertmanager (Debian's ``prometheus-alertmanager``) on loopback, and a webhook
receiver that records what it delivers.

Both are started on ports from the kernel and stopped by PID (Alertmanager) or by shutting the
server down (the receiver, a thread of the test process). Alertmanager's clustering is off
(``--cluster.listen-address=``), so it binds nothing else.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.peers.process import free_tcp_port, running

BINARIES = ("prometheus-alertmanager", "alertmanager")


def alertmanager_binary() -> str:
    for name in BINARIES:
        path = shutil.which(name)
        if path is not None:
            return path
    raise RuntimeError("alertmanager not found: install Debian's 'prometheus-alertmanager' "
                       "package (.ci/setup)")


def amtool_binary() -> str:
    path = shutil.which("amtool")
    if path is None:
        raise RuntimeError("amtool not found: install Debian's 'prometheus-alertmanager' "
                           "package (.ci/setup)")
    return path


@dataclass(frozen=True)
class Alertmanager:
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        request = urllib.request.Request(
            f"{self.url}/api/v2/alerts", data=json.dumps(alerts).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    def alerts(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=10) as response:
            result: list[dict[str, Any]] = json.loads(response.read())
        return result


@contextlib.contextmanager
def alertmanager(config: str) -> Iterator[Alertmanager]:
    """Run Alertmanager with ``config`` (YAML text) on a free loopback port."""
    with tempfile.TemporaryDirectory(prefix="netmon-alertmanager-") as tmp:
        path = Path(tmp, "alertmanager.yml")
        path.write_text(config, encoding="utf-8")
        port = free_tcp_port()
        argv = [alertmanager_binary(), f"--config.file={path}", f"--storage.path={tmp}/data",
                f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
                "--log.level=warn"]

        def ready() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready",
                                            timeout=1) as response:
                    return bool(response.status == 200)
            except OSError:
                return False

        with running(argv, "alertmanager", ready, timeout=30) as peer:
            yield Alertmanager(port, peer.pid)


@dataclass
class Webhook:
    """What Alertmanager delivered: one entry per notification (its JSON payload)."""

    port: int
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def notifications(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.received)

    def wait_for(self, count: int, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.notifications()
            if len(got) >= count:
                return got
            time.sleep(0.2)
        return self.notifications()


@contextlib.contextmanager
def webhook_receiver() -> Iterator[Webhook]:
    hook = Webhook(free_tcp_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(length))
            payload["_path"] = self.path
            with hook.lock:
                hook.received.append(payload)
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", hook.port), Handler)
    thread = threading.Thread(target=server.serve_forever, name="webhook", daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
