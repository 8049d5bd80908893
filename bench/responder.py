"""The light SNMP responder (``tests/peers/snmp_responder.py``) in a process of its own, for
the benchmarks: its ports, its CPU seconds, stopped by its PID."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench._common import proc_cpu_seconds

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["Responder"]


class Responder:
    """``Responder("--data", F, "--devices", "579", "--community", C)``: the responder's
    own options (``python -m tests.peers.snmp_responder --help``)."""

    def __init__(self, *options: str) -> None:
        argv = [sys.executable, "-m", "tests.peers.snmp_responder", *options]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     cwd=ROOT, start_new_session=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the responder did not start")
        self.ports: list[int] = json.loads(line)["ports"]

    def cpu(self) -> float:
        return proc_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
