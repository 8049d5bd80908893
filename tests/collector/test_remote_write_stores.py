"""Late samples reach the real stores through remote_write: Debian's Prometheus 2.42 (with
``--web.enable-remote-write-receiver`` and a 1 h out-of-order window) and Debian's
VictoriaMetrics, from real collector processes. Every late sample arrives once, with its
original timestamp, the identity labels and the replica label; a store outage is retried
and loses nothing; what Prometheus refuses (too old) is counted as rejected; two data
centres writing the same samples to one store are stored once."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.collector.helpers import AGENT, OTHER, Pusher, family, parse_metrics
from tests.collector.process import Running, start_collector
from tests.peers.process import free_tcp_port
from tests.peers.prometheus import Prometheus, prometheus
from tests.peers.victoria_metrics import victoria_metrics

pytestmark = pytest.mark.peers

MINUTES = (50, 40, 30, 20, 10)      # the backlog: one report each, oldest first


def interfaces(octets: float) -> list[object]:
    return [family("ifHCInOctets", "counter",
                   [({"ifIndex": i, "ifName": f"eth{i}"}, octets + int(i)) for i in "12"])]


def rw_yaml(url: str, dc: str = "primary", extra: str = "") -> str:
    return (f"dc: {dc}\nremote_write:\n  url: {url}\n  timeout: 1\n  backoff_base: 0.05\n"
            f"  backoff_max: 0.3\n  external_labels: {{job: netmon-wards}}\n"
            f"  spool: {{path: {dc}-rw.sqlite}}\n{extra}")


def collector_metric(collector: Running, name: str, **labels: str) -> float:
    status, body = collector.get("/metrics")
    assert status == 200
    return parse_metrics(body.decode()).get((name, tuple(sorted(labels.items()))), 0.0)


def wait_metric(collector: Running, name: str, value: float, timeout: float = 20.0,
                **labels: str) -> None:
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = collector_metric(collector, name, **labels)
        if got == value:
            return
        time.sleep(0.05)
    raise AssertionError(f"{name}{labels} is {got}, not {value}, after {timeout}s:\n"
                         f"{collector.process.output()[-3000:]}")


def push_backlog(collector: Running, agent: str, now: float, pusher: Pusher) -> list[float]:
    """An on-time report, then the backlog oldest first; returns the backlog's timestamps."""
    token = collector.token(agent)
    status, answer = collector.push(pusher.body(interfaces(9000), ts=now), token)
    assert status == 200 and answer["samples"] == 2, answer
    stamps = []
    for n, minutes in enumerate(MINUTES):
        ts = round(now - 60 * minutes, 3)
        status, answer = collector.push(pusher.body(interfaces(100 * n), ts=ts), token)
        assert (status, answer.get("late")) == (200, 2), answer
        stamps.append(ts)
    return stamps


def expected(stamps: list[float]) -> dict[str, list[tuple[float, float]]]:
    """ifName -> [(timestamp, value)] as pushed by push_backlog."""
    return {f"eth{i}": [(ts, 100.0 * n + i) for n, ts in enumerate(stamps)] for i in (1, 2)}


def prometheus_samples(prom: Prometheus, selector: str, at: float
                       ) -> dict[str, list[tuple[float, float]]]:
    data = prom.api("/api/v1/query", query=f"{selector}[1h]", time=f"{at:.3f}")
    return {s["metric"]["ifName"]: [(float(t), float(v)) for t, v in s["values"]]
            for s in data["result"]}


@pytest.fixture
def prom_config() -> Iterator[tuple[str, int]]:
    port = free_tcp_port()             # the collector's, so Prometheus can scrape it
    yield (f"""
global: {{scrape_interval: 1s, scrape_timeout: 1s}}
storage:
  tsdb:
    out_of_order_time_window: 1h
scrape_configs:
  - job_name: netmon-collector
    static_configs: [{{targets: ["127.0.0.1:{port}"]}}]
""", port)


