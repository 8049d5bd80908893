"""POST /-/reload (and SIGHUP, in test_process): new config and inventory, state kept."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

from collector.inventory import Inventory, hash_token
from collector.inventory_load import load_inventory
from collector.inventory_write import dump_inventory
from netmon import wire
from tests.collector.conftest import Collector
from tests.collector.helpers import AGENT, OTHER, Pusher, parse_metrics, token


def rewrite(collector: Collector, inventory: Inventory) -> None:
    collector.inventory_path.write_text(dump_inventory(inventory), encoding="utf-8")


async def reload_ok(collector: Collector) -> dict[str, object]:
    response = await collector.client.post("/-/reload")
    answer: dict[str, object] = await response.json()
    assert response.status == 200, answer
    return answer


async def test_reload_keeps_state_and_revokes_a_token_at_once(collector: Collector) -> None:
    mine, other = Pusher(), Pusher()
    body = mine.body()
    assert (await collector.push(body)).status == 200
    assert (await collector.push(other.body(), agent_id=OTHER)).status == 200
    inventory = load_inventory(collector.inventory_path)
    rotated = tuple(dataclasses.replace(a, token_sha256=(hash_token("rotated"),))
                    if a.id == OTHER else a for a in inventory.agents)
    rewrite(collector, dataclasses.replace(inventory, agents=rotated))
    assert await reload_ok(collector) == {"status": "reloaded", "agents": 14}

    scope = await collector.scope()                       # nothing dropped by the reload
    assert {dict(k)["agent"] for k in scope.series("ifHCInOctets")} == {AGENT, OTHER}
    assert await (await collector.push(body)).json() == {"ack": 1, "duplicate": True}
    refused = await collector.push(other.body(), agent_id=OTHER)    # the old token
    assert refused.status == 401
    response = await collector.client.post("/api/v1/push", data=other.body(), headers={
        "Authorization": "Bearer rotated", "Content-Type": "application/x-netmon-report+json",
        "Content-Encoding": "gzip"})
    assert response.status == 200


async def test_a_removed_agent_loses_its_series(collector: Collector) -> None:
    await collector.push(Pusher().body())
    await collector.push(Pusher().body(), agent_id=OTHER)
    inventory = load_inventory(collector.inventory_path)
    rewrite(collector, dataclasses.replace(
        inventory, agents=tuple(a for a in inventory.agents if a.id != OTHER)))
    await reload_ok(collector)
    scope = await collector.scope()
    assert {dict(k)["agent"] for k in scope.series("ifHCInOctets")} == {AGENT}
    await collector.text(f"/scopes/wan/metrics?agent={OTHER}", 404)
    groups = await (await collector.client.get("/sd")).json()
    assert OTHER not in {g["labels"]["agent"] for g in groups}
    assert (await collector.push(Pusher().body(), agent_id=OTHER)).status == 401
    metrics = parse_metrics(await collector.text("/metrics"))
    assert not [k for k in metrics if ("agent", OTHER) in k[1]]


async def test_a_renamed_ward_is_relabelled_by_the_next_report(collector: Collector) -> None:
    pusher = Pusher()
    first = pusher.body()
    await collector.push(first)
    inventory = load_inventory(collector.inventory_path)
    sites = tuple(dataclasses.replace(s, name="Phường Phúc Xá Mới") if s.id == "00001" else s
                  for s in inventory.sites)
    rewrite(collector, dataclasses.replace(inventory, sites=sites))
    await reload_ok(collector)
    assert not (await collector.scope()).series("ifHCInOctets")   # old labels withdrawn
    assert await (await collector.push(first)).json() == {"ack": 1, "duplicate": True}
    await collector.push(pusher.body())
    wards = {dict(k)["ward"] for k in (await collector.scope()).series("ifHCInOctets")}
    assert wards == {"Phường Phúc Xá Mới"}


async def test_a_broken_inventory_is_refused_and_the_old_one_kept(collector: Collector) -> None:
    await collector.push(Pusher().body())
    text = collector.inventory_path.read_text(encoding="utf-8")
    collector.inventory_path.write_text(text.replace("kind: ward", "kind: wrad", 1),
                                        encoding="utf-8")
    response = await collector.client.post("/-/reload")
    assert response.status == 500
    error = (await response.json())["error"]
    assert f"{collector.inventory_path}:" in error and "kind 'wrad'" in error
    assert (await collector.scope()).series("ifHCInOctets")
    assert (await collector.push(Pusher().body(), agent_id=OTHER)).status == 200
    metrics = parse_metrics(await collector.text("/metrics"))
    assert metrics[("netmon_collector_config_last_reload_successful", ())] == 0


async def test_reload_reads_the_config_again(collector: Collector) -> None:
    await collector.text("/scopes/ba-dinh/metrics", 404)
    collector.config_path.write_text(
        f"inventory: {collector.inventory_path.name}\n"
        "scopes:\n  - name: ba-dinh\n    matchers: {district: Quận Ba Đình, kind: ward}\n",
        encoding="utf-8")
    await reload_ok(collector)
    await collector.push(Pusher().body())
    await collector.push(Pusher().body(), agent_id=OTHER)
    scope = await collector.scope("/scopes/ba-dinh/metrics")
    assert {dict(k)["agent"] for k in scope.series("ifHCInOctets")} == {AGENT}
    assert await collector.text("/scopes/wan/metrics")             # the defaults stay
    collector.config_path.write_text("inventory: x.yml\nstaleness: 3\n", encoding="utf-8")
    response = await collector.client.post("/-/reload")
    assert response.status == 500
    assert "unknown key 'staleness'" in (await response.json())["error"]
    # the running config is kept: pushes still work
    assert (await collector.push(Pusher(seq=5).body())).status == 200


async def test_a_push_in_flight_is_refused_once_its_token_is_revoked(collector: Collector
                                                                    ) -> None:
    body = Pusher().body()
    gate = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield body[:10]
        await gate.wait()
        yield body[10:]

    pending = asyncio.create_task(collector.client.post(
        "/api/v1/push", data=slow(), headers={"Authorization": f"Bearer {token(AGENT)}",
                                              "Content-Type": wire.CONTENT_TYPE,
                                              "Content-Encoding": "gzip"}))
    await asyncio.sleep(0.2)
    inventory = load_inventory(collector.inventory_path)
    rewrite(collector, dataclasses.replace(inventory, agents=tuple(
        dataclasses.replace(a, token_sha256=()) if a.id == AGENT else a
        for a in inventory.agents)))
    await reload_ok(collector)
    gate.set()
    response = await pending
    assert response.status == 401
    assert not (await collector.scope()).series("ifHCInOctets")
