"""Fixtures for the host exporter's tests.

``fixtures/proc`` is a captured-and-edited ``/proc`` of a data-centre host (4 CPUs, 256 GiB,
SATA + NVMe + device-mapper disks, a bond over two ports, a Vietnamese mount point and every
escape the kernel writes in a mount table). ``fixtures/node_exporter-1.5.0.prom`` is what the
real node_exporter 1.5.0 printed for that tree (see ``fixtures/README.md``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from exporters.host import HostConfig
from exporters.host.collector import Collector
from exporters.host.exporter import default_collectors

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_PROC = FIXTURES / "proc"
GOLDEN = FIXTURES / "node_exporter-1.5.0.prom"
# A rootfs that does not exist: every statfs fails, so the golden file is the same on every
# machine (each mount reports node_filesystem_device_error 1).
MISSING_ROOTFS = "/nonexistent-netmon-rootfs"
# The collectors that read only the fixture tree (time and uname read the live system).
FIXTURE_COLLECTORS = ("cpu", "diskstats", "filesystem", "loadavg", "meminfo", "netdev", "stat")


def fixture_collectors(config: HostConfig) -> list[Collector]:
    return [c for c in default_collectors(config) if c.name in FIXTURE_COLLECTORS]


@pytest.fixture
def fixture_config() -> HostConfig:
    return HostConfig(procfs=FIXTURE_PROC, rootfs=MISSING_ROOTFS)


@pytest.fixture
def psutil_fixture_proc(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point psutil's own procfs path at the fixture tree for one test."""
    monkeypatch.setattr(psutil, "PROCFS_PATH", str(FIXTURE_PROC))
    yield FIXTURE_PROC
