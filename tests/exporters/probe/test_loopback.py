"""Real ICMP echoes on this host's loopback (IPv4, IPv6, a name), through whichever ICMP
socket this process may open, and real TCP connects to a listener the test starts."""

from __future__ import annotations

import pytest

from exporters.probe import ProbeConfig, ProbeExporter, ProbeTarget
from exporters.probe.sockets import IcmpSocket, open_icmp_socket
from tests.exporters.probe.conftest import absent, closed_port, exposition, value

pytestmark = pytest.mark.probes

FAST = {"count": 5, "spacing": 0.02, "timeout": 1.0}


def icmp_kind(version: int) -> str:
    opened = open_icmp_socket(version)
    if not isinstance(opened, IcmpSocket):
        pytest.fail(f"this process may open no ICMP socket (run the tests as root, or allow "
                    f"its group in net.ipv4.ping_group_range): {opened}")
    opened.sock.close()
    return opened.kind


@pytest.mark.parametrize(("address", "version"), [("127.0.0.1", 4), ("::1", 6)])
async def test_icmp_echo_on_loopback(address: str, version: int) -> None:
    kind = icmp_kind(version)
    target = ProbeTarget("lo", address, {"probe_dc": "primary"})
    exporter = ProbeExporter(ProbeConfig(targets=(target,), **FAST))
    exp = exposition(await exporter.collect())
    assert value(exp, "netmon_probe_method", method="icmp", socket=kind) == 1
    assert value(exp, "probe_success", probe_dc="primary") == 1
    assert value(exp, "netmon_probe_loss_ratio") == 0
    assert value(exp, "probe_ip_protocol") == version
    # Loopback answers in microseconds; 50 ms leaves room for a loaded machine.
    rtt = value(exp, "probe_icmp_duration_seconds", phase="rtt")
    assert 0 < rtt < 0.05
    assert value(exp, "netmon_probe_rtt_seconds", stat="median") == rtt
    assert value(exp, "probe_icmp_duration_seconds", phase="setup") > 0
    assert value(exp, "probe_icmp_duration_seconds", phase="resolve") == 0
    assert value(exp, "smokeping_response_duration_seconds_count", ip=address,
                 host=address) == 5
    assert value(exp, "smokeping_response_duplicates_total") == 0
    # A second run: counters go on, sequence numbers too (no reply taken for another's).
    exp = exposition(await exporter.collect())
    assert value(exp, "netmon_probe_packets_received_total") == 10
    assert value(exp, "smokeping_requests_total") == 10


async def test_a_name_resolved_at_every_run() -> None:
    icmp_kind(4)
    target = ProbeTarget("name", "localhost", ip_protocol="ip4")
    exp = exposition(await ProbeExporter(ProbeConfig(targets=(target,), **FAST)).collect())
    assert value(exp, "probe_success") == 1
    assert value(exp, "probe_ip_protocol") == 4
    assert value(exp, "smokeping_requests_total", host="localhost", ip="127.0.0.1") == 5
    assert value(exp, "probe_dns_lookup_time_seconds") > 0


async def test_method_forced_to_tcp(loopback_listener: int) -> None:
    target = ProbeTarget("tcp", "127.0.0.1", method="tcp", port=loopback_listener)
    exp = exposition(await ProbeExporter(ProbeConfig(targets=(target,), **FAST)).collect())
    assert value(exp, "netmon_probe_method", method="tcp", socket="stream") == 1
    assert value(exp, "probe_success") == 1
    assert 0 < value(exp, "netmon_probe_rtt_seconds", stat="median") < 0.05
    assert absent(exp, "probe_icmp_duration_seconds")


async def test_tcp_to_a_closed_port_on_ipv6() -> None:
    target = ProbeTarget("closed", "::1", method="tcp", port=closed_port("::1"))
    exp = exposition(await ProbeExporter(ProbeConfig(targets=(target,), **FAST)).collect())
    assert value(exp, "probe_success") == 0
    assert value(exp, "netmon_probe_loss_ratio") == 1
    assert value(exp, "netmon_probe_errors_total", reason="refused") == 5
    assert absent(exp, "netmon_probe_rtt_seconds")
    assert absent(exp, "netmon_probe_jitter_seconds")
