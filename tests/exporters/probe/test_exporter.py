"""ProbeExporter's behaviour with its edges injected: no ICMP permission, names that do not
resolve, labels, cumulative counters, concurrency, the harness, promtool. ICMP sockets are
never opened here (the opener is a stand-in); TCP connects go to loopback listeners."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest

from exporters.contract import Exporter
from exporters.exposition import render
from exporters.harness import run_exporter
from exporters.probe import ProbeConfig, ProbeExporter, ProbeTarget
from exporters.probe.resolve import Resolved, ip_addr_hash
from exporters.probe.sockets import IcmpOpenFailure, IcmpSocket
from tests.exporters.probe.conftest import absent, exposition, value
from tests.peers.promtool import check_metrics

FAST = {"count": 3, "spacing": 0.01, "timeout": 0.5}
NO_ICMP = IcmpOpenFailure(
    "EACCES (this process's group is outside net.ipv4.ping_group_range)",
    "EPERM (no CAP_NET_RAW)")


def no_icmp(version: int) -> IcmpSocket | IcmpOpenFailure:
    return NO_ICMP


async def unresolvable(target: ProbeTarget) -> Resolved:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_is_an_exporter() -> None:
    exporter = ProbeExporter(ProbeConfig(name="probe:wan"))
    assert isinstance(exporter, Exporter)
    assert exporter.name == "probe:wan"


async def test_no_targets_no_series() -> None:
    families = await ProbeExporter(ProbeConfig()).collect()
    assert all(not f.samples for f in families)


async def test_auto_falls_back_to_tcp_and_says_why(loopback_listener: int,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    target = ProbeTarget("dc-primary", "127.0.0.1", {"probe_dc": "primary"},
                         port=loopback_listener)
    exporter = ProbeExporter(ProbeConfig(targets=(target,), **FAST), opener=no_icmp)
    with caplog.at_level(logging.INFO, logger="exporters.probe"):
        exp = exposition(await exporter.collect())
    assert value(exp, "netmon_probe_method", method="tcp", socket="stream") == 1
    assert value(exp, "probe_success") == 1
    assert value(exp, "netmon_probe_loss_ratio") == 0
    assert 0 < value(exp, "netmon_probe_rtt_seconds", stat="median") < 0.5
    assert absent(exp, "probe_icmp_duration_seconds")  # not an ICMP run
    assert value(exp, "smokeping_response_duration_seconds_count", ip="127.0.0.1") == 3
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "target=dc-primary" in warning.getMessage()
    assert "method=tcp" in warning.getMessage()
    assert "no CAP_NET_RAW" in warning.getMessage()


async def test_forced_icmp_without_permission_probes_nothing(
        caplog: pytest.LogCaptureFixture) -> None:
    target = ProbeTarget("gw", "10.0.0.1", method="icmp", port=443)
    exporter = ProbeExporter(ProbeConfig(targets=(target,), **FAST), opener=no_icmp)
    with caplog.at_level(logging.INFO, logger="exporters.probe"):
        await exporter.collect()
        exp = exposition(await exporter.collect())
    assert value(exp, "netmon_probe_method", method="none", socket="") == 1
    assert value(exp, "probe_success") == 0
    assert value(exp, "netmon_probe_loss_ratio") == 1
    assert value(exp, "netmon_probe_errors_total", reason="unavailable") == 2
    assert value(exp, "netmon_probe_packets_sent_total") == 0
    assert value(exp, "probe_ip_protocol") == 4
    # Logged once, when it started; not at every run.
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "probe cannot probe target=gw" in warnings[0]
    assert "ping_group_range" in warnings[0]


async def test_auto_without_a_port_has_nothing_to_fall_back_to(
        caplog: pytest.LogCaptureFixture) -> None:
    exporter = ProbeExporter(ProbeConfig(targets=(ProbeTarget("gw", "10.0.0.1"),), **FAST),
                             opener=no_icmp)
    with caplog.at_level(logging.WARNING, logger="exporters.probe"):
        exp = exposition(await exporter.collect())
    assert value(exp, "netmon_probe_method", method="none") == 1
    assert "no port to fall back to TCP" in caplog.text


async def test_a_name_that_does_not_resolve(loopback_listener: int,
                                            caplog: pytest.LogCaptureFixture) -> None:
    targets = (ProbeTarget("bad", "collector.invalid", port=9750),
               ProbeTarget("good", "127.0.0.1", method="tcp", port=loopback_listener))

    async def resolver(target: ProbeTarget) -> Resolved:
        if target.name == "bad":
            return await unresolvable(target)
        return Resolved(target.address, 4, 0.0)

    exporter = ProbeExporter(ProbeConfig(targets=targets, **FAST), resolver=resolver)
    with caplog.at_level(logging.WARNING, logger="exporters.probe"):
        exp = exposition(await exporter.collect())
    assert value(exp, "netmon_probe_errors_total", target="bad", reason="resolve") == 1
    assert value(exp, "probe_success", target="bad") == 0
    assert value(exp, "probe_ip_protocol", target="bad") == 0
    assert value(exp, "netmon_probe_loss_ratio", target="bad") == 1
    assert absent(exp, "probe_ip_addr_hash", target="bad")
    assert absent(exp, "smokeping_requests_total", target="bad")
    assert value(exp, "probe_success", target="good") == 1  # the other target is unaffected
    assert "target=bad" in caplog.text and "cannot resolve" in caplog.text


async def test_every_series_carries_the_targets_labels(loopback_listener: int) -> None:
    targets = (ProbeTarget("a", "127.0.0.1", {"probe_dc": "backup", "probe_role": "gateway",
                                              "circuit": "c1"}, port=loopback_listener),
               ProbeTarget("b", "127.0.0.1", {"probe_dc": "primary"}, port=1))
    families = await ProbeExporter(ProbeConfig(targets=targets, **FAST),
                                   opener=no_icmp).collect()
    names = set()
    for family in families:
        for sample in family.samples:
            names.add(family.name)
            target = sample.labels["target"]
            assert sample.labels.items() >= dict(targets[target == "b"].labels).items(), (
                sample)
    assert {"probe_success", "probe_duration_seconds", "probe_ip_protocol",
            "smokeping_response_duration_seconds", "smokeping_requests_total",
            "netmon_probe_loss_ratio", "netmon_probe_jitter_seconds",
            "netmon_probe_packets_sent_total", "netmon_probe_packets_received_total"} <= names


async def test_counters_are_cumulative_across_runs(loopback_listener: int) -> None:
    target = ProbeTarget("dc", "127.0.0.1", method="tcp", port=loopback_listener)
    exporter = ProbeExporter(ProbeConfig(targets=(target,), **FAST))
    await exporter.collect()
    exp = exposition(await exporter.collect())
    assert value(exp, "netmon_probe_packets_sent_total") == 6
    assert value(exp, "netmon_probe_packets_received_total") == 6
    assert value(exp, "smokeping_requests_total") == 6
    assert value(exp, "smokeping_response_duration_seconds_count") == 6
    assert value(exp, "smokeping_response_duration_seconds_bucket", le="+Inf") == 6
    assert value(exp, "probe_ip_addr_hash") == ip_addr_hash("127.0.0.1")


async def test_a_closed_port_is_a_failed_probe() -> None:
    target = ProbeTarget("closed", "127.0.0.1", method="tcp", port=1)
    exp = exposition(await ProbeExporter(ProbeConfig(targets=(target,), **FAST)).collect())
    assert value(exp, "probe_success") == 0
    assert value(exp, "netmon_probe_errors_total", reason="refused") == 3
    assert value(exp, "netmon_probe_packets_sent_total") == 3
    assert value(exp, "netmon_probe_packets_received_total") == 0


async def test_targets_are_probed_at_the_same_time(loopback_listener: int) -> None:
    # Each target's run takes (count - 1) * spacing = 0.4 s; in turn, three would take 1.2 s.
    targets = tuple(ProbeTarget(f"t{i}", "127.0.0.1", method="tcp", port=loopback_listener)
                    for i in range(3))
    exporter = ProbeExporter(ProbeConfig(targets=targets, count=3, spacing=0.2, timeout=0.5))
    started = time.perf_counter()
    exp = exposition(await exporter.collect())
    elapsed = time.perf_counter() - started
    assert 0.4 <= elapsed < 1.0
    assert all(value(exp, "probe_success", target=f"t{i}") == 1 for i in range(3))


async def test_the_harness_runs_it(loopback_listener: int) -> None:
    target = ProbeTarget("dc", "127.0.0.1", method="tcp", port=loopback_listener)
    run = await run_exporter(ProbeExporter(ProbeConfig(targets=(target,), **FAST)), 5)
    assert run.success and run.exporter == "probe"


async def test_a_run_cut_short_leaves_the_exporter_usable(loopback_listener: int) -> None:
    target = ProbeTarget("dc", "127.0.0.1", method="tcp", port=loopback_listener)
    exporter = ProbeExporter(ProbeConfig(targets=(target,), count=5, spacing=0.1,
                                         timeout=0.5))
    run = await run_exporter(exporter, 0.15)
    assert not run.success and "timed out" in run.error
    exp = exposition(await exporter.collect())
    assert value(exp, "probe_success") == 1


async def test_promtool_accepts_the_exposition(loopback_listener: int) -> None:
    targets = (ProbeTarget("a", "127.0.0.1", {"probe_dc": "primary"}, port=loopback_listener),
               ProbeTarget("b", "127.0.0.1", method="tcp", port=1))
    families = await ProbeExporter(ProbeConfig(targets=targets, **FAST),
                                   opener=no_icmp).collect()
    result = await asyncio.to_thread(check_metrics, render(families))
    assert result.ok, result.output
