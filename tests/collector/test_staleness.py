"""An agent that stops reporting: its series are withdrawn and netmon_agent_up goes to 0."""

from __future__ import annotations

from collector.loops import SWEEP_SECONDS
from tests.collector.conftest import Collector
from tests.collector.helpers import AGENT, OTHER, Pusher, family, parse_metrics


def up(metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float], agent: str) -> float:
    values = [v for (name, labels), v in metrics.items()
              if name == "netmon_agent_up" and ("agent", agent) in labels]
    assert len(values) == 1
    return values[0]


async def test_stale_agent_is_withdrawn_and_down(collector: Collector) -> None:
    mine, other = Pusher(interval=10), Pusher(interval=10)
    assert (await collector.push(mine.body())).status == 200
    assert (await collector.push(other.body(), agent_id=OTHER)).status == 200
    metrics = parse_metrics(await collector.text("/metrics"))
    assert up(metrics, AGENT) == 1 and up(metrics, OTHER) == 1
    assert metrics[("netmon_agent_last_report_timestamp_seconds", (("agent", AGENT),))] \
        == collector.clock.wall()

    collector.clock.advance(25)                      # < 3 x 10 s: still up
    assert (await collector.push(other.body(), agent_id=OTHER)).status == 200
    collector.clock.advance(10)                      # AGENT: 35 s without a report
    scope = await collector.scope()                  # checked at render time
    assert {dict(k)["agent"] for k in scope.series("ifHCInOctets")} == {OTHER}
    await collector.text(f"/scopes/wan/metrics?agent={AGENT}", 503)
    assert (await collector.scope(f"/scopes/wan/metrics?agent={OTHER}")).series("ifOperStatus")
    metrics = parse_metrics(await collector.text("/metrics"))
    assert up(metrics, AGENT) == 0 and up(metrics, OTHER) == 1

    # the background sweep releases the series (memory), and a new report brings it back
    store = collector.store
    store.sweep()
    assert not store.agents[AGENT].batches and store.agents[OTHER].batches
    assert (await collector.push(mine.body())).status == 200
    assert up(parse_metrics(await collector.text("/metrics")), AGENT) == 1
    assert SWEEP_SECONDS <= 1


async def test_never_reported_agent_is_down(collector: Collector) -> None:
    metrics = parse_metrics(await collector.text("/metrics"))
    assert up(metrics, AGENT) == 0
    text = await collector.text(f"/scopes/wan/metrics?agent={AGENT}", 503)
    assert "has not reported" in text


async def test_each_batch_expires_on_its_own_interval(collector: Collector) -> None:
    pusher = Pusher()
    slow = [family("hrStorageSize", "gauge", [({"hrStorageIndex": "1"}, 5)])]
    fast = [family("node_load1", "gauge", [({}, 0.5)])]
    await collector.push(pusher.body(slow, exporter="snmp:slow", interval=60))
    for _ in range(12):                               # the host batch every 10 s, 2 minutes
        await collector.push(pusher.body(fast, exporter="host", interval=10))
        collector.clock.advance(10)
    scope = await collector.scope()
    assert scope.series("node_load1")
    assert scope.series("hrStorageSize")              # 120 s < 3 x 60 s
    for _ in range(7):
        await collector.push(pusher.body(fast, exporter="host", interval=10))
        collector.clock.advance(10)
    scope = await collector.scope()                   # 190 s: the slow exporter went away
    assert scope.series("node_load1") and not scope.series("hrStorageSize")
    assert up(parse_metrics(await collector.text("/metrics")), AGENT) == 1
