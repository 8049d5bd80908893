"""``/proc/stat``: the cpu and stat collectors."""

from __future__ import annotations

import pytest

from exporters.exposition import render
from exporters.host.cpu import CpuCollector, cpu_families, update_cpu_cache
from exporters.host.procstat import CpuTimes, ProcStat, parse_proc_stat
from exporters.host.stat import StatCollector, stat_families
from tests.exporters.host.conftest import FIXTURE_PROC
from tests.peers.exposition import parse

STAT = """\
cpu  300 0 200 100000 10 0 5 0 0 0
cpu0 150 0 100 50000 5 0 3 0 12 1
cpu2 150 0 100 50000 5 0 2 0 0 0
intr 123456 0 9 0
ctxt 987654
btime 1767225600
processes 4242
procs_running 3
procs_blocked 1
softirq 111 0 1 2
"""


def test_parse_proc_stat_numbers_cpus_by_their_line_not_their_position() -> None:
    stat = parse_proc_stat(STAT)
    assert sorted(stat.cpus) == [0, 2]  # cpu1 is offline: psutil would call cpu2 "1"
    assert stat.cpus[0] == CpuTimes(1.5, 0.0, 1.0, 500.0, 0.05, 0.0, 0.03, 0.0, 0.12, 0.01)
    assert (stat.boot_time, stat.interrupts, stat.context_switches, stat.forks,
            stat.procs_running, stat.procs_blocked) == (1767225600, 123456, 987654, 4242, 3, 1)


def test_parse_proc_stat_divides_ticks_like_procfs() -> None:
    # 3612345 ticks / 100 must be the double Go computes, 36123.45.
    stat = parse_proc_stat("cpu0 3612345 5031 845123 246913580 61702 0 98765 0 617 0\n")
    assert stat.cpus[0].user == 36123.45
    assert stat.cpus[0].idle == 2469135.8


def test_parse_proc_stat_tolerates_old_kernels_and_missing_lines() -> None:
    stat = parse_proc_stat("cpu0 1 2 3 4\n")  # 2.4-era: four fields
    assert stat.cpus[0] == CpuTimes(0.01, 0.02, 0.03, 0.04)
    assert stat == ProcStat(cpus={0: CpuTimes(0.01, 0.02, 0.03, 0.04)})


@pytest.mark.parametrize("text", ["cpux 1 2 3\n", "cpu0 1 two 3\n", "ctxt many\n"])
def test_parse_proc_stat_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="/proc/stat"):
        parse_proc_stat(text)


def test_cpu_cache_keeps_counters_monotonic() -> None:
    first = {0: CpuTimes(user=10.0, idle=100.0, iowait=5.0)}
    second = {0: CpuTimes(user=11.0, idle=101.0, iowait=4.99)}  # iowait stepped back a tick
    cache = update_cpu_cache(update_cpu_cache({}, first), second)
    assert cache[0] == CpuTimes(user=11.0, idle=101.0, iowait=5.0)


def test_cpu_cache_resets_a_cpu_whose_idle_jumps_back_three_seconds() -> None:
    cache = {0: CpuTimes(user=50.0, idle=1000.0), 1: CpuTimes(user=50.0, idle=1000.0)}
    replugged = {0: CpuTimes(user=1.0, idle=2.0), 1: CpuTimes(user=50.0, idle=998.0)}
    out = update_cpu_cache(cache, replugged)
    assert out[0] == CpuTimes(user=1.0, idle=2.0)  # hot-plugged: starts afresh
    assert out[1] == CpuTimes(user=50.0, idle=1000.0)  # 2 s back: kept


def test_cpu_cache_drops_cpus_that_went_offline() -> None:
    cache = {0: CpuTimes(idle=1.0), 1: CpuTimes(idle=1.0)}
    assert list(update_cpu_cache(cache, {0: CpuTimes(idle=2.0)})) == [0]


def test_cpu_families_names_labels_and_types() -> None:
    exp = parse(render(cpu_families({3: CpuTimes(user=1.5, guest=0.25, guest_nice=0.5)})))
    assert exp.types == {"node_cpu_seconds_total": "counter",
                         "node_cpu_guest_seconds_total": "counter"}
    assert exp.series("node_cpu_seconds_total")[frozenset({("cpu", "3"), ("mode", "user")})] == 1.5
    assert {dict(k)["mode"] for k in exp.series("node_cpu_seconds_total")} == {
        "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"}
    assert exp.series("node_cpu_guest_seconds_total") == {
        frozenset({("cpu", "3"), ("mode", "user")}): 0.25,
        frozenset({("cpu", "3"), ("mode", "nice")}): 0.5}


def test_cpu_collector_reads_the_procfs_it_is_given() -> None:
    exp = parse(render(CpuCollector(str(FIXTURE_PROC)).collect()))
    assert exp.values[("node_cpu_seconds_total",
                       frozenset({("cpu", "0"), ("mode", "user")}))] == 36123.45


def test_stat_families() -> None:
    exp = parse(render(stat_families(parse_proc_stat(STAT))))
    assert exp.values[("node_boot_time_seconds", frozenset())] == 1767225600
    assert exp.values[("node_context_switches_total", frozenset())] == 987654
    assert exp.values[("node_intr_total", frozenset())] == 123456
    assert exp.values[("node_forks_total", frozenset())] == 4242
    assert exp.values[("node_procs_running", frozenset())] == 3
    assert exp.values[("node_procs_blocked", frozenset())] == 1
    assert exp.types["node_boot_time_seconds"] == "gauge"
    assert exp.types["node_context_switches_total"] == "counter"
    assert exp.helps["node_boot_time_seconds"] == "Node boot time, in unixtime."


def test_stat_collector_reads_the_fixture() -> None:
    exp = parse(render(StatCollector(str(FIXTURE_PROC)).collect()))
    assert exp.values[("node_boot_time_seconds", frozenset())] == 1767225600
