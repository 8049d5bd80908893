"""The poller against simulated routers (the light responder, in this event loop): polls on
schedule, dead and slow devices delay nobody, results in the store as reports are, the
lookup cache over real UDP, reloads followed."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable

import pytest

from collector.errors import ConfigError
from collector.inventory import Identity
from collector.polling.poller import FOLLOW_SECONDS, Poller
from collector.render import render_scope
from collector.runtime import Runtime
from tests.collector.polling.conftest import (
    StartDevices,
    dead_address,
    device,
    with_devices,
)
from tests.peers.exposition import parse

MakePoller = Callable[..., Awaitable[Poller]]
SITES = ("00001", "00037", "00091", "00115", "00157", "00178")


def scope_text(poller: Poller, *names: str) -> str:
    store = poller.live.store
    assert store is not None
    return b"".join(render_scope(store, names, store.clock.monotonic())).decode()


async def test_dead_and_slow_devices_delay_no_one(simulated: StartDevices,
                                                  make_poller: MakePoller) -> None:
    fast = await simulated(4)
    (slow,) = await simulated(1, delay=0.3)
    devices = [device(f"r{i}", SITES[i], f"127.0.0.1:{d.port}", interval=2.0)
               for i, d in enumerate(fast)]
    devices.append(device("slow", SITES[4], f"127.0.0.1:{slow.port}", ("system",),
                          interval=2.0))
    devices.append(device("dead", SITES[5], dead_address(), ("system",), interval=2.0,
                          timeout=1.5))
    poller = await make_poller(tuple(devices), schedule=True, concurrency=4)
    await asyncio.sleep(5.0)     # 2.5 intervals: every device polled at least twice
    stats = {name: t.stats for name, t in poller.targets.items()}
    for name in ("r0", "r1", "r2", "r3"):
        s = stats[name]
        assert s.up and s.polls["success"] >= 2, (name, s)
        # waiting behind the dead device (for a slot, or for its deadline: 1.5 s less
        # 0.5 s) would show as a late start; each poll's own duration (some tens of ms,
        # more on a loaded CI machine) is its own and is not bounded here
        assert s.delay < 0.5 and s.duration < stats["dead"].duration + 0.5, (name, s)
        assert s.pdus == 32 + 866 and s.skipped == 0
    assert stats["slow"].up and stats["slow"].duration >= 0.6      # 2 requests of 0.3 s
    assert not stats["dead"].up and stats["dead"].duration >= 0.95
    assert stats["dead"].errors["deadline"] + stats["dead"].errors["timeout"] >= 1
    assert stats["dead"].polls["failure"] >= 1 and not stats["dead"].polls["success"]
    # the store: the routers' series with their identity, the dead one's failure
    text = scope_text(poller, "r0", "dead")
    exposition = parse(text)
    oper = exposition.series("ifOperStatus")
    assert len(oper) == 24
    labels = dict(next(iter(oper)))
    assert labels["agent"] == "r0" and labels["site"] == "00001"
    assert labels["ward"] == "Phường Phúc Xá" and labels["district"] == "Quận Ba Đình"
    assert labels["role"] == "ward-router" and labels["instance"] == f"127.0.0.1:{fast[0].port}"
    success = {dict(k)["agent"]: v for k, v in exposition.series(
        "netmon_exporter_success").items()}
    assert success == {"r0": 1.0, "dead": 0.0}
    assert not [k for k in exposition.values if k[0] == "sysName" and
                dict(k[1])["agent"] == "dead"]


async def test_polls_are_bounded_by_the_concurrency(simulated: StartDevices,
                                                    make_poller: MakePoller) -> None:
    sims = await simulated(6, delay=0.1)
    devices = tuple(device(f"r{i}", SITES[i], f"127.0.0.1:{d.port}", ("system",))
                    for i, d in enumerate(sims))
    poller = await make_poller(devices, concurrency=2)
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, poller.in_flight)
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    started = time.monotonic()
    summaries = await poller.sweep()
    elapsed = time.monotonic() - started
    watcher.cancel()
    assert all(s.success for s in summaries)
    assert peak == 2
    assert elapsed >= 3 * 0.2 * 0.9            # 6 polls of 2 x 0.1 s, two at a time


async def test_the_lookup_cache_over_udp_and_a_restart(simulated: StartDevices,
                                                      make_poller: MakePoller) -> None:
    (router,) = await simulated(1)
    poller = await make_poller((device("r0", SITES[0], f"127.0.0.1:{router.port}",
                                       ("if_mib",)),))
    first = (await poller.sweep())[0]
    requests = router.requests
    second = (await poller.sweep())[0]
    assert (first.pdus, second.pdus) == (962, 866)
    assert second.packets == router.requests - requests      # counted at the device too
    text = scope_text(poller, "r0")
    router.records.set((1, 3, 6, 1, 2, 1, 1, 3, 0), 67, "12")           # rebooted
    router.records.set((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, 4), 4, "ge-0/0/1")
    third = (await poller.sweep())[0]
    assert third.pdus == 962
    assert poller.targets["r0"].scrape.refreshes == {"first": 1, "restarted": 1}
    after = scope_text(poller, "r0")
    assert 'ifName="ge-0/0/1"' in after and 'ifName="ge-0/0/1"' not in text
    assert after.count("\n") == text.count("\n")
    store = poller.live.store
    assert store is not None
    (numbers,) = store.agents["r0"].seqs.ranges()      # one contiguous range: three polls
    assert numbers[1] - numbers[0] == 2


async def test_a_device_with_an_unknown_module_or_auth_stops_the_start(
        make_poller: MakePoller) -> None:
    with pytest.raises(ConfigError) as exc:
        await make_poller((device("r0", SITES[0], "127.0.0.1:161", ("if_mbi",)),))
    assert "device r0" in str(exc.value) and "unknown module 'if_mbi'" in str(exc.value)
    with pytest.raises(ConfigError, match=r"device r1: .*unknown auth 'nope'"):
        await make_poller((dataclasses.replace(
            device("r1", SITES[0], "127.0.0.1:161"), auth="nope"),))


async def test_reloads_are_followed(simulated: StartDevices, make_poller: MakePoller) -> None:
    sims = await simulated(2)
    r0, r1 = (device(f"r{i}", SITES[i], f"127.0.0.1:{d.port}", ("system",))
              for i, d in enumerate(sims))
    poller = await make_poller((r0,), schedule=True)
    first = poller.targets["r0"]
    runtime = poller.live.runtime
    assert runtime is not None

    def install(*devices: object) -> None:
        inventory = with_devices(devices)  # type: ignore[arg-type]
        poller.live.install(Runtime.build(runtime.config, inventory))

    install(r0, r1, dataclasses.replace(r1, name="bad", modules=("nope",)))
    await asyncio.sleep(FOLLOW_SECONDS * 1.5)
    assert set(poller.targets) == {"r0", "r1"} and poller.targets["r0"] is first
    assert "unknown module 'nope'" in poller.invalid["bad"]
    install(dataclasses.replace(r0, interval=30.0))
    await asyncio.sleep(FOLLOW_SECONDS * 1.5)
    assert set(poller.targets) == {"r0"} and poller.targets["r0"] is not first
    assert poller.invalid == {}
    store = poller.live.store
    assert store is not None and "r1" not in store.agents


def test_identity_of_a_device_is_an_agent_s() -> None:
    inventory = with_devices((device("r0", "00001", "127.0.0.1:161"),))
    assert inventory.identities["r0"] == Identity(
        "r0", "00001", "Quận Ba Đình", "Phường Phúc Xá", "ward-router", "", "ward")
