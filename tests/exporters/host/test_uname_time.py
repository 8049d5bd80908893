"""``node_uname_info`` and ``node_time_seconds``."""

from __future__ import annotations

import os
from pathlib import Path

from exporters.exposition import render
from exporters.host.clock import TimeCollector, time_families
from exporters.host.uname import Uname, UnameCollector, read_uname, uname_families
from tests.exporters.host.conftest import FIXTURE_PROC
from tests.peers.exposition import parse


def test_uname_families_carry_the_six_utsname_fields() -> None:
    uname = Uname(sysname="Linux", nodename="dc1-app-07", release="6.1.0-18-amd64",
                  version="#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
                  machine="x86_64", domainname="(none)")
    exp = parse(render(uname_families(uname)))
    assert exp.values == {("node_uname_info", frozenset({
        ("sysname", "Linux"), ("nodename", "dc1-app-07"), ("release", "6.1.0-18-amd64"),
        ("version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"),
        ("machine", "x86_64"), ("domainname", "(none)")})): 1.0}
    assert exp.types == {"node_uname_info": "gauge"}


def test_read_uname_takes_the_domainname_from_procfs(tmp_path: Path) -> None:
    (tmp_path / "sys" / "kernel").mkdir(parents=True)
    (tmp_path / "sys" / "kernel" / "domainname").write_text("hanoi.example\n", encoding="ascii")
    uname = read_uname(str(tmp_path))
    assert uname.domainname == "hanoi.example"
    assert uname.nodename == os.uname().nodename
    assert read_uname(str(FIXTURE_PROC)).domainname == "(none)"
    assert len(UnameCollector(str(FIXTURE_PROC)).collect()[0].samples) == 1


def test_node_time_seconds_is_nanoseconds_over_1e9() -> None:
    exp = parse(render(TimeCollector(lambda: 1_795_803_546_223_751_800).collect()))
    assert exp.values == {("node_time_seconds", frozenset()): 1795803546.2237518}
    assert render(time_families(1_795_803_546_223_751_800)).endswith(
        b"node_time_seconds 1.7958035462237518e+09\n")
