"""``promtool check metrics`` on the host exposition.

promtool's linter flags ``node_memory_MemTotal_bytes`` and the other ``/proc/meminfo`` field
names as camelCase: node_exporter 1.5 prints exactly those names (dashboards and alerts key
on them) and promtool flags its own output the same way, so those findings are expected and
are the only ones allowed. Everything else must pass promtool without a finding.
"""

from __future__ import annotations

import re

import pytest

from exporters.exposition import render
from exporters.host import HostExporter
from tests.peers.promtool import check_metrics

pytestmark = pytest.mark.peers

_CAMEL_CASE = re.compile(
    r"^node_memory_\w+ metric names should be written in 'snake_case' not 'camelCase'$")


async def test_host_exposition_parses_and_only_meminfo_names_are_linted() -> None:
    result = check_metrics(render(await HostExporter().collect()))
    assert result.returncode in (0, 3), result.output  # 1 would be a parse error
    findings = [line for line in result.output.splitlines() if line.strip()]
    assert findings, "expected promtool's camelCase findings for node_memory_* names"
    assert [f for f in findings if not _CAMEL_CASE.match(f)] == []


async def test_host_exposition_passes_promtool_apart_from_meminfo_names() -> None:
    families = await HostExporter().collect()
    kept = [f for f in families
            if not (f.name.startswith("node_memory_") and f.name != f.name.lower())]
    assert len(kept) < len(families)
    result = check_metrics(render(kept))
    assert result.ok, result.output
