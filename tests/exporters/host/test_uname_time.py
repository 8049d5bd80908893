"""``node_uname_info`` and ``node_time_seconds``."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from exporters.exposition import render
from exporters.host.clock import TimeCollector, time_families
from exporters.host.timex import TIME_ERROR, Timex, TimexCollector, read_timex, timex_families
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


def test_timex_arithmetic_is_node_exporters() -> None:
    """Microseconds, or nanoseconds with STA_NANO; ppm with a 16-bit fraction; TIME_ERROR."""
    base = Timex(state=0, offset=-1500, freq=6553600, maxerror=250_000, esterror=1_200,
                 status=0x2001, constant=7, tick=10000, ppsfreq=-65536, jitter=2_000,
                 shift=3, stabil=131072, jitcnt=4, calcnt=5, errcnt=6, stbcnt=7, tai=37)
    exp = parse(render(timex_families(base)))
    v = {name: value for (name, _), value in exp.values.items()}
    assert v["node_timex_offset_seconds"] == -1.5e-6          # nanoseconds (STA_NANO)
    assert v["node_timex_pps_jitter_seconds"] == 2e-6
    assert v["node_timex_frequency_adjustment_ratio"] == 1.0001  # 100 ppm
    assert v["node_timex_maxerror_seconds"] == 0.25
    assert v["node_timex_estimated_error_seconds"] == 0.0012
    assert v["node_timex_tick_seconds"] == 0.01
    assert v["node_timex_pps_frequency_hertz"] == -1e-6
    assert v["node_timex_pps_stability_hertz"] == 2e-6
    assert v["node_timex_status"] == 0x2001
    assert v["node_timex_sync_status"] == 1
    assert v["node_timex_tai_offset_seconds"] == 37
    assert v["node_timex_pps_stability_exceeded_total"] == 7
    assert exp.types["node_timex_pps_error_total"] == "counter"
    micro = timex_families(dataclasses.replace(base, status=0, state=TIME_ERROR))
    v = {name: value for (name, _), value in parse(render(micro)).values.items()}
    assert v["node_timex_offset_seconds"] == -0.0015          # microseconds
    assert v["node_timex_sync_status"] == 0                   # adjtimex said TIME_ERROR


def test_timex_reads_this_machines_clock() -> None:
    t = read_timex()
    assert t.state in range(6) and t.tick > 0
    assert len(TimexCollector().collect()) == 17
