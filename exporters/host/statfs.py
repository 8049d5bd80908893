"""statfs with node_exporter's protection against hung mounts.

``os.statvfs`` is used rather than ``psutil.disk_usage()`` because node_exporter multiplies
block counts by ``f_bsize`` where psutil uses ``f_frsize``; glibc's statvfs copies ``f_bsize``
and the block counts straight from statfs(2), so these are node_exporter's numbers.

A statfs on a dead NFS server can hang for ever. As in node_exporter, each call runs in its
own (daemon) thread and is given ``mount_timeout`` seconds; a mount point that does not answer
is marked stuck, reports ``node_filesystem_device_error 1`` and is not stat'ed again until the
hung call returns. The hung thread never blocks the exporter, other mounts or process exit.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FsStat", "StatFs", "StuckMounts", "statfs"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FsStat:
    """The statfs(2) fields node_exporter reports."""

    block_size: int  # f_bsize
    blocks: int
    blocks_free: int
    blocks_avail: int
    files: int
    files_free: int


StatFs = Callable[[str], FsStat]


def statfs(path: str) -> FsStat:
    st = os.statvfs(path)
    return FsStat(block_size=st.f_bsize, blocks=st.f_blocks, blocks_free=st.f_bfree,
                  blocks_avail=st.f_bavail, files=st.f_files, files_free=st.f_ffree)


class _Call:
    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = False
        self.result: FsStat | None = None
        self.error: Exception | None = None


class StuckMounts:
    """Mount points whose statfs did not return in time (node_exporter's ``stuckMounts``)."""

    def __init__(self, statfs_fn: StatFs = statfs) -> None:
        self._statfs = statfs_fn
        self._lock = threading.Lock()
        self._stuck: set[str] = set()

    def is_stuck(self, mount_point: str) -> bool:
        with self._lock:
            return mount_point in self._stuck

    def stat(self, mount_point: str, path: str, timeout: float) -> FsStat:
        """statfs ``path``; raise ``TimeoutError`` (and mark it stuck) if it does not answer."""
        call = _Call()
        worker = threading.Thread(target=self._run, args=(call, mount_point, path),
                                  name="netmon-statfs", daemon=True)
        worker.start()
        worker.join(timeout)
        with self._lock:
            if not call.done:  # still running: a late answer unmarks it in _run
                self._stuck.add(mount_point)
                log.warning("statfs timed out, mount point marked stuck mountpoint=%s "
                            "timeout=%ss", mount_point, timeout)
                raise TimeoutError(f"statfs {path!r} did not answer within {timeout}s")
        if call.error is not None:
            raise call.error
        if call.result is None:  # unreachable: a finished call has a result or an error
            raise OSError(f"statfs {path!r} returned nothing")
        return call.result

    def _run(self, call: _Call, mount_point: str, path: str) -> None:
        try:
            call.result = self._statfs(path)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
            call.error = exc
        with self._lock:
            if mount_point in self._stuck:
                self._stuck.discard(mount_point)
                log.warning("mount point answered again, monitoring resumes mountpoint=%s",
                            mount_point)
            else:
                call.done = True
