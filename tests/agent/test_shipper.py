"""The shipper over real HTTP, reading a real spool: headers, acks, retries with backoff,
drops, the order of delivery after an outage, the catch-up pace."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import Metric

from agent.config import CollectorConfig, ShippingConfig, SpoolConfig
from agent.errors import RejectedError, RetryableError
from agent.metrics import AgentMetrics
from agent.report import EncodedReport, encode
from agent.shipper import Shipper, backoff_delay, classify
from agent.spool import Spool
from exporters.secrets import Secret
from netmon.wire import BACKLOG_HEADER, CONTENT_TYPE, CREATED_HEADER, SEQ_HEADER, batch
from tests.agent.checks import assert_paced
from tests.agent.conftest import TOKEN
from tests.agent.receiver import OK, Answer, Receiver
from tests.peers.process import free_tcp_port

FAST = ShippingConfig(backoff_base=0.02, backoff_max=0.1, catchup_rate=1000.0)


def report(seq: int) -> EncodedReport:
    family = Metric("ward_up", "Whether the ward answers.", "gauge")
    family.add_sample("ward_up", {"ward": "Phường Phúc Xá"}, 1.0)
    return encode(seq, [batch("host", time.time(), 15.0, [family])], time.time())


@dataclass
class Rig:
    spool: Spool
    metrics: AgentMetrics
    shipper: Shipper

    async def put(self, *reports: EncodedReport) -> None:
        for item in reports:
            await self.spool.put(item)


@asynccontextmanager
async def shipping(url: str, spool_dir: Path, config: ShippingConfig = FAST,
                   timeout: float = 5.0) -> AsyncIterator[Rig]:
    collector = CollectorConfig(url, "dc-primary", timeout)
    metrics = AgentMetrics([collector.name], ["host"])
    spool = await Spool.open(SpoolConfig(str(spool_dir / "spool.db")), [collector.name],
                             catchup_rate=config.catchup_rate, metrics=metrics,
                             agent_id="hn-bd-phucxa")
    try:
        async with aiohttp.ClientSession() as session:
            shipper = Shipper(collector, spool.delivery(collector.name), session,
                              Secret(TOKEN), config, metrics, agent_id="hn-bd-phucxa",
                              rng=random.Random(7))
            task = asyncio.create_task(shipper.run())
            try:
                yield Rig(spool, metrics, shipper)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
    finally:
        await spool.close()


async def settled(rig: Rig) -> None:
    """Wait until every spooled report is done (acknowledged or given up)."""
    await asyncio.wait_for(rig.spool.wait_idle(), 10)


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


# --- over HTTP ------------------------------------------------------------------------------


async def test_delivers_with_the_wire_headers(receiver: Receiver, tmp_path: Path) -> None:
    async with shipping(receiver.url, tmp_path) as rig:
        sent = [report(seq) for seq in (1000, 1001, 1002)]
        for item in sent:
            await rig.put(item)
            await settled(rig)
        reports = receiver.reports
    assert [r.seq for r in reports] == [1000, 1001, 1002]
    push = receiver.pushes[0]
    assert push.headers["Authorization"] == f"Bearer {TOKEN}"
    assert push.headers["Content-Type"] == CONTENT_TYPE
    assert push.headers["Content-Encoding"] == "gzip"
    assert push.headers["User-Agent"].startswith("netmon-agent/")
    assert push.headers[SEQ_HEADER] == "1000"
    assert float(push.headers[CREATED_HEADER]) == sent[0].created
    assert BACKLOG_HEADER not in push.headers      # live reports, each the newest
    assert push.body == sent[0].body
    ward = reports[0].batches[0].families[0]
    assert ward.rows == [[1.0, "Phường Phúc Xá"]]
    assert rig.metrics.sent["dc-primary"] == 3
    assert rig.metrics.bytes["dc-primary"] == sum(len(r.body) for r in sent)
    assert abs(rig.metrics.last_success["dc-primary"] - time.time()) < 5
    assert not any(rig.metrics.failed.values()) and not any(rig.metrics.dropped.values())


async def test_retries_with_backoff_then_succeeds(receiver: Receiver, tmp_path: Path) -> None:
    receiver.plan(Answer(500), Answer(503), Answer(429), Answer(401), OK)
    async with shipping(receiver.url, tmp_path) as rig:
        await rig.put(report(7))
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


async def test_retry_after_is_honoured(receiver: Receiver, tmp_path: Path) -> None:
    receiver.plan(Answer(429, retry_after="0.3"), OK)
    async with shipping(receiver.url, tmp_path,
                        ShippingConfig(backoff_base=0.01, backoff_max=1.0)) as rig:
        await rig.put(report(1))
        await settled(rig)
    first, second = receiver.pushes
    assert second.arrived - first.arrived >= 0.3


async def test_rejected_reports_are_dropped_and_logged_once(
        receiver: Receiver, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    receiver.plan(Answer(400, error="batches[0].families[0].name: 'x-y' is not a valid metric "
                         "name"), Answer(422), OK)
    with caplog.at_level(logging.DEBUG, "agent.shipper"):
        async with shipping(receiver.url, tmp_path) as rig:
            for seq in (1, 2, 3):
                await rig.put(report(seq))
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


async def test_an_answer_without_the_ack_is_not_a_delivery(receiver: Receiver,
                                                           tmp_path: Path) -> None:
    receiver.plan(Answer(bad_ack=True), OK)
    async with shipping(receiver.url, tmp_path) as rig:
        await rig.put(report(5))
        await settled(rig)
    assert len(receiver.pushes) == 2
    assert rig.metrics.failed["dc-primary", "bad_answer"] == 1
    assert rig.metrics.sent["dc-primary"] == 1


async def test_a_slow_collector_times_out_and_is_retried(receiver: Receiver,
                                                          tmp_path: Path) -> None:
    receiver.plan(Answer(delay=0.6), OK)
    async with shipping(receiver.url, tmp_path, timeout=0.2) as rig:
        await rig.put(report(5))
        await settled(rig)
    assert rig.metrics.failed["dc-primary", "timeout"] == 1
    assert rig.metrics.sent["dc-primary"] == 1


async def test_a_dead_collector_with_a_retry_limit(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_tcp_port()}"  # nothing listens there
    config = ShippingConfig(retries=2, backoff_base=0.01, backoff_max=0.02)
    with caplog.at_level(logging.WARNING, "agent.shipper"):
        async with shipping(url, tmp_path, config) as rig:
            await rig.put(report(1))
            await settled(rig)
    assert rig.metrics.failed["dc-primary", "connection"] == 3  # the try and two retries
    assert rig.metrics.dropped["dc-primary", "retries"] == 1
    messages = [r.message for r in caplog.records]
    assert sum("push failed, will retry" in m for m in messages) == 1  # once per episode
    assert any("dropped after 2 retries" in m for m in messages)


async def test_after_an_outage_the_newest_goes_first_then_the_backlog_paced(
        receiver: Receiver, tmp_path: Path) -> None:
    receiver.default = Answer(503)
    config = ShippingConfig(backoff_base=0.02, backoff_max=0.05, catchup_rate=10.0)
    async with shipping(receiver.url, tmp_path, config) as rig:
        await rig.put(*(report(seq) for seq in range(1, 11)))
        await receiver.wait_pushes(3)
        assert rig.spool.depths() == {"dc-primary": 10}
        receiver.default = OK                     # the collector is back
        await receiver.wait_for(5)                # 1, 10, and a burst of the backlog
        await rig.put(report(11))                 # live data during the catch-up
        await settled(rig)
    accepted = receiver.pushes_accepted()
    # 1 was in flight; then the newest; then the backlog, oldest first, with 11 ahead of it
    assert [p.report.seq for p in accepted if p.report] == [1, 10, 2, 3, 4, 11, 5, 6, 7, 8, 9]
    backlog = [p.arrived for p in accepted if p.report and 2 <= p.report.seq <= 9]
    assert_paced(backlog, 10.0)                   # 3 at once, then 10 a second at most
    assert rig.metrics.sent["dc-primary"] == 11
    assert rig.metrics.failed["dc-primary", "server_error"] >= 3


async def test_a_deferred_backlog_steps_aside_for_live_data(receiver: Receiver,
                                                            tmp_path: Path) -> None:
    """A busy collector answers backlog 429 with Retry-After 3: the backlog report goes back
    to the backlog, a live report written meanwhile goes at once (not 3 s later), and the
    backlog follows once the collector takes it again; nothing is dropped."""
    spool = await Spool.open(SpoolConfig(str(tmp_path / "spool.db")), ["dc-primary"],
                             catchup_rate=1000.0, metrics=AgentMetrics(["dc-primary"], ["host"]),
                             agent_id="x")
    for seq in (1000, 1001, 1002):             # found at the next start: all backlog
        await spool.put(report(seq))
    await spool.close()
    receiver.backlog_answer = Answer(429, retry_after="3", error="backlog push deferred")
    config = ShippingConfig(backoff_base=0.02, backoff_max=10.0, catchup_rate=1000.0)
    async with shipping(receiver.url, tmp_path, config) as rig:
        await receiver.wait_pushes(1)
        assert receiver.pushes[0].headers[BACKLOG_HEADER] == "1"
        written = time.monotonic()
        await rig.put(report(1003))
        await receiver.wait_for(1)
        assert receiver.reports[0].seq == 1003
        assert time.monotonic() - written < 1.0           # not after the Retry-After
        assert BACKLOG_HEADER not in receiver.pushes_accepted()[0].headers
        receiver.backlog_answer = None
        await settled(rig)
        throttled = rig.metrics.failed["dc-primary", "throttled"]
        dropped = sum(rig.metrics.dropped.values())
    assert receiver.seqs() == {1000, 1001, 1002, 1003}
    assert [r.seq for r in receiver.reports[1:]] == [1000, 1001, 1002]   # oldest first
    assert throttled >= 1 and dropped == 0
    deferred = [p for p in receiver.pushes if p.answer.status == 429]
    assert all(p.report is not None and p.report.seq == 1000 for p in deferred)
