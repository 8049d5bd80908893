"""The demo's simulated ward router: snmpsim on loopback, stopped by its PID."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


class SimulatorError(Exception):
    """The simulated router could not be started; the message says why and what to do."""


@dataclass(frozen=True)
class SimulatedRouter:
    host: str
    port: int
    community: str
    pid: int

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int, community: str) -> bool:
    """A v2c GET of sysUpTime.0, encoded by netmon's own codec."""
    from exporters.snmp import ber
    request = ber.encode_request(ber.VERSION_2C, community.encode(), ber.GET_REQUEST, 1,
                                 [(1, 3, 6, 1, 2, 1, 1, 3, 0)])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        try:
            s.sendto(request, ("127.0.0.1", port))
            return bool(s.recv(65535))
        except OSError:
            return False


@contextlib.contextmanager
def simulated_router(community: str = "ward-router-live", data_dir: Path = DATA_DIR,
                     cache_dir: Path | None = None,
                     timeout: float = 30.0) -> Iterator[SimulatedRouter]:
    """snmpsim serving every ``.snmprec`` of ``data_dir`` on a free loopback port; ready once
    ``community`` answers. ``cache_dir`` keeps snmpsim's index between runs (indexing takes
    about 0.2 s per router)."""
    # Beside this interpreter first: a virtualenv's scripts are there even when it is not
    # activated (its bin/ is not on PATH).
    exe = shutil.which("snmpsim-command-responder", path=str(Path(sys.executable).parent)) \
        or shutil.which("snmpsim-command-responder")
    if exe is None:
        raise SimulatorError("snmpsim is not installed: pip install 'netmon[demo]'")
    port = _free_udp_port()
    with tempfile.TemporaryDirectory(prefix="netmon-demo-") as tmp:
        log_path = Path(tmp, "snmpsim.log")
        argv = [exe, f"--data-dir={data_dir}", f"--cache-dir={cache_dir or Path(tmp, 'cache')}",
                f"--agent-udpv4-endpoint=127.0.0.1:{port}", "--log-level=error"]
        env = dict(os.environ, SNMPSIM_ALLOW_ROOT="true")  # it refuses root otherwise
        with log_path.open("wb") as log:
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env,
                                    start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while not _answers(port, community):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SimulatorError(
                        f"snmpsim did not start (exit {proc.poll()}):\n"
                        f"{log_path.read_text(errors='replace')[-2000:]}")
                time.sleep(0.1)
            yield SimulatedRouter("127.0.0.1", port, community, proc.pid)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
