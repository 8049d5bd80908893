"""HostConfig: node_exporter 1.5.0's defaults, validated once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from exporters.errors import ConfigError
from exporters.host import HostConfig
from exporters.host.collector import DeviceFilter


def test_defaults_are_node_exporter_1_5_upstream_flags() -> None:
    config = HostConfig()
    assert config.procfs == "/proc"
    assert config.rootfs == "/"
    assert config.mount_points_exclude == (
        "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)")
    assert config.fs_types_exclude == (
        "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|"
        "iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|"
        "sysfs|tracefs)$")
    assert config.diskstats_device_exclude == r"^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$"
    assert config.netdev_device_exclude is None
    assert config.mount_timeout == 5.0


def test_config_is_frozen_and_takes_paths() -> None:
    config = HostConfig(procfs=Path("/host/proc"), rootfs=Path("/host"))
    assert config.procfs == "/host/proc"
    assert config.procfs_path == "/host/proc"
    assert config.rootfs_path == "/host"
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.procfs = "/proc"  # type: ignore[misc]


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"mount_points_exclude": "^/(dev"}, "host.mount_points_exclude"),
    ({"netdev_device_include": "[eth"}, "host.netdev_device_include"),
    ({"diskstats_device_include": "^sd"}, "mutually exclusive"),
    ({"netdev_device_exclude": "^lo$", "netdev_device_include": "^eth"}, "mutually exclusive"),
    ({"mount_timeout": 0}, "host.mount_timeout"),
    ({"procfs": ""}, "host.procfs"),
])
def test_bad_config_is_rejected_with_the_key_named(kwargs: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        HostConfig(**kwargs)  # type: ignore[arg-type]


def test_include_works_once_the_default_exclude_is_cleared() -> None:
    config = HostConfig(diskstats_device_exclude="", diskstats_device_include="^(sd|nvme)")
    devices = DeviceFilter.from_patterns(config.diskstats_device_exclude,
                                         config.diskstats_device_include)
    assert [d for d in ("sda", "nvme0n1", "dm-0") if not devices.ignored(d)] == ["sda", "nvme0n1"]


def test_device_filter_searches_like_go_and_digits_are_ascii() -> None:
    devices = DeviceFilter.from_patterns(r"\d$", None)  # unanchored, as Go's MatchString
    assert devices.ignored("sda1")
    assert not devices.ignored("sda")
    assert not devices.ignored("sda\u0661")  # ARABIC-INDIC DIGIT ONE is not \d in RE2
    assert not DeviceFilter().ignored("anything")
