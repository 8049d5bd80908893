"""The scheduler: fixed phases, no drift over many ticks, no overlap, skipped ticks counted."""

from __future__ import annotations

import asyncio
import statistics

from prometheus_client import Metric

from agent.config import AgentConfig, HostJobConfig
from agent.jobs import Job
from agent.runtime import Agent
from netmon.schedule import Ticker, phase


class Clocked:
    """A tiny exporter (the contract, not a mock of a peer) that notes when each run starts
    and ends on the loop's clock, and takes ``duration`` seconds."""

    def __init__(self, name: str, duration: float = 0.0) -> None:
        self._name = name
        self.duration = duration
        self.starts: list[float] = []
        self.ends: list[float] = []
        self.active = 0
        self.max_active = 0

    @property
    def name(self) -> str:
        return self._name

    async def collect(self) -> list[Metric]:
        loop = asyncio.get_running_loop()
        self.starts.append(loop.time())
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(self.duration)
        finally:
            self.active -= 1
            self.ends.append(loop.time())
        family = Metric("clocked_runs", "Runs so far.", "gauge")
        family.add_sample("clocked_runs", {}, float(len(self.starts)))
        return [family]


def local_config(jitter: float = 0.0) -> AgentConfig:
    return AgentConfig(agent_id="hn-test", host=HostJobConfig(enabled=False), jitter=jitter)


# --- pure --------------------------------------------------------------------------------


def test_phase_is_stable_spread_and_bounded() -> None:
    assert phase("hn-bd-phucxa", "host", 15, 1.0) == phase("hn-bd-phucxa", "host", 15, 1.0)
    phases = [phase(f"ward-{i}", "host", 15, 1.0) for i in range(579)]
    assert all(0 <= p < 15 for p in phases)
    # 579 wards spread over the whole interval: every 1.5 s slice gets its share.
    slices = [sum(1 for p in phases if k * 1.5 <= p < (k + 1) * 1.5) for k in range(10)]
    assert min(slices) > 30, slices
    assert all(0 <= phase(f"w{i}", "snmp:r1", 60, 0.1) < 6 for i in range(100))
    assert phase("a", "host", 15, 0.0) == 0


def test_first_tick_lands_on_the_wall_clock_phase() -> None:
    ticker = Ticker.start(interval=15, phase_s=4, monotonic_now=100.0, wall_now=1_000_000.0)
    # 1_000_000 % 15 == 10: next instant with (t - 4) % 15 == 0 is 1_000_009, 9 s later.
    assert ticker.due == 109.0
    on_time = Ticker.start(interval=10, phase_s=0, monotonic_now=5.0, wall_now=1230.0)
    assert on_time.due == 5.0


def test_ticks_come_from_the_schedule_not_from_run_ends() -> None:
    ticker = Ticker(first=100.0, interval=10.0)
    assert ticker.due == 100.0
    assert ticker.advance(103.7) == 0 and ticker.due == 110.0
    assert ticker.advance(110.0) == 0 and ticker.due == 120.0   # ended right on the tick
    assert ticker.advance(120.5) == 0 and ticker.due == 130.0   # late wake-up: no drift
    assert ticker.advance(145.0) == 1 and ticker.due == 150.0   # ran 15 s: 140 skipped
    assert ticker.advance(181.0) == 3 and ticker.due == 190.0   # 160, 170, 180 skipped
    for k in range(1, 100_001):  # far away, still exactly on the grid
        ticker.advance(190.0 + k * 10.0 - 9.999)
    assert ticker.due == 190.0 + 100_000 * 10.0


def test_a_run_cut_at_its_timeout_does_not_skip_the_next_tick() -> None:
    ticker = Ticker.start(interval=10, phase_s=0, monotonic_now=0.0, wall_now=0.0)
    assert ticker.tolerance == 1.0
    assert ticker.advance(10.004) == 0 and ticker.due == 10.0   # starts 4 ms late
    assert ticker.advance(21.5) == 1 and ticker.due == 30.0     # really overran


