"""What Prometheus reads: scopes, ?agent=, /sd, /metrics; promtool accepts every one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from collector.state import LIVE
from tests.collector.conftest import Collector
from tests.collector.helpers import (
    AGENT,
    BACKUP_HOST,
    DC_HOST,
    OTHER,
    Pusher,
    family,
    parse_metrics,
)
from tests.peers.exposition import parse
from tests.peers.promtool import check_metrics

HOST = [family("node_load1", "gauge", [({}, 0.25)], "1m load average."),
        family("node_cpu_seconds_total", "counter",
               [({"cpu": "0", "mode": m}, 10.5) for m in ("idle", "user")],
               "Seconds the CPUs spent in each mode.")]


async def fill(collector: Collector) -> None:
    for agent in (AGENT, OTHER):
        assert (await collector.push(Pusher().body(), agent_id=agent)).status == 200
    for agent in (DC_HOST, BACKUP_HOST):
        assert (await collector.push(Pusher(exporter="host").body(HOST),
                                     agent_id=agent)).status == 200


async def test_scopes_hold_their_agents(collector: Collector) -> None:
    await fill(collector)
    wan = await collector.scope("/scopes/wan/metrics")
    assert {dict(k)["agent"] for k in wan.series("ifHCInOctets")} == {AGENT, OTHER}
    assert not wan.series("node_load1")
    primary = await collector.scope("/scopes/dc-primary/metrics")
    assert [dict(k) for k in primary.series("node_load1")] == [{
        "agent": DC_HOST, "site": "dc-primary", "district": "Quận Đống Đa",
        "role": "dc-host", "dc": "primary"}]
    assert primary.types["node_cpu_seconds_total"] == "counter"
    backup = await collector.scope("/scopes/dc-backup/metrics")
    assert {dict(k)["agent"] for k in backup.series("node_cpu_seconds_total")} == {BACKUP_HOST}


async def test_agent_narrows_a_scope(collector: Collector) -> None:
    await fill(collector)
    one = await collector.scope(f"/scopes/wan/metrics?agent={OTHER}")
    assert {dict(k)["agent"] for k in one.series("ifHCInOctets")} == {OTHER}
    assert {dict(k)["ward"] for k in one.series("ifHCInOctets")} == {"Phường Phúc Tân"}
    await collector.text(f"/scopes/dc-primary/metrics?agent={AGENT}", 404)   # not in scope
    await collector.text("/scopes/wan/metrics?agent=nobody", 404)
    text = await collector.text("/scopes/nowhere/metrics", 404)
    assert "no scope 'nowhere'" in text


async def test_family_samples_are_contiguous_across_agents(collector: Collector) -> None:
    await fill(collector)
    text = await collector.text("/scopes/wan/metrics")
    names = [line.split("{")[0].split(" ")[0] for line in text.splitlines()
             if not line.startswith("#")]
    blocks = [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]
    assert len(blocks) == len(set(blocks)), blocks
    assert text.count("# TYPE ifHCInOctets counter") == 1


async def test_sd_lists_every_agent_with_its_labels(collector: Collector) -> None:
    response = await collector.client.get("/sd")
    assert response.status == 200
    assert response.content_type == "application/json"
    groups = await response.json()
    host = f"127.0.0.1:{collector.client.port}"
    by_agent = {g["labels"]["agent"]: g for g in groups}
    assert len(by_agent) == len(groups) == 12 + 2
    assert by_agent[AGENT] == {"targets": [host], "labels": {
        "__metrics_path__": "/scopes/wan/metrics", "__param_agent": AGENT, "agent": AGENT,
        "site": "00001", "district": "Quận Ba Đình", "ward": "Phường Phúc Xá",
        "role": "ward-router", "dc": ""}}
    assert by_agent[DC_HOST]["labels"]["__metrics_path__"] == "/scopes/dc-primary/metrics"
    assert by_agent[BACKUP_HOST]["labels"]["__metrics_path__"] == "/scopes/dc-backup/metrics"
    raw = await (await collector.client.get("/sd")).read()
    assert "Phường Phúc Xá".encode() in raw                      # UTF-8, not \\u escapes
    only = await (await collector.client.get("/sd?scope=dc-backup")).json()
    assert [g["labels"]["agent"] for g in only] == [BACKUP_HOST]
    assert (await collector.client.get("/sd?scope=nowhere")).status == 404


async def test_sd_advertises_the_configured_address(
        make_collector: Callable[..., AsyncIterator[Collector]]) -> None:
    async for collector in make_collector(advertise="collector-1.dc.hanoi:9750"):
        groups = await (await collector.client.get("/sd")).json()
        assert {tuple(g["targets"]) for g in groups} == {("collector-1.dc.hanoi:9750",)}


async def test_health_ready_and_wrong_methods(collector: Collector) -> None:
    assert "Healthy" in await collector.text("/-/healthy")
    assert "Ready" in await collector.text("/-/ready")
    assert (await collector.client.get("/-/reload")).status == 405
    assert (await collector.client.get("/api/v1/push")).status == 405


async def test_a_large_scope_is_streamed_whole(collector: Collector) -> None:
    rows = [({"ifIndex": str(i), "ifAlias": f"Đường truyền {i}"}, float(i))
            for i in range(12_000)]
    await fill(collector)
    big = Pusher(seq=1, exporter="snmp:core").body([family("ifHCInOctets", "counter", rows)])
    assert (await collector.push(big)).status == 200
    response = await collector.client.get("/scopes/wan/metrics")
    body = await response.read()
    assert int(response.headers["Content-Length"]) == len(body) > 1024 * 1024
    exposition = parse(body)
    assert len(exposition.series("ifHCInOctets")) == 12_000 + 2 * 2


@pytest.mark.peers
async def test_promtool_parses_every_endpoint(collector: Collector) -> None:
    await fill(collector)
    histogram = [family("probe_duration_seconds", "histogram", [
        ({"le": "0.1"}, 1), ({"le": "+Inf"}, 2), ({}, 0.3), ({}, 2)],
        "Probe durations.")]
    histogram[0].samples = [s._replace(name=n) for s, n in zip(
        histogram[0].samples, ["probe_duration_seconds_bucket"] * 2
        + ["probe_duration_seconds_sum", "probe_duration_seconds_count"], strict=True)]
    assert (await collector.push(Pusher(exporter="probe").body(histogram))).status == 200
    for path in ("/metrics", "/scopes/wan/metrics", "/scopes/dc-primary/metrics",
                 "/scopes/dc-backup/metrics", f"/scopes/wan/metrics?agent={AGENT}"):
        text = await collector.text(path)
        result = check_metrics(text)
        assert result.parsed, (path, result.output)
        # lint findings may only come from MIB (camelCase) names, never from netmon_ ones
        assert not any("netmon_" in line for line in result.lint), (path, result.lint)
    assert check_metrics(await collector.text("/metrics")).ok
    wan = await collector.scope(f"/scopes/wan/metrics?agent={AGENT}")
    assert wan.types["probe_duration_seconds"] == "histogram"
    assert {dict(k).get("le") for k in wan.series("probe_duration_seconds_bucket")} \
        == {"0.1", "+Inf"}
    assert [dict(k).get("le") for k in wan.series("probe_duration_seconds_sum")] == [None]


async def test_every_site_is_exported_with_its_coordinates(collector: Collector) -> None:
    """``netmon_site_info`` lists the inventory's sites for the WAN map (joined on site)."""
    info = parse_metrics(await collector.text("/metrics"))
    sites = {dict(labels)["site"]: dict(labels) for (name, labels) in info
             if name == "netmon_site_info"}
    inventory = collector.app[LIVE].runtime
    assert inventory is not None
    assert set(sites) == {s.id for s in inventory.inventory.sites}
    assert sites["00001"] == {"site": "00001", "kind": "ward", "district": "Quận Ba Đình",
                              "ward": "Phường Phúc Xá", "latitude": "21.046798",
                              "longitude": "105.848112"}
    assert any(s["kind"] == "dc" and s["ward"] == "" for s in sites.values())
