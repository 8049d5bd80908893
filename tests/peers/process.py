"""Start a peer program, wait until it serves, stop it by its PID, whatever happens.

Ports are taken from the kernel (bind to port 0) so parallel runs never collide. A peer that
does not come up in time is stopped and its output is put in the error, so a failing fixture
says why.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tcp_ready(port: int, host: str = "127.0.0.1") -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            return False

    return check


class PeerProcess:
    """One running peer program. Use as a context manager; it is stopped by PID on exit."""

    def __init__(self, argv: Sequence[str], name: str, cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.name = name
        self.argv = list(argv)
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix=f"netmon-{name}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            self.argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=cwd, env=env, start_new_session=True)
        self.pid = self.proc.pid

    def output(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")

    def wait_ready(self, ready: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode} before it was ready:\n"
                    f"{' '.join(self.argv)}\n{self.output()}")
            if ready():
                return
            time.sleep(0.05)
        output = self.output()
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{output}")

    def stop(self) -> None:
        """Stop the process (and its process group) by PID: TERM, then KILL after 5 s."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self._log.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._log.name)

    def __enter__(self) -> PeerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running(argv: Sequence[str], name: str, ready: Callable[[], bool],
            timeout: float = 20.0, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> Iterator[PeerProcess]:
    """Start ``argv``, wait for ``ready()``, yield the process, always stop it by PID."""
    peer = PeerProcess(argv, name, cwd=cwd, env=env)
    try:
        peer.wait_ready(ready, timeout)
        yield peer
    finally:
        peer.stop()
