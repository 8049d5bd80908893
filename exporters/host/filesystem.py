"""node_exporter's ``filesystem`` collector: ``node_filesystem_*{device,fstype,mountpoint}``.

Mounts come from :mod:`exporters.host.mounts`, sizes from :mod:`exporters.host.statfs`.
Pseudo and container filesystems are left out by node_exporter's default mount-point and
fs-type patterns (see :mod:`exporters.host.config`). A mount point listed twice with the same
device and type (bind mounts, ``/proc/1/mounts`` repeats) is reported once, the first time.
A mount whose statfs fails or hangs reports only ``node_filesystem_device_error 1``, as in
node_exporter 1.5.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client import Metric

from exporters.host.collector import gauge, label_text
from exporters.host.config import HostConfig, compile_pattern
from exporters.host.mounts import MountEntry, read_mounts, rootfs_file_path
from exporters.host.statfs import FsStat, StatFs, StuckMounts, statfs

__all__ = ["FilesystemCollector", "FilesystemStats", "filesystem_families", "select_mounts"]

log = logging.getLogger(__name__)

_HELP = {
    "size_bytes": "Filesystem size in bytes.",
    "free_bytes": "Filesystem free space in bytes.",
    "avail_bytes": "Filesystem space available to non-root users in bytes.",
    "files": "Filesystem total file nodes.",
    "files_free": "Filesystem total free file nodes.",
    "readonly": "Filesystem read-only status.",
}
_DEVICE_ERROR_HELP = "Whether an error occurred while getting statistics for the given device."


@dataclass(frozen=True, slots=True)
class FilesystemStats:
    """One mount and its statfs answer (``None`` when statfs failed or hung)."""

    mount: MountEntry
    stat: FsStat | None


class FilesystemCollector:
    """Size, free space and inodes of every real filesystem."""

    name = "filesystem"

    def __init__(self, config: HostConfig, statfs_fn: StatFs = statfs) -> None:
        self._procfs = config.procfs_path
        self._rootfs = config.rootfs_path
        self._timeout = config.mount_timeout
        self._mount_points_exclude = compile_pattern(config.mount_points_exclude)
        self._fs_types_exclude = compile_pattern(config.fs_types_exclude)
        self._stuck = StuckMounts(statfs_fn)

    def collect(self) -> list[Metric]:
        mounts = select_mounts(read_mounts(self._procfs, self._rootfs),
                               self._mount_points_exclude, self._fs_types_exclude)
        return filesystem_families([FilesystemStats(m, self._stat(m)) for m in mounts])

    def _stat(self, mount: MountEntry) -> FsStat | None:
        if self._stuck.is_stuck(mount.mount_point):
            log.debug("mount point is in an unresponsive state mountpoint=%s", mount.mount_point)
            return None
        path = rootfs_file_path(self._rootfs, mount.mount_point)
        try:
            return self._stuck.stat(mount.mount_point, path, self._timeout)
        except (OSError, ValueError) as exc:  # TimeoutError is an OSError
            log.debug("error on statfs() path=%s error=%s", path, exc)
            return None


def select_mounts(mounts: Sequence[MountEntry], mount_points_exclude: re.Pattern[str] | None,
                  fs_types_exclude: re.Pattern[str] | None) -> list[MountEntry]:
    """The mounts node_exporter reports, in mount-table order, each label set once."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for mount in mounts:
        if mount_points_exclude is not None and mount_points_exclude.search(mount.mount_point):
            continue
        if fs_types_exclude is not None and fs_types_exclude.search(mount.fs_type):
            continue
        key = (mount.device, mount.mount_point, mount.fs_type)
        if key in seen:
            continue
        seen.add(key)
        out.append(mount)
    return out


def filesystem_families(stats: Sequence[FilesystemStats]) -> list[Metric]:
    error = gauge("node_filesystem_device_error", _DEVICE_ERROR_HELP)
    families = {key: gauge(f"node_filesystem_{key}", text) for key, text in _HELP.items()}
    for entry in stats:
        mount, st = entry.mount, entry.stat
        labels = {"device": label_text(mount.device), "fstype": label_text(mount.fs_type),
                  "mountpoint": label_text(mount.mount_point)}
        error.add_sample(error.name, labels, 0.0 if st is not None else 1.0)
        if st is None:
            continue
        bsize = float(st.block_size)
        values = {
            "size_bytes": float(st.blocks) * bsize,
            "free_bytes": float(st.blocks_free) * bsize,
            "avail_bytes": float(st.blocks_avail) * bsize,
            "files": float(st.files),
            "files_free": float(st.files_free),
            "readonly": 1.0 if mount.read_only else 0.0,
        }
        for key, value in values.items():
            family = families[key]
            family.add_sample(family.name, labels, value)
    return [error, *families.values()]
