"""The shipper over real HTTP: headers, acks, retries with backoff, drops, order, the queue."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
from prometheus_client import Metric

from agent.config import CollectorConfig, ShippingConfig
from agent.errors import RejectedError, RetryableError
from agent.metrics import AgentMetrics
from agent.outbox import ReportQueue
from agent.report import EncodedReport, encode
from agent.shipper import Shipper, backoff_delay, classify
from exporters.secrets import Secret
from netmon.wire import CONTENT_TYPE, batch
from tests.agent.conftest import TOKEN
from tests.agent.receiver import OK, Answer, Receiver
from tests.peers.process import free_tcp_port

FAST = ShippingConfig(backoff_base=0.02, backoff_max=0.1)


def report(seq: int) -> EncodedReport:
    family = Metric("ward_up", "Whether the ward answers.", "gauge")
    family.add_sample("ward_up", {"ward": "Phường Phúc Xá"}, 1.0)
    return encode(seq, [batch("host", time.time(), 15.0, [family])], time.time())


@dataclass
class Rig:
    queue: ReportQueue
    metrics: AgentMetrics
    shipper: Shipper


@asynccontextmanager
async def shipping(url: str, config: ShippingConfig = FAST, timeout: float = 5.0,
                   max_queue: int = 100) -> AsyncIterator[Rig]:
    collector = CollectorConfig(url, "dc-primary", timeout)
    metrics = AgentMetrics([collector.name], ["host"])
    queue = ReportQueue(collector.name, max_queue, lambda c, n: metrics.drop(c, "queue_full", n))
    async with aiohttp.ClientSession() as session:
        shipper = Shipper(collector, queue, session, Secret(TOKEN), config, metrics,
                          agent_id="hn-bd-phucxa", rng=random.Random(7))
        task = asyncio.create_task(shipper.run())
        try:
            yield Rig(queue, metrics, shipper)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def settled(rig: Rig) -> None:
    """Wait until every queued report is done (acknowledged or given up)."""
    await asyncio.wait_for(rig.queue.wait_idle(), 10)


# --- pure ---------------------------------------------------------------------------------


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    rng = random.Random(1)
    for attempt in range(1, 12):
        ceiling = min(30.0, 1.0 * 2 ** (attempt - 1))
        delays = [backoff_delay(attempt, 1.0, 30.0, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > 0.8 * ceiling and min(delays) < 0.2 * ceiling  # spread, not fixed
    assert backoff_delay(1, 1.0, 30.0, rng, retry_after=7) >= 7
    assert backoff_delay(1, 1.0, 30.0, rng, retry_after=3600) <= 30  # capped
    assert backoff_delay(10_000, 1.0, 30.0, rng) <= 30  # no overflow


@pytest.mark.parametrize(("status", "body", "error", "reason"), [
    (200, b'{"ack": 41}', None, ""),
    (200, b'{"ack": 40}', RetryableError, "bad_answer"),
    (200, b"OK", RetryableError, "bad_answer"),
    (204, b"", RetryableError, "bad_answer"),
    (401, b'{"error": "unknown token"}', RetryableError, "unauthorized"),
    (403, b"", RetryableError, "unauthorized"),
    (408, b"", RetryableError, "timeout"),
    (429, b"", RetryableError, "throttled"),
    (500, b"", RetryableError, "server_error"),
    (503, b"", RetryableError, "server_error"),
    (400, b'{"error": "batches[0].families[3].name: bad"}', RejectedError, "rejected"),
    (413, b"too large", RejectedError, "rejected"),
    (301, b"", RejectedError, "rejected"),
])
def test_what_each_answer_means(status: int, body: bytes, error: type[Exception] | None,
                                reason: str) -> None:
    if error is None:
        classify(status, body, 41)
        return
    with pytest.raises(error) as info:
        classify(status, body, 41)
    assert getattr(info.value, "reason", None) == reason
    if status == 400:
        assert "batches[0].families[3].name: bad" in str(info.value)


def test_queue_drops_the_oldest_and_logs_once_per_episode(
        caplog: pytest.LogCaptureFixture) -> None:
    dropped: list[int] = []
    queue = ReportQueue("dc-primary", 3, lambda c, n: dropped.append(n), "hn-bd-phucxa")
    with caplog.at_level(logging.WARNING, "agent.outbox"):
        for seq in range(1, 8):
            queue.put(report(seq))
    assert len(queue) == 3 and sum(dropped) == 4
    assert [r.seq for r in queue._waiting] == [5, 6, 7]
    assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
    assert "first_dropped_seq=1" in caplog.records[0].message
    assert len(caplog.records) == 1


async def test_queue_room_again_ends_the_episode(caplog: pytest.LogCaptureFixture) -> None:
    queue = ReportQueue("dc-primary", 2, lambda c, n: None, "hn-bd-phucxa")
    with caplog.at_level(logging.WARNING, "agent.outbox"):
        for seq in range(1, 5):
            queue.put(report(seq))
        head = await queue.next()
        assert head.seq == 3
        queue.done(head)
        queue.put(report(5))
    assert [r.message.split(" agent=")[0] for r in caplog.records] == [
        "report queue full, dropping the oldest reports", "report queue has room again"]
    assert "dropped=2" in caplog.records[1].message


# --- over HTTP ------------------------------------------------------------------------------


async def test_delivers_in_order_with_the_wire_headers(receiver: Receiver) -> None:
    async with shipping(receiver.url) as rig:
        sent = [report(seq) for seq in (1000, 1001, 1002)]
        for item in sent:
            rig.queue.put(item)
        await settled(rig)
        reports = receiver.reports
    assert [r.seq for r in reports] == [1000, 1001, 1002]
    push = receiver.pushes[0]
    assert push.headers["Authorization"] == f"Bearer {TOKEN}"
    assert push.headers["Content-Type"] == CONTENT_TYPE
    assert push.headers["Content-Encoding"] == "gzip"
    assert push.headers["User-Agent"].startswith("netmon-agent/")
    assert push.body == sent[0].body
    ward = reports[0].batches[0].families[0]
    assert ward.rows == [[1.0, "Phường Phúc Xá"]]
    assert rig.metrics.sent["dc-primary"] == 3
    assert rig.metrics.bytes["dc-primary"] == sum(len(r.body) for r in sent)
    assert abs(rig.metrics.last_success["dc-primary"] - time.time()) < 5
    assert not any(rig.metrics.failed.values()) and not any(rig.metrics.dropped.values())


async def test_retries_with_backoff_then_succeeds(receiver: Receiver) -> None:
    receiver.plan(Answer(500), Answer(503), Answer(429), Answer(401), OK)
    async with shipping(receiver.url) as rig:
        rig.queue.put(report(7))
        await settled(rig)
    assert [p.answer.status for p in receiver.pushes] == [500, 503, 429, 401, 200]
    assert {p.report.seq for p in receiver.pushes if p.report} == {7}
    assert len({p.body for p in receiver.pushes}) == 1  # the same bytes each time
    failed = rig.metrics.failed
    assert failed["dc-primary", "server_error"] == 2
    assert failed["dc-primary", "throttled"] == 1
    assert failed["dc-primary", "unauthorized"] == 1
    assert rig.metrics.sent["dc-primary"] == 1
    gaps = [b.arrived - a.arrived for a, b in zip(receiver.pushes, receiver.pushes[1:],
                                                   strict=False)]
    assert all(gap <= 0.1 + 0.05 for gap in gaps), gaps  # within the backoff cap


async def test_retry_after_is_honoured(receiver: Receiver) -> None:
    receiver.plan(Answer(429, retry_after="0.3"), OK)
    async with shipping(receiver.url, ShippingConfig(backoff_base=0.01, backoff_max=1.0)) as rig:
        rig.queue.put(report(1))
        await settled(rig)
    first, second = receiver.pushes
    assert second.arrived - first.arrived >= 0.3


async def test_rejected_reports_are_dropped_and_logged_once(
        receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    receiver.plan(Answer(400, error="batches[0].families[0].name: 'x-y' is not a valid metric "
                         "name"), Answer(422), OK)
    with caplog.at_level(logging.DEBUG, "agent.shipper"):
        async with shipping(receiver.url) as rig:
            for seq in (1, 2, 3):
                rig.queue.put(report(seq))
            await settled(rig)
    assert len(receiver.pushes) == 3  # no retry of a rejected report
    assert [r.seq for r in receiver.reports] == [3]
    assert rig.metrics.dropped["dc-primary", "rejected"] == 2
    assert rig.metrics.failed["dc-primary", "rejected"] == 2
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "'x-y' is not a valid metric name" in errors[0].message
    assert "status=400" in errors[0].message and "seq=1" in errors[0].message
    assert any("push succeeded again" in r.message and "rejected_reports=2" in r.message
               for r in caplog.records)
    assert TOKEN not in caplog.text


async def test_an_answer_without_the_ack_is_not_a_delivery(receiver: Receiver) -> None:
    receiver.plan(Answer(bad_ack=True), OK)
    async with shipping(receiver.url) as rig:
        rig.queue.put(report(5))
        await settled(rig)
    assert len(receiver.pushes) == 2
    assert rig.metrics.failed["dc-primary", "bad_answer"] == 1
    assert rig.metrics.sent["dc-primary"] == 1


async def test_a_slow_collector_times_out_and_is_retried(receiver: Receiver) -> None:
    receiver.plan(Answer(delay=0.6), OK)
    async with shipping(receiver.url, timeout=0.2) as rig:
        rig.queue.put(report(5))
        await settled(rig)
    assert rig.metrics.failed["dc-primary", "timeout"] == 1
    assert rig.metrics.sent["dc-primary"] == 1


async def test_a_dead_collector_with_a_retry_limit(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_tcp_port()}"  # nothing listens there
    config = ShippingConfig(retries=2, backoff_base=0.01, backoff_max=0.02)
    with caplog.at_level(logging.WARNING, "agent.shipper"):
        async with shipping(url, config) as rig:
            rig.queue.put(report(1))
            await settled(rig)
    assert rig.metrics.failed["dc-primary", "connection"] == 3  # the try and two retries
    assert rig.metrics.dropped["dc-primary", "retries"] == 1
    messages = [r.message for r in caplog.records]
    assert sum("push failed, will retry" in m for m in messages) == 1  # once per episode
    assert any("dropped after 2 retries" in m for m in messages)


async def test_order_is_kept_through_an_outage(receiver: Receiver) -> None:
    receiver.default = Answer(503)
    async with shipping(receiver.url) as rig:
        for seq in range(1, 6):
            rig.queue.put(report(seq))
        await receiver.wait_pushes(3)
        assert len(rig.queue) == 5
        receiver.default = OK
        await settled(rig)
        reports = receiver.reports
    assert [r.seq for r in reports] == [1, 2, 3, 4, 5]
    assert rig.metrics.sent["dc-primary"] == 5
    assert rig.metrics.failed["dc-primary", "server_error"] >= 3
