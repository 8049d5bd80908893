"""Mount table, exclusions, statfs and hung mounts."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from exporters.exposition import render
from exporters.host import HostConfig
from exporters.host.config import compile_pattern
from exporters.host.filesystem import (
    FilesystemCollector,
    FilesystemStats,
    filesystem_families,
    select_mounts,
)
from exporters.host.mounts import MountEntry, parse_mounts, read_mounts, rootfs_file_path
from exporters.host.statfs import FsStat, StuckMounts
from tests.exporters.host.conftest import FIXTURE_PROC
from tests.peers.exposition import parse

STAT = FsStat(block_size=4096, blocks=1000, blocks_free=600, blocks_avail=500, files=256,
              files_free=200)


def fixture_mounts() -> list[MountEntry]:
    return read_mounts(str(FIXTURE_PROC))


def default_selection(mounts: list[MountEntry]) -> list[MountEntry]:
    config = HostConfig()
    return select_mounts(mounts, compile_pattern(config.mount_points_exclude),
                         compile_pattern(config.fs_types_exclude))


def test_parse_mounts_decodes_only_the_escapes_node_exporter_decodes() -> None:
    text = ("/dev/sdb1 /srv/Phường\\040Hàng\\040Bạc xfs rw 0 0\n"
            "/dev/sdb2 /srv/tab\\011dir xfs rw 0 0\n"
            "/dev/sdb3 /srv/back\\134slash xfs rw 0 0\n"
            "/dev/sdb4 /srv/new\\012line xfs ro,relatime 0 0\n")
    assert [m.mount_point for m in parse_mounts(text)] == [
        "/srv/Phường Hàng Bạc", "/srv/tab\tdir", "/srv/back\\134slash", "/srv/new\\012line"]
    assert [m.read_only for m in parse_mounts(text)] == [False, False, False, True]


def test_parse_mounts_rejects_a_malformed_line() -> None:
    with pytest.raises(ValueError, match="malformed mount point"):
        parse_mounts("/dev/sda1 /boot ext4\n")


def test_parse_mounts_strips_rootfs_like_node_exporter() -> None:
    text = "/dev/sda1 /host/boot ext4 rw 0 0\nroot /host ext4 rw 0 0\n"
    assert [m.mount_point for m in parse_mounts(text, rootfs="/host")] == ["/boot", "/"]
    assert rootfs_file_path("/host", "/boot") == "/host/boot"
    assert rootfs_file_path("/", "/boot") == "/boot"
    assert rootfs_file_path("/", "/") == "/"


def test_read_mounts_falls_back_to_proc_mounts_when_pid_1_is_hidden(tmp_path: Path) -> None:
    (tmp_path / "mounts").write_text("/dev/vda / ext4 rw 0 0\n", encoding="utf-8")
    assert read_mounts(str(tmp_path)) == [MountEntry("/dev/vda", "/", "ext4", "rw")]
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "mounts").write_text("/dev/vdb / xfs ro 0 0\n", encoding="utf-8")
    assert read_mounts(str(tmp_path))[0].device == "/dev/vdb"


def test_default_exclusions_leave_out_pseudo_and_container_filesystems() -> None:
    kept = [(m.mount_point, m.fs_type) for m in default_selection(fixture_mounts())]
    assert kept == [
        ("/", "ext4"),
        ("/run", "tmpfs"),
        ("/boot", "ext4"),
        ("/var/lib/postgresql", "xfs"),
        ("/srv/Phường Hàng Bạc", "xfs"),
        ("/srv/tab\tdir", "xfs"),
        ("/srv/back\\134slash", "xfs"),
        ("/srv/new\\012line", "xfs"),
        ("/srv/archive", "ext4"),  # listed twice, reported once
        ("/mnt/backup", "nfs4"),
    ]


def test_filesystem_families_with_statfs_values() -> None:
    root = MountEntry("/dev/sda2", "/", "ext4", "rw,relatime")
    archive = MountEntry("/dev/sdb1", "/srv/archive", "ext4", "ro,relatime")
    dead = MountEntry("10.0.0.5:/backup", "/mnt/backup", "nfs4", "rw")
    exp = parse(render(filesystem_families([FilesystemStats(root, STAT),
                                            FilesystemStats(archive, STAT),
                                            FilesystemStats(dead, None)])))
    labels = frozenset({("device", "/dev/sda2"), ("fstype", "ext4"), ("mountpoint", "/")})
    assert {name: exp.values[(name, labels)] for name in exp.names()} == {
        "node_filesystem_size_bytes": 4096000, "node_filesystem_free_bytes": 2457600,
        "node_filesystem_avail_bytes": 2048000, "node_filesystem_files": 256,
        "node_filesystem_files_free": 200, "node_filesystem_readonly": 0,
        "node_filesystem_device_error": 0}
    ro = frozenset({("device", "/dev/sdb1"), ("fstype", "ext4"), ("mountpoint", "/srv/archive")})
    assert exp.values[("node_filesystem_readonly", ro)] == 1
    nfs = frozenset({("device", "10.0.0.5:/backup"), ("fstype", "nfs4"),
                     ("mountpoint", "/mnt/backup")})
    assert [n for n in exp.names() if (n, nfs) in exp.values] == ["node_filesystem_device_error"]
    assert exp.values[("node_filesystem_device_error", nfs)] == 1
    assert set(exp.types.values()) == {"gauge"}


def test_collector_reports_statfs_failures_as_device_errors() -> None:
    seen: list[str] = []

    def fake_statfs(path: str) -> FsStat:
        seen.append(path)
        if "backup" in path:
            raise PermissionError(13, "Permission denied", path)
        return STAT

    config = HostConfig(procfs=FIXTURE_PROC, rootfs="/")
    exp = parse(render(FilesystemCollector(config, fake_statfs).collect()))
    assert "/srv/Phường Hàng Bạc" in seen
    assert exp.values[("node_filesystem_device_error", frozenset(
        {("device", "10.10.0.5:/export/backup"), ("fstype", "nfs4"),
         ("mountpoint", "/mnt/backup")}))] == 1
    assert len(exp.series("node_filesystem_size_bytes")) == 9


def test_a_hung_statfs_marks_the_mount_stuck_until_it_answers() -> None:
    release = threading.Event()
    calls: list[str] = []

    def hanging_statfs(path: str) -> FsStat:
        calls.append(path)
        if path == "/mnt/backup":
            release.wait(10)
        return STAT

    stuck = StuckMounts(hanging_statfs)
    with pytest.raises(TimeoutError):
        stuck.stat("/mnt/backup", "/mnt/backup", timeout=0.05)
    assert stuck.is_stuck("/mnt/backup")
    assert stuck.stat("/", "/", timeout=1.0) == STAT  # other mounts carry on
    release.set()
    for _ in range(200):
        if not stuck.is_stuck("/mnt/backup"):
            break
        time.sleep(0.01)
    assert not stuck.is_stuck("/mnt/backup")
    assert stuck.stat("/mnt/backup", "/mnt/backup", timeout=1.0) == STAT


def test_collector_skips_a_stuck_mount_and_reports_it(tmp_path: Path) -> None:
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "mounts").write_text(
        "/dev/sda2 / ext4 rw 0 0\nnas:/b /mnt/backup nfs4 rw 0 0\n", encoding="utf-8")
    release = threading.Event()
    calls: list[str] = []

    def hanging_statfs(path: str) -> FsStat:
        calls.append(path)
        if path == "/mnt/backup":
            release.wait(10)
        return STAT

    collector = FilesystemCollector(HostConfig(procfs=tmp_path, mount_timeout=0.05),
                                    hanging_statfs)
    try:
        for _ in range(2):
            exp = parse(render(collector.collect()))
            errors = {dict(k)["mountpoint"]: v
                      for k, v in exp.series("node_filesystem_device_error").items()}
            assert errors == {"/": 0, "/mnt/backup": 1}
        assert calls.count("/mnt/backup") == 1  # not stat'ed again while stuck
    finally:
        release.set()
