"""``promtool check metrics``: the Prometheus project's own linter for an exposition.

promtool exits 1 when the text cannot be parsed and 3 when it parses but breaks a naming
convention ("lint"). SNMP metric names are MIB names (``ifHCInOctets``, a counter without
``_total``), which snmp_exporter itself has always printed; for those, the tests require that
netmon adds no finding that snmp_exporter's own output for the same module does not have.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

PARSE_ERROR = 1
LINT_PROBLEMS = 3


@dataclass(frozen=True)
class PromtoolResult:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        """Parsed, and no lint finding at all."""
        return self.returncode == 0

    @property
    def parsed(self) -> bool:
        return self.returncode in (0, LINT_PROBLEMS)

    @property
    def lint(self) -> set[str]:
        if self.returncode != LINT_PROBLEMS:
            return set()
        return {line for line in self.output.splitlines() if line.strip()}


def promtool_path() -> str:
    path = shutil.which("promtool")
    if path is None:
        raise RuntimeError("promtool not found: install Debian's 'prometheus' package (.ci/run)")
    return path


def check_metrics(exposition: bytes | str) -> PromtoolResult:
    data = exposition.encode() if isinstance(exposition, str) else exposition
    proc = subprocess.run([promtool_path(), "check", "metrics"], input=data,
                          capture_output=True, timeout=60, check=False)
    return PromtoolResult(proc.returncode, (proc.stdout + proc.stderr).decode(errors="replace"))
