"""The host exporter's one configuration object.

Every default is node_exporter 1.5.0's own (upstream release, not a distribution's patch), so
an agent with an empty host section reports the same series as a stock node_exporter:

* ``--path.procfs`` / ``--path.rootfs``: ``procfs`` and ``rootfs``;
* ``--collector.filesystem.mount-points-exclude`` / ``fs-types-exclude`` / ``mount-timeout``;
* ``--collector.diskstats.device-exclude`` / ``device-include``;
* ``--collector.netdev.device-exclude`` / ``device-include`` (upstream excludes nothing).

Debian's package patches two defaults (its mount-point regex also drops ``/run``, ``/mnt`` and
``/media``, and its netdev default drops ``lo``); :data:`DEBIAN_MOUNT_POINTS_EXCLUDE` and
:data:`DEBIAN_NETDEV_DEVICE_EXCLUDE` name them for hosts whose dashboards were built on it.

Patterns are searched, not matched, like Go's ``regexp.MatchString``; they are compiled with
``re.ASCII`` so ``\\d`` and ``\\w`` mean what they mean in Go's RE2. An empty or ``None``
pattern means "no filter", as an empty flag does in node_exporter.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from exporters.errors import ConfigError

__all__ = [
    "DEBIAN_MOUNT_POINTS_EXCLUDE",
    "DEBIAN_NETDEV_DEVICE_EXCLUDE",
    "DEFAULT_DISKSTATS_DEVICE_EXCLUDE",
    "DEFAULT_FS_TYPES_EXCLUDE",
    "DEFAULT_MOUNT_POINTS_EXCLUDE",
    "HostConfig",
    "compile_pattern",
]

DEFAULT_MOUNT_POINTS_EXCLUDE = (
    "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
)
DEFAULT_FS_TYPES_EXCLUDE = (
    "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|"
    "iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|"
    "sysfs|tracefs)$"
)
DEFAULT_DISKSTATS_DEVICE_EXCLUDE = r"^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$"

DEBIAN_MOUNT_POINTS_EXCLUDE = (
    "^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
)
DEBIAN_NETDEV_DEVICE_EXCLUDE = "^lo$"


def compile_pattern(pattern: str | None) -> re.Pattern[str] | None:
    """Compile a node_exporter filter flag; empty or ``None`` means no filter."""
    if not pattern:
        return None
    return re.compile(pattern, re.ASCII)


@dataclass(frozen=True, slots=True)
class HostConfig:
    """What the host exporter reads and which devices it leaves out.

    ``procfs`` and ``rootfs`` accept any path-like and are stored as ``str``.
    """

    procfs: str | os.PathLike[str] = "/proc"
    rootfs: str | os.PathLike[str] = "/"
    mount_points_exclude: str | None = DEFAULT_MOUNT_POINTS_EXCLUDE
    fs_types_exclude: str | None = DEFAULT_FS_TYPES_EXCLUDE
    mount_timeout: float = 5.0
    diskstats_device_exclude: str | None = DEFAULT_DISKSTATS_DEVICE_EXCLUDE
    diskstats_device_include: str | None = None
    netdev_device_exclude: str | None = None
    netdev_device_include: str | None = None

    def __post_init__(self) -> None:
        for key in ("procfs", "rootfs"):
            path = os.fspath(getattr(self, key))
            if not path:
                raise ConfigError(f"host.{key} must be a non-empty path")
            object.__setattr__(self, key, path)
        for key in ("mount_points_exclude", "fs_types_exclude", "diskstats_device_exclude",
                    "diskstats_device_include", "netdev_device_exclude", "netdev_device_include"):
            pattern = getattr(self, key)
            try:
                compile_pattern(pattern)
            except re.error as exc:
                raise ConfigError(
                    f"host.{key}: {pattern!r} is not a valid regular expression ({exc}); "
                    "fix the pattern or leave the key out for node_exporter's default") from exc
        for prefix in ("diskstats", "netdev"):
            if getattr(self, f"{prefix}_device_exclude") and getattr(
                    self, f"{prefix}_device_include"):
                raise ConfigError(
                    f"host.{prefix}_device_exclude and host.{prefix}_device_include are mutually "
                    f"exclusive (as in node_exporter); set host.{prefix}_device_exclude to '' "
                    "when you list devices to include")
        if not self.mount_timeout > 0:
            raise ConfigError(
                f"host.mount_timeout: {self.mount_timeout!r} must be a positive number of seconds")

    @property
    def procfs_path(self) -> str:
        """``procfs`` as a string."""
        return os.fspath(self.procfs)

    @property
    def rootfs_path(self) -> str:
        """``rootfs`` as a string."""
        return os.fspath(self.rootfs)
