"""node_exporter (Debian's ``prometheus-node-exporter``, 1.5): started on loopback on a port
from the kernel, scraped over HTTP, stopped by its PID.

:func:`flags_for` turns a :class:`~exporters.host.HostConfig` into node_exporter's flags, so a
conformance test compares the two exporters under the same settings. Every filter flag is
passed explicitly, even when empty: Debian's build patches two defaults (its mount-point
pattern and a netdev ``^lo$`` exclusion), and a test must not depend on the distribution.
"""

from __future__ import annotations

import contextlib
import shutil
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from exporters.host.config import HostConfig
from tests.peers.process import PeerProcess, free_tcp_port, running, tcp_ready

# node_exporter's names for the collectors netmon's host exporter implements.
HOST_COLLECTORS = ("cpu", "diskstats", "filesystem", "loadavg", "meminfo", "netdev", "stat",
                   "time", "timex", "uname")


def node_exporter_path() -> str:
    for name in ("prometheus-node-exporter", "node_exporter"):
        path = shutil.which(name)
        if path is not None:
            return path
    raise RuntimeError(
        "node_exporter not found: install Debian's 'prometheus-node-exporter' package (.ci/run)")


def flags_for(config: HostConfig) -> list[str]:
    """node_exporter flags that mean what ``config`` means to netmon."""
    flags = [
        f"--path.procfs={config.procfs_path}",
        f"--path.rootfs={config.rootfs_path}",
        f"--collector.filesystem.mount-points-exclude={config.mount_points_exclude or ''}",
        f"--collector.filesystem.fs-types-exclude={config.fs_types_exclude or ''}",
        f"--collector.filesystem.mount-timeout={config.mount_timeout}s",
        f"--collector.diskstats.device-exclude={config.diskstats_device_exclude or ''}",
        f"--collector.netdev.device-exclude={config.netdev_device_exclude or ''}",
    ]
    if config.diskstats_device_include:
        flags.append(f"--collector.diskstats.device-include={config.diskstats_device_include}")
    if config.netdev_device_include:
        flags.append(f"--collector.netdev.device-include={config.netdev_device_include}")
    return flags


@dataclass(frozen=True)
class NodeExporter:
    url: str
    process: PeerProcess

    def scrape(self, timeout: float = 10.0) -> str:
        """One scrape of ``/metrics``, as text."""
        with urllib.request.urlopen(self.url, timeout=timeout) as response:
            body: bytes = response.read()
        return body.decode("utf-8")


@contextlib.contextmanager
def node_exporter(args: Sequence[str] = (),
                  collectors: Sequence[str] = HOST_COLLECTORS) -> Iterator[NodeExporter]:
    """Run node_exporter with only ``collectors`` enabled, plus ``args``."""
    port = free_tcp_port()
    argv = [node_exporter_path(), f"--web.listen-address=127.0.0.1:{port}",
            "--collector.disable-defaults", *(f"--collector.{name}" for name in collectors),
            *args]
    with running(argv, "node_exporter", tcp_ready(port)) as process:
        yield NodeExporter(f"http://127.0.0.1:{port}/metrics", process)