# --- real time, on the event loop --------------------------------------------------------


async def run_for(agent: Agent, seconds: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_no_drift_over_many_ticks() -> None:
    interval = 0.05
    exporter = Clocked("fast", duration=0.02)   # each run takes 40 % of the interval
    agent = Agent(local_config(), None, jobs=[Job(exporter, interval, interval)])
    await run_for(agent, 50 * interval)
    starts = exporter.starts
    assert len(starts) >= 40
    # The grid: the earliest any run started relative to its tick (the first run may itself
    # have woken up late).
    first = min(start - k * interval for k, start in enumerate(starts))
    errors = [start - (first + k * interval) for k, start in enumerate(starts)]
    # Every run starts on its tick: late by the loop's wake-up only, never accumulating
    # (a drift of 1 ms per tick would put the last runs 40 ms behind the first ones).
    # Medians and a high quantile: a loaded machine may wake the loop late now and then.
    assert statistics.quantiles(errors, n=10)[-1] < 0.02, errors
    assert statistics.median(errors[-10:]) - statistics.median(errors[:10]) < 0.005, errors
    assert agent.metrics.skipped["fast"] == 0
    assert agent.metrics.runs["fast"] == len(starts)


async def test_slow_run_never_overlaps_and_skipped_ticks_are_counted() -> None:
    exporter = Clocked("slow", duration=0.5)
    agent = Agent(local_config(), None, jobs=[Job(exporter, 0.2, 0.2)])
    # The harness cuts each run at its tick plus its timeout (the interval)...
    await run_for(agent, 0.9)
    assert exporter.max_active == 1
    assert len(exporter.starts) >= 4
    assert agent.metrics.skipped["slow"] == 0  # ...so it never outlasts it
    interval = 0.05
    slow = Clocked("slow", duration=0.12)   # 2.4 intervals: two ticks skipped per run
    agent = Agent(local_config(), None, jobs=[NoTimeoutJob(slow, interval)])
    await run_for(agent, 1.3)
    assert slow.max_active == 1
    for end, start in zip(slow.ends, slow.starts[1:], strict=False):
        assert start >= end
    # Runs start on the grid, on the first tick after the previous run ended.
    first = slow.starts[0]
    for start in slow.starts:
        ticks = (start - first) / interval
        assert abs(ticks - round(ticks)) < 0.3, (start - first, interval)
    gaps = [round((b - a) / interval) for a, b in zip(slow.starts, slow.starts[1:],
                                                         strict=False)]
    assert set(gaps) == {3}, gaps
    assert agent.metrics.skipped["slow"] == 2 * len(slow.ends)  # each run skipped two ticks


class NoTimeoutJob(Job):
    """A job whose runs may outlast the interval (the agent bounds them by the interval; this
    lifts the bound to see what the scheduler does when an exporter overruns anyway)."""

    def __init__(self, exporter: Clocked, interval: float) -> None:
        object.__setattr__(self, "exporter", exporter)
        object.__setattr__(self, "interval", interval)
        object.__setattr__(self, "timeout", 10.0)


async def test_a_slow_exporter_delays_no_other() -> None:
    interval = 0.05
    fast = Clocked("fast")
    slow = Clocked("slow", duration=1.0)
    agent = Agent(local_config(), None,
                  jobs=[Job(fast, interval, interval), NoTimeoutJob(slow, 1.0)])
    await run_for(agent, 0.8)
    first = min(s - k * interval for k, s in enumerate(fast.starts))
    errors = [s - (first + k * interval) for k, s in enumerate(fast.starts)]
    assert len(fast.starts) >= 14
    assert statistics.quantiles(errors, n=10)[-1] < 0.02, errors
    assert max(errors) < 0.5, errors  # the slow run takes 1 s: it delays nobody