def test_prometheus_stores_every_late_sample_once_and_counts_what_it_refuses(
        tmp_path: Path, process_inventory: Path, prom_config: tuple[str, int]) -> None:
    config, port = prom_config
    with prometheus(config, extra_args=("--web.enable-remote-write-receiver",)) as prom, \
            start_collector(tmp_path, process_inventory, rw_yaml(f"{prom.url}/api/v1/write"),
                            port=port) as collector:
        prom.wait_for('up{job="netmon-collector"} == 1')     # its head is at "now"
        now = time.time()
        stamps = push_backlog(collector, AGENT, now, Pusher())
        wait_metric(collector, "netmon_collector_remote_write_samples_total", 10,
                    result="sent")
        selector = f'ifHCInOctets{{agent="{AGENT}",dc_replica="primary",job="netmon-wards"}}'
        assert prometheus_samples(prom, selector, now) == expected(stamps)
        counts = prom.query(f"count_over_time({selector}[1h])")
        assert sorted(int(s["value"][1]) for s in counts) == [5, 5]
        labels = counts[0]["metric"]
        assert labels["ward"] == "Phường Phúc Xá" and labels["district"] == "Quận Ba Đình"
        assert labels["site"] == "00001" and labels["role"] == "ward-router"
        assert "dc" not in labels

        # The store stops answering (SIGSTOP: requests time out): retried, nothing lost.
        os.kill(prom.pid, signal.SIGSTOP)
        try:
            other = push_backlog(collector, OTHER, now, Pusher())
            wait_metric(collector, "netmon_collector_remote_write_pending_samples", 10)
            time.sleep(1.5)
            assert collector_metric(collector, "netmon_collector_remote_write_samples_total",
                                    result="retried") >= 2
            assert collector_metric(collector, "netmon_collector_remote_write_lag_seconds") > 1
        finally:
            os.kill(prom.pid, signal.SIGCONT)
        wait_metric(collector, "netmon_collector_remote_write_samples_total", 20,
                    result="sent")
        assert prometheus_samples(prom, f'ifHCInOctets{{agent="{OTHER}"}}', now) == \
            expected(other)

        # Older than the out-of-order window: Prometheus refuses; counted, not retried.
        pusher = Pusher(seq=10_000)
        token = collector.token(AGENT)
        for hours in (1.5, 3):
            status, answer = collector.push(pusher.body(interfaces(1), ts=now - 3600 * hours),
                                            token)
            assert (status, answer.get("late")) == (200, 2)
        wait_metric(collector, "netmon_collector_remote_write_samples_total", 4,
                    result="rejected")
        assert collector_metric(collector, "netmon_collector_remote_write_pending_samples") \
            == 0
        assert "too old sample" in collector.process.output() or \
            "out of bounds" in collector.process.output()
        assert prometheus_samples(prom, selector, now) == expected(stamps)   # unchanged


def test_victoria_metrics_outage_loses_nothing(tmp_path: Path,
                                               process_inventory: Path) -> None:
    data, port = tmp_path / "vm", free_tcp_port()
    write_url = f"http://127.0.0.1:{port}/api/v1/write"
    with start_collector(tmp_path, process_inventory, rw_yaml(write_url)) as collector:
        now = time.time()
        with victoria_metrics(data, port):
            first = push_backlog(collector, AGENT, now, Pusher())
            wait_metric(collector, "netmon_collector_remote_write_samples_total", 10,
                        result="sent")
        # VictoriaMetrics is down: the collector spools and retries
        second = push_backlog(collector, OTHER, now, Pusher())
        wait_metric(collector, "netmon_collector_remote_write_pending_samples", 10)
        time.sleep(0.5)
        assert collector_metric(collector, "netmon_collector_remote_write_samples_total",
                                result="retried") >= 2
        with victoria_metrics(data, port) as vm:         # back, on the same data
            wait_metric(collector, "netmon_collector_remote_write_samples_total", 20,
                        result="sent")
            vm.flush()
            for agent, stamps in ((AGENT, first), (OTHER, second)):
                rows = vm.export(f'ifHCInOctets{{agent="{agent}"}}', now - 7200, now + 60)
                got = {r["metric"]["ifName"]: list(zip([t / 1000 for t in r["timestamps"]],
                                                       r["values"], strict=True))
                       for r in rows}
                assert got == expected(stamps)
                labels = rows[0]["metric"]
                assert labels["dc_replica"] == "primary" and labels["agent"] == agent
                assert labels["job"] == "netmon-wards" and "ward" in labels


def test_two_data_centres_writing_one_store_store_each_sample_once(
        tmp_path: Path, process_inventory: Path) -> None:
    """Agents deliver every report to both collectors; with replica_label "" both forward
    identical series, and VictoriaMetrics' -dedup.minScrapeInterval keeps one of each."""
    with victoria_metrics(tmp_path / "vm", extra_args=("-dedup.minScrapeInterval=1s",)) as vm:
        no_replica = "  replica_label: ''\n"
        with start_collector(tmp_path, process_inventory, rw_yaml(vm.write_url, "primary",
                                                                  no_replica),
                             name="primary") as primary, \
                start_collector(tmp_path, process_inventory, rw_yaml(vm.write_url, "backup",
                                                                     no_replica),
                                name="backup") as backup:
            now = time.time()
            stamps = push_backlog(primary, AGENT, now, Pusher())   # the same reports
            assert push_backlog(backup, AGENT, now, Pusher()) == stamps  # to both DCs
            for collector in (primary, backup):
                wait_metric(collector, "netmon_collector_remote_write_samples_total", 10,
                            result="sent")
            vm.flush()
            counts = vm.query(f'count_over_time(ifHCInOctets{{agent="{AGENT}"}}[1h])', at=now)
            assert sorted(float(s["value"][1]) for s in counts) == [5.0, 5.0]
            assert all("dc_replica" not in s["metric"] for s in counts)
