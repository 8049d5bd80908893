"""``promtool check metrics``: the Prometheus project's own linter for an exposition."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class PromtoolResult:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def promtool_path() -> str:
    path = shutil.which("promtool")
    if path is None:
        raise RuntimeError("promtool not found: install Debian's 'prometheus' package (.ci/run)")
    return path


def check_metrics(exposition: bytes) -> PromtoolResult:
    proc = subprocess.run([promtool_path(), "check", "metrics"], input=exposition,
                          capture_output=True, timeout=60, check=False)
    return PromtoolResult(proc.returncode, (proc.stdout + proc.stderr).decode(errors="replace"))
