"""Late batches over real HTTP: not served, forwarded through remote_write with their own
timestamps and labels, retried, rejected, dropped and counted exactly (a scripted
receiver on loopback; the real stores are in test_remote_write_stores.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from collector.remote_write.config import Forward, RemoteWriteConfig, SpoolConfig
from collector.state import FORWARDER
from tests.collector.conftest import Collector
from tests.collector.helpers import AGENT, Pusher, family, parse_metrics, router_families
from tests.collector.remote_write_receiver import Receiver, receiving
from tests.peers.process import free_tcp_port

Make = Callable[..., AsyncIterator[Collector]]


def rw_config(url: str, tmp_path: Path, **changes: object) -> RemoteWriteConfig:
    config = RemoteWriteConfig(url=url, backoff_base=0.01, backoff_max=0.05, timeout=2,
                               spool=SpoolConfig(tmp_path / "rw.sqlite"))
    return dataclasses.replace(config, **changes)  # type: ignore[arg-type]


async def metric(collector: Collector, name: str, **labels: str) -> float:
    metrics = parse_metrics(await collector.text("/metrics"))
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


async def settle(collector: Collector) -> None:
    """Wait until the spool is empty."""
    forwarder = collector.app[FORWARDER]
    for _ in range(1000):
        if not forwarder.spool.index:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{forwarder.spool.pending_samples} samples still pending")


async def test_late_batches_are_forwarded_not_served(make_collector: Make,
                                                     tmp_path: Path) -> None:
    async with receiving() as receiver:
        async for collector in make_collector(remote_write=rw_config(receiver.url, tmp_path)):
            wall = collector.clock.wall()
            pusher = Pusher(ts=wall)
            assert await (await collector.push(pusher.body(ts=wall))).json() == \
                {"ack": 1, "samples": 5}
            late = pusher.body(router_families(octets=5), ts=wall - 600)   # 10 min old
            assert await (await collector.push(late)).json() == \
                {"ack": 2, "samples": 0, "late": 5}
            # the scopes still serve the newest values
            octets = (await collector.scope()).series("ifHCInOctets")
            assert sorted(octets.values()) == [1001.0, 1002.0]
            series = await receiver.wait_for(5)
            assert len(series) == 5
            assert {s.samples for s in series if s.label_dict["__name__"] == "ifHCInOctets"} \
                == {((6.0, round((wall - 600) * 1000)),), ((7.0, round((wall - 600) * 1000)),)}
            for s in series:
                assert s.label_dict["agent"] == AGENT and s.label_dict["dc_replica"] == "primary"
                assert s.label_dict["ward"] == "Phường Phúc Xá"
            headers = receiver.headers_seen[0]
            assert headers["Content-Encoding"] == "snappy"
            assert headers["Content-Type"] == "application/x-protobuf"
            assert headers["X-Prometheus-Remote-Write-Version"] == "0.1.0"
            await settle(collector)
            assert await metric(collector, "netmon_collector_late_samples_total") == 5
            assert await metric(collector, "netmon_agent_late_samples_total", agent=AGENT) == 5
            assert await metric(collector, "netmon_collector_remote_write_samples_total",
                                result="sent") == 5
            assert await metric(collector, "netmon_collector_remote_write_pending_samples") == 0
            assert await metric(collector, "netmon_collector_sample_lateness_seconds_count") \
                == 10
            assert await metric(collector, "netmon_collector_sample_lateness_seconds_bucket",
                                le="300") == 5      # the on-time ones
            assert await metric(collector, "netmon_collector_sample_lateness_seconds_bucket",
                                le="600") == 10
            assert await metric(collector, "netmon_agent_newest_batch_timestamp_seconds",
                                agent=AGENT) == wall


async def test_a_batch_older_than_the_stored_one_is_late(make_collector: Make,
                                                         tmp_path: Path) -> None:
    async with receiving() as receiver:
        async for collector in make_collector(remote_write=rw_config(receiver.url, tmp_path)):
            wall = collector.clock.wall()
            pusher = Pusher(ts=wall)
            await collector.push(pusher.body(ts=wall))
            # 5 s old: within the 2 x 15 s threshold, but older than what is stored
            answer = await (await collector.push(pusher.body(router_families(9),
                                                             ts=wall - 5))).json()
            assert answer["late"] == 5
            assert sorted((await collector.scope()).series("ifHCInOctets").values()) == \
                [1001.0, 1002.0]
            assert len(await receiver.wait_for(5)) == 5
            # a resend of that report is a duplicate: not forwarded again
            again = pusher.body(router_families(9), seq=2, ts=wall - 5)
            assert (await (await collector.push(again)).json())["duplicate"] is True
            await settle(collector)
            assert receiver.requests == 1


async def test_forward_all_sends_on_time_batches_too(make_collector: Make,
                                                     tmp_path: Path) -> None:
    async with receiving() as receiver:
        config = rw_config(receiver.url, tmp_path, forward=Forward.ALL)
        async for collector in make_collector(remote_write=config):
            wall = collector.clock.wall()
            pusher = Pusher(ts=wall)
            assert (await (await collector.push(pusher.body(ts=wall))).json())["samples"] == 5
            await collector.push(pusher.body(ts=wall - 900))
            series = await receiver.wait_for(10)
            assert sorted({ts for s in series for _, ts in s.samples}) == \
                [round((wall - 900) * 1000), round(wall * 1000)]
            assert await metric(collector, "netmon_collector_late_samples_total") == 5


async def test_without_remote_write_late_samples_are_dropped_and_counted(
        collector: Collector) -> None:
    wall = collector.clock.wall()
    pusher = Pusher(ts=wall)
    await collector.push(pusher.body(ts=wall))
    answer = await (await collector.push(pusher.body(router_families(3), ts=wall - 3600))).json()
    assert answer == {"ack": 2, "samples": 0, "late": 5}
    assert sorted((await collector.scope()).series("ifHCInOctets").values()) == [1001.0, 1002.0]
    assert await metric(collector, "netmon_collector_dropped_total", reason="late") == 5
    assert await metric(collector, "netmon_collector_late_samples_total") == 5


async def test_5xx_and_429_are_retried_until_delivered_once(make_collector: Make,
                                                            tmp_path: Path) -> None:
    async with receiving() as receiver:
        receiver.answer(503, "overloaded")
        receiver.answer(429, "slow down", **{"Retry-After": "0"})
        receiver.answer(500, "internal")
        async for collector in make_collector(remote_write=rw_config(receiver.url, tmp_path)):
            wall = collector.clock.wall()
            await collector.push(Pusher().body(ts=wall - 1200))
            series = await receiver.wait_for(5)
            await settle(collector)
            assert len(series) == 5 and receiver.requests == 4
            assert await metric(collector, "netmon_collector_remote_write_samples_total",
                                result="retried") == 15
            assert await metric(collector, "netmon_collector_remote_write_samples_total",
                                result="sent") == 5


async def test_4xx_is_rejected_with_the_stores_message(make_collector: Make, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    async with receiving() as receiver:
        receiver.answer(400, "out of bounds")
        async for collector in make_collector(remote_write=rw_config(receiver.url, tmp_path)):
            wall = collector.clock.wall()
            pusher = Pusher()
            with caplog.at_level(logging.WARNING, "collector.remote_write"):
                await collector.push(pusher.body(ts=wall - 7200))
                await settle(collector)
            assert "HTTP 400: out of bounds" in caplog.text
            assert await metric(collector, "netmon_collector_remote_write_samples_total",
                                result="rejected") == 5
            await collector.push(pusher.body(ts=wall - 60))      # the next one goes through
            assert len(await receiver.wait_for(5)) == 5
            assert receiver.requests == 2


async def test_an_outage_of_the_store_loses_nothing(make_collector: Make,
                                                    tmp_path: Path) -> None:
    port = free_tcp_port()                # nothing listens there yet
    receiver = Receiver(port)
    async for collector in make_collector(remote_write=rw_config(receiver.url, tmp_path)):
        wall = collector.clock.wall()
        pusher = Pusher()
        for minutes in (50, 40, 30, 20, 10):
            answer = await (await collector.push(pusher.body(ts=wall - 60 * minutes))).json()
            assert answer["late"] == 5
        await asyncio.sleep(0.2)
        assert await metric(collector, "netmon_collector_remote_write_pending_samples") == 25
        collector.clock.advance(30)
        assert await metric(collector, "netmon_collector_remote_write_lag_seconds") >= 30
        assert await metric(collector, "netmon_collector_remote_write_samples_total",
                            result="retried") >= 5
        async with receiving(receiver):
            series = await receiver.wait_for(25)
            await settle(collector)
        stamps = sorted(ts for s in series for _, ts in s.samples)
        assert stamps == sorted(round((wall - 60 * m) * 1000) for m in (50, 40, 30, 20, 10)
                                for _ in range(5))
        assert await metric(collector, "netmon_collector_remote_write_samples_total",
                            result="sent") == 25
        assert await metric(collector, "netmon_collector_remote_write_lag_seconds") == 0


async def test_pending_writes_survive_a_restart_of_the_collector(make_collector: Make,
                                                                 tmp_path: Path) -> None:
    receiver = Receiver(free_tcp_port())
    config = rw_config(receiver.url, tmp_path)
    async for collector in make_collector(remote_write=config):
        wall = collector.clock.wall()
        await collector.push(Pusher().body(ts=wall - 1800))
        assert collector.app[FORWARDER].spool.pending_samples == 5
    async with receiving(receiver):
        async for _ in make_collector(remote_write=config):
            assert len(await receiver.wait_for(5)) == 5


async def test_a_full_spool_drops_the_oldest_and_counts_them(make_collector: Make,
                                                             tmp_path: Path) -> None:
    receiver = Receiver(free_tcp_port())     # down for the whole test
    big = [family("wide", "gauge", [({"i": str(i), "pad": "x" * 200}, i) for i in range(400)])]
    config = rw_config(receiver.url, tmp_path,
                       spool=SpoolConfig(tmp_path / "rw.sqlite", max_bytes=1024 * 1024))
    async for collector in make_collector(remote_write=config):
        wall = collector.clock.wall()
        pusher = Pusher()
        pushes = 0
        while await metric(collector, "netmon_collector_remote_write_samples_total",
                           result="dropped") == 0:
            await collector.push(pusher.body(big, ts=wall - 3000 + pushes))
            pushes += 1
            assert pushes < 500
        spool = collector.app[FORWARDER].spool
        assert spool.pending_bytes <= 1024 * 1024
        dropped = await metric(collector, "netmon_collector_remote_write_samples_total",
                               result="dropped")
        assert dropped + spool.pending_samples == 400 * pushes     # every sample accounted


async def test_a_failing_spool_answers_503_and_stores_nothing(make_collector: Make,
                                                              tmp_path: Path) -> None:
    receiver = Receiver(free_tcp_port())
    async for collector in make_collector(remote_write=rw_config(receiver.url, tmp_path)):
        wall = collector.clock.wall()
        pusher = Pusher()
        await collector.push(pusher.body(ts=wall))
        await collector.app[FORWARDER].spool.close()           # SQLite gone
        late = pusher.body(router_families(3), ts=wall - 600)
        response = await collector.push(late)
        assert response.status == 503
        assert "remote_write spool" in (await response.json())["error"]
        assert collector.store.agents[AGENT].seqs.last == 1     # the agent will resend
        assert await metric(collector, "netmon_collector_late_samples_total") == 0


async def test_a_slow_poll_is_not_late(make_collector: Make, tmp_path: Path) -> None:
    """Collected over 40 s (ts is the run's start, sent its end), delivered at once: served."""
    async with receiving() as receiver:
        async for collector in make_collector(remote_write=rw_config(receiver.url, tmp_path)):
            wall = collector.clock.wall()
            pusher = Pusher()
            answer = await (await collector.push(pusher.body(ts=wall - 41, sent=wall - 1))
                            ).json()
            assert answer == {"ack": 1, "samples": 5}
            # another exporter's batch, made at once but delivered 45 s later: a backlog
            answer = await (await collector.push(pusher.body(exporter="host", ts=wall - 45,
                                                             sent=wall - 44))).json()
            assert answer["late"] == 5


async def test_one_log_line_per_catch_up(collector: Collector,
                                         caplog: pytest.LogCaptureFixture) -> None:
    wall = collector.clock.wall()
    pusher = Pusher()
    with caplog.at_level(logging.INFO, "collector.store"):
        await collector.push(pusher.body(ts=wall))
        for minutes in (30, 20, 10):                     # backlog, interleaved with live data
            await collector.push(pusher.body(exporter="old", ts=wall - 60 * minutes))
            await collector.push(pusher.body(ts=wall + 1))
        collector.store.sweep()
        collector.clock.advance(50)                      # > 3 x 15 s without a late batch
        collector.store.sweep()
    lines = [r.getMessage() for r in caplog.records]
    assert sum("agent sends late batches" in line for line in lines) == 1
    assert sum("agent caught up: 15 late samples" in line for line in lines) == 1
