"""Probes through network namespaces the tests make: measured delay and loss against what
the link imposes, a peer that does not answer, no route, unprivileged ICMP, and an agent
without ``CAP_NET_RAW`` falling back to TCP.

**Accuracy, and its tolerance.** The link delays every packet the agent sends by
``DELAY`` = 50 ms and drops ``LOSS`` = 20 % of them: with ``tc qdisc add dev <agent end> root
netem delay 50ms loss 20%`` on a veth pair where the kernel has ``sch_netem``, else with the
userspace wire that does the same between two TUN devices (see
:mod:`tests.exporters.probe.netns` and :mod:`tests.exporters.probe.wire`).
One run sends 400 echoes 5 ms apart to the IPv4 and to the IPv6 address at once, and 200 TCP
connects:

* **round trip**: no packet can come back sooner than the delay, so the smallest RTT must be
  at least 50 ms (less 0.5 ms for the clocks' granularity); the median must be within
  50-60 ms: the link itself adds ~0.1 ms, the wire up to 1 ms (it sleeps in whole
  milliseconds), and the 10 ms on top absorb a loaded 2-core machine delaying the wire
  process or netem's timer now and then (the receive time is the kernel's, so the
  exporter's own event loop being late does not count). Jitter stays below 5 ms.
* **loss**: the number of packets lost of n is binomial(n, 0.2); the test accepts the measured
  ratio within 4 standard deviations, ``0.2 +- 4 * sqrt(0.2 * 0.8 / n)``: +-0.08 for the 400
  echoes, +-0.113 for the 200 connects. A correct exporter fails that about once in 16,000
  runs; one that systematically miscounts 8 % of the packets (32 of 400) does not pass. The
  exact counting of duplicates, late replies and other runs' replies is tested packet by
  packet against a scripted peer (``test_echo.py``).
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from exporters.probe import ProbeConfig, ProbeExporter, ProbeTarget
from tests.exporters.probe.conftest import (
    DELAY,
    LOSS,
    absent,
    closed_port,
    exposition,
    tcp_listener,
    value,
)
from tests.exporters.probe.netns import PEER_IP, PEER_IP6, Lab, inside
from tests.peers.exposition import Exposition, parse

pytestmark = pytest.mark.probes

ROOT = Path(__file__).resolve().parents[3]
ECHOES, CONNECTS = 400, 200
SPACING = 0.005
ALL_GROUPS = "0 2147483647"
NO_GROUP = "1 0"  # the kernel's default: nobody may open ICMP datagram sockets


def loss_bounds(n: int, p: float = LOSS, sigmas: float = 4.0) -> tuple[float, float]:
    half = sigmas * math.sqrt(p * (1 - p) / n)
    return p - half, p + half


async def probe_from(namespace: str, config: ProbeConfig) -> Exposition:
    exporter = ProbeExporter(config)
    with inside(namespace):
        families = await exporter.collect()
    return exposition(families)


@dataclass
class Measured:
    lab_kind: str
    icmp: Exposition
    tcp: Exposition


@pytest.fixture(scope="module")
def measured(impaired_lab: Lab) -> Iterator[Measured]:
    """One run through the impaired link: ICMPv4, ICMPv6 and TCP, all at once."""
    icmp = ProbeConfig(targets=(ProbeTarget("v4", PEER_IP, {"probe_dc": "primary"}),
                                ProbeTarget("v6", PEER_IP6, {"probe_dc": "backup"})),
                       count=ECHOES, spacing=SPACING, timeout=1.0, interval=5.0)
    with tcp_listener(PEER_IP, impaired_lab.peer) as port:
        tcp = ProbeConfig(targets=(ProbeTarget("tcp", PEER_IP, method="tcp", port=port),),
                          count=CONNECTS, spacing=SPACING, timeout=0.5, interval=5.0)

        async def both() -> tuple[Exposition, Exposition]:
            return await asyncio.gather(probe_from(impaired_lab.agent, icmp),
                                        probe_from(impaired_lab.agent, tcp))

        icmp_exp, tcp_exp = asyncio.run(both())
    yield Measured(impaired_lab.kind, icmp_exp, tcp_exp)


def report(exp: Exposition, target: str) -> str:
    keys = ("netmon_probe_loss_ratio", "netmon_probe_jitter_seconds",
            "netmon_probe_packets_sent_total", "netmon_probe_packets_received_total")
    figures = {k: value(exp, k, target=target) for k in keys}
    figures.update({f"rtt_{s}": value(exp, "netmon_probe_rtt_seconds", target=target, stat=s)
                    for s in ("min", "median", "max")})
    return ", ".join(f"{k}={v:.6g}" for k, v in figures.items())


@pytest.mark.parametrize("target", ["v4", "v6"])
def test_icmp_measures_the_imposed_delay_and_loss(measured: Measured, target: str) -> None:
    exp = measured.icmp
    seen = report(exp, target)
    print(f"[{measured.lab_kind}] icmp {target}: {seen}")
    assert value(exp, "netmon_probe_method", target=target, method="icmp") == 1
    assert value(exp, "netmon_probe_packets_sent_total", target=target) == ECHOES
    low, high = loss_bounds(ECHOES)
    assert low <= value(exp, "netmon_probe_loss_ratio", target=target) <= high, seen
    assert value(exp, "netmon_probe_rtt_seconds", target=target, stat="min") >= DELAY - 5e-4, (
        seen)
    median = value(exp, "netmon_probe_rtt_seconds", target=target, stat="median")
    assert DELAY <= median <= DELAY + 0.010, seen
    assert value(exp, "probe_icmp_duration_seconds", target=target, phase="rtt") == median
    assert value(exp, "netmon_probe_jitter_seconds", target=target) < 0.005, seen
    assert value(exp, "probe_success", target=target) == 1
    received = value(exp, "netmon_probe_packets_received_total", target=target)
    assert value(exp, "smokeping_response_duration_seconds_count", target=target) == received
    assert value(exp, "smokeping_response_duration_seconds_bucket", target=target,
                 le="0.0256") == 0  # nothing came back faster than the delay
    assert value(exp, "smokeping_response_duplicates_total", target=target) == 0
    assert value(exp, "netmon_probe_late_replies_total", target=target) == 0


def test_tcp_connect_measures_the_imposed_delay_and_loss(measured: Measured) -> None:
    exp = measured.tcp
    seen = report(exp, "tcp")
    print(f"[{measured.lab_kind}] tcp: {seen}")
    assert value(exp, "netmon_probe_method", method="tcp", socket="stream") == 1
    low, high = loss_bounds(CONNECTS)
    assert low <= value(exp, "netmon_probe_loss_ratio") <= high, seen
    assert value(exp, "netmon_probe_rtt_seconds", stat="min") >= DELAY - 5e-4, seen
    assert DELAY <= value(exp, "netmon_probe_rtt_seconds", stat="median") <= DELAY + 0.010, seen
    assert value(exp, "netmon_probe_errors_total", reason="refused") == 0


async def test_a_peer_that_does_not_answer(lab: Lab) -> None:
    lab.sysctl(lab.peer, "net.ipv4.icmp_echo_ignore_all", "1")
    config = ProbeConfig(targets=(ProbeTarget("mute", PEER_IP),), count=5, spacing=0.02,
                         timeout=0.3)
    exp = await probe_from(lab.agent, config)
    assert value(exp, "probe_success") == 0
    assert value(exp, "netmon_probe_loss_ratio") == 1
    assert value(exp, "netmon_probe_packets_sent_total") == 5
    assert value(exp, "netmon_probe_packets_received_total") == 0
    assert sum(exp.series("netmon_probe_errors_total").values()) == 0  # lost, not failed
    assert absent(exp, "probe_icmp_duration_seconds", phase="rtt")
    assert absent(exp, "netmon_probe_jitter_seconds")
    assert value(exp, "smokeping_response_duration_seconds_count") == 0


async def test_an_address_with_no_route(lab: Lab) -> None:
    config = ProbeConfig(targets=(ProbeTarget("nowhere", "10.201.0.1"),), count=3,
                         spacing=0.02, timeout=0.3)
    exp = await probe_from(lab.agent, config)
    assert value(exp, "probe_success") == 0
    assert value(exp, "netmon_probe_errors_total", reason="send") == 3
    assert value(exp, "netmon_probe_packets_sent_total") == 0
    assert value(exp, "netmon_probe_loss_ratio") == 1


async def test_unprivileged_icmp_where_ping_group_range_allows(lab: Lab) -> None:
    lab.sysctl(lab.agent, "net.ipv4.ping_group_range", ALL_GROUPS)
    config = ProbeConfig(targets=(ProbeTarget("v4", PEER_IP), ProbeTarget("v6", PEER_IP6)),
                         count=5, spacing=0.02, timeout=1.0)
    exp = await probe_from(lab.agent, config)
    for target in ("v4", "v6"):
        assert value(exp, "netmon_probe_method", target=target, method="icmp",
                     socket="dgram") == 1
        assert value(exp, "probe_success", target=target) == 1
        assert value(exp, "netmon_probe_loss_ratio", target=target) == 0


def run_unprivileged(lab: Lab, config: dict[str, object]) -> tuple[Exposition, str]:
    """The exporter run once in a process of the agent namespace without CAP_NET_RAW."""
    argv = lab.exec_argv(lab.agent, [
        "setpriv", "--bounding-set", "-net_raw", "--inh-caps", "-net_raw",
        sys.executable, "-m", "tests.exporters.probe.run_once", json.dumps(config)])
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return parse(done.stdout), done.stderr


def test_without_cap_net_raw_unprivileged_icmp_is_used(lab: Lab) -> None:
    lab.sysctl(lab.agent, "net.ipv4.ping_group_range", ALL_GROUPS)
    exp, log = run_unprivileged(lab, {
        "count": 3, "spacing": 0.02, "timeout": 1.0,
        "targets": [{"name": "v4", "address": PEER_IP}, {"name": "v6", "address": PEER_IP6}]})
    for target in ("v4", "v6"):
        assert value(exp, "netmon_probe_method", target=target, method="icmp",
                     socket="dgram") == 1, log
        assert value(exp, "probe_success", target=target) == 1


def test_without_any_icmp_auto_falls_back_to_tcp(lab: Lab) -> None:
    lab.sysctl(lab.agent, "net.ipv4.ping_group_range", NO_GROUP)
    with tcp_listener(PEER_IP, lab.peer) as port:
        exp, log = run_unprivileged(lab, {
            "count": 3, "spacing": 0.02, "timeout": 1.0,
            "targets": [
                {"name": "open", "address": PEER_IP, "port": port},
                {"name": "closed", "address": PEER_IP, "port": closed_port("127.0.0.1")},
                {"name": "icmp-only", "address": PEER_IP, "method": "icmp"}]})
    assert value(exp, "netmon_probe_method", target="open", method="tcp") == 1
    assert value(exp, "probe_success", target="open") == 1
    assert value(exp, "netmon_probe_method", target="closed", method="tcp") == 1
    assert value(exp, "probe_success", target="closed") == 0
    assert value(exp, "netmon_probe_errors_total", target="closed", reason="refused") == 3
    assert value(exp, "netmon_probe_method", target="icmp-only", method="none") == 1
    assert value(exp, "netmon_probe_errors_total", target="icmp-only",
                 reason="unavailable") == 1
    assert "target=open" in log and "method=tcp" in log
    assert "ping_group_range" in log and "no CAP_NET_RAW" in log
