"""The mount table, read the way node_exporter's filesystem collector reads it.

Read here rather than through ``psutil.disk_partitions()``, which reads ``/proc/self/mounts``
and applies its own idea of "physical" devices: node_exporter reads ``/proc/1/mounts`` (the
mounts of PID 1, the host's view even from an agent in its own mount namespace that shares
the host's PID namespace), falls back to ``/proc/mounts`` when ``/proc/1`` is hidden
(``hidepid``), and keeps the mount options, which say whether the filesystem is read-only.

Escapes: the kernel writes a space, tab, newline and backslash in a mount point as ``\\040``,
``\\011``, ``\\012`` and ``\\134``. node_exporter 1.5 decodes only ``\\040`` and ``\\011``
(fstab(5)'s two) and so does this parser, so label values match node_exporter's for every
mount point; the rare mount point with a newline or backslash keeps its escape (and, as in
node_exporter, its statfs then fails and it reports ``node_filesystem_device_error 1``).
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MountEntry", "parse_mounts", "read_mounts", "rootfs_file_path"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MountEntry:
    """One line of the mount table. Text is decoded with ``surrogateescape``."""

    device: str
    mount_point: str
    fs_type: str
    options: str

    @property
    def read_only(self) -> bool:
        return "ro" in self.options.split(",")


def read_mounts(procfs: str, rootfs: str = "/") -> list[MountEntry]:
    """``<procfs>/1/mounts``, or ``<procfs>/mounts`` when PID 1's is not visible."""
    path = Path(procfs, "1", "mounts")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        log.debug("reading root mounts failed, falling back to system mounts path=%s", path)
        data = Path(procfs, "mounts").read_bytes()
    return parse_mounts(data.decode("utf-8", "surrogateescape"), rootfs)


def parse_mounts(text: str, rootfs: str = "/") -> list[MountEntry]:
    """Parse mount-table text; mount points are made relative to ``rootfs`` as node_exporter's
    ``--path.rootfs`` does."""
    entries = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        parts = line.split()
        if len(parts) < 4:
            raise ValueError(f"malformed mount point information: {line!r}")
        mount_point = parts[1].replace("\\040", " ").replace("\\011", "\t")
        entries.append(MountEntry(device=parts[0],
                                  mount_point=_rootfs_strip_prefix(mount_point, rootfs),
                                  fs_type=parts[2], options=parts[3]))
    return entries


def _rootfs_strip_prefix(path: str, rootfs: str) -> str:
    """node_exporter's ``rootfsStripPrefix`` (a plain string prefix, as in Go)."""
    if rootfs == "/":
        return path
    stripped = path.removeprefix(rootfs)
    return stripped or "/"


def rootfs_file_path(rootfs: str, path: str) -> str:
    """node_exporter's ``rootfsFilePath``: Go's ``filepath.Join(rootfs, path)``."""
    joined = posixpath.normpath(posixpath.join(rootfs, path.lstrip("/")))
    return "/" + joined.lstrip("/") if joined.startswith("/") else joined
