"""Admission control: a stalled event loop defers backlog pushes (429 + Retry-After) before
live ones; a push announced as a known duplicate is answered without its body being read.

The overload is real: the test blocks the collector's event loop with ``time.sleep`` again
and again (the test and the aiohttp test server share one loop), as a flood of pushes would.
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from collector.admission import TICK, Admission, AdmissionConfig, LoopLag
from collector.config_load import parse_config
from collector.errors import ConfigError, Throttled
from netmon import wire
from tests.collector.conftest import Collector
from tests.collector.helpers import AGENT, Pusher, headers, parse_metrics


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lag_is_the_recent_average_or_the_stall_in_progress() -> None:
    clock = Clock()
    lag = LoopLag(clock)
    assert lag.current() == 0.0
    lag.record(asked=100.0, woke=100.0 + TICK + 0.3)        # woke 0.3 s late
    clock.now = 100.0 + TICK + 0.3
    assert lag.current() == pytest.approx(0.3)
    for _ in range(5):                                       # then on time, five times
        lag.record(asked=clock.now, woke=clock.now + TICK)
        clock.now += TICK
    assert lag.current() == pytest.approx(0.3 / 6)          # one late tick in six: 0.05
    clock.now += 1.2                                         # no wake since: a stall
    assert lag.current() == pytest.approx(1.2 - TICK)
    lag.record(asked=clock.now, woke=clock.now + TICK)       # on time again
    clock.now += TICK
    assert lag.current() == 0.0                              # the 0.3 s is out of the window


def test_backlog_is_deferred_before_live_data() -> None:
    clock = Clock()
    lag = LoopLag(clock)
    admission = Admission(lag, random.Random(1))
    config = AdmissionConfig(backlog_max_lag=0.2, live_max_lag=2.0, max_in_flight=4,
                             retry_after_max=30)
    lag.record(asked=clock.now, woke=clock.now + TICK + 0.5)
    clock.now += TICK + 0.5
    admission.check(config, backlog=False)                   # live: admitted
    with pytest.raises(Throttled) as caught:
        admission.check(config, backlog=True)
    assert "backlog push deferred: the collector is running 0.50s behind" in str(caught.value)
    assert 1 <= caught.value.retry_after <= 5                # ceil(10 * 0.5)
    lag.record(asked=clock.now, woke=clock.now + TICK + 2.5)
    clock.now += TICK + 2.5
    with pytest.raises(Throttled) as caught:
        admission.check(config, backlog=False)
    assert 1 <= caught.value.retry_after <= 25


def test_pushes_in_progress_are_bounded_backlog_at_half() -> None:
    admission = Admission(LoopLag(Clock()))
    config = AdmissionConfig(max_in_flight=4)
    with admission.admitted(), admission.admitted():
        with pytest.raises(Throttled, match="2 pushes are in progress"):
            admission.check(config, backlog=True)
        admission.check(config, backlog=False)
        with admission.admitted(), admission.admitted(), \
                pytest.raises(Throttled, match="4 pushes are in progress"):
            admission.check(config, backlog=False)
    assert admission.in_flight == 0
    admission.check(config, backlog=True)


def test_retry_after_spreads_over_a_window_that_widens_with_the_lag() -> None:
    admission = Admission(LoopLag(Clock()), random.Random(7))
    config = AdmissionConfig(retry_after_max=60)
    small = {admission._retry_after(0.1, config) for _ in range(200)}
    large = {admission._retry_after(10.0, config) for _ in range(500)}
    assert small == {1, 2}
    assert min(large) == 1 and max(large) == 60 and len(large) > 40


@pytest.mark.parametrize(("text", "message"), [
    ("admission: {backlog_max_lag: 0}\n", "backlog_max_lag: 0.0 must be a positive"),
    ("admission: {backlog_max_lag: 3, live_max_lag: 1}\n",
     "live_max_lag must not be shorter than admission.backlog_max_lag"),
    ("admission: {max_in_flight: 1}\n", "max_in_flight"),
    ("admission: {lag: 1}\n", "unknown key 'lag'"),
])
def test_bad_admission_settings_are_refused_with_the_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "collector.yml")
    assert "collector.yml:1" in str(caught.value)
    assert message in str(caught.value)


def _announce(seq: int, created: float, backlog: bool = False) -> dict[str, str]:
    out = headers(AGENT) | {wire.SEQ_HEADER: str(seq), wire.CREATED_HEADER: repr(created)}
    if backlog:
        out[wire.BACKLOG_HEADER] = "1"
    return out


async def _overload(stalls: int = 4, seconds: float = 0.3) -> None:
    """Keep the event loop busy (real stalls, back to back, as a flood of pushes would), so
    that every tick of the monitor comes late; then let it record the last one."""
    for _ in range(stalls):
        time.sleep(seconds)  # noqa: ASYNC251 - the point: the loop stalls
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.02)


async def test_a_stalled_collector_answers_backlog_429_and_still_takes_live_data(
        collector: Collector, pusher: Pusher) -> None:
    await asyncio.sleep(1.1)                                 # a second of on-time ticks
    await _overload()
    backlog = pusher.body()
    answer = await collector.client.post(wire.PUSH_PATH, data=backlog,
                                         headers=_announce(pusher.seq, pusher.ts, True))
    assert answer.status == 429, await answer.text()
    assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert "backlog push deferred" in (await answer.json())["error"]
    live = pusher.body()
    answer = await collector.client.post(wire.PUSH_PATH, data=live,
                                         headers=_announce(pusher.seq, pusher.ts))
    assert answer.status == 200, await answer.text()
    metrics = parse_metrics(await collector.text("/metrics"))
    assert metrics[("netmon_collector_reports_rejected_total", (("reason", "throttled"),))] == 1
    assert metrics[("netmon_collector_event_loop_lag_seconds", ())] > 0.2
    await asyncio.sleep(1.2)                                 # the stall leaves the window
    answer = await collector.client.post(wire.PUSH_PATH, data=backlog,
                                         headers=_announce(1, pusher.ts - 1, True))
    assert await answer.json() == {"ack": 1, "samples": 0, "late": 5}   # older: late


async def test_a_known_duplicate_is_answered_without_reading_its_body(
        collector: Collector, pusher: Pusher) -> None:
    body = pusher.body()
    first = await collector.client.post(wire.PUSH_PATH, data=body,
                                        headers=_announce(1, pusher.ts))
    assert first.status == 200
    # The same seq and creation time with a body that is not even gzip: never read.
    again = await collector.client.post(wire.PUSH_PATH, data=b"not a report",
                                        headers=_announce(1, pusher.ts))
    assert await again.json() == {"ack": 1, "duplicate": True}
    metrics = parse_metrics(await collector.text("/metrics"))
    assert metrics[("netmon_agent_reports_total", (("agent", AGENT),
                                                  ("result", "duplicate")))] == 1
    assert metrics[("netmon_collector_ingest_bytes_total", ())] == len(body)


async def test_a_newer_report_with_a_seen_seq_is_read_and_headers_must_match_the_body(
        collector: Collector, pusher: Pusher) -> None:
    assert (await collector.push(pusher.body())).status == 200
    # seq 1 again but created later than anything stored: a restarted agent, read in full.
    restarted = pusher.body(seq=1)
    answer = await collector.client.post(wire.PUSH_PATH, data=restarted,
                                         headers=_announce(1, pusher.ts))
    assert await answer.json() == {"ack": 1, "samples": 5}
    mismatch = pusher.body(seq=9)
    answer = await collector.client.post(wire.PUSH_PATH, data=mismatch,
                                         headers=_announce(8, pusher.ts))
    assert answer.status == 400
    assert "X-Netmon-Seq says 8 but the report's seq is 9" in (await answer.json())["error"]
    bad = await collector.client.post(wire.PUSH_PATH, data=mismatch,
                                      headers=headers(AGENT) | {wire.SEQ_HEADER: "x",
                                                                wire.CREATED_HEADER: "1"})
    assert bad.status == 400
    assert "must be an integer and a number" in (await bad.json())["error"]
