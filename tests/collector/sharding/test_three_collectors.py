"""Three collector processes of one data centre share twelve simulated routers (the light
responder, in its own process): each router is polled by exactly the member rendezvous
hashing gives it; one member is killed (SIGKILL) and its routers move to the two others
within the bound, the others' routers staying where they were; it is started again and they
come back. At every settled point every router is polled by one member: none lost, none
doubled (by ``netmon_target_up``, ``/sd``, ``netmon_agent_up`` and the served series)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from collector.inventory import Device
from collector.sharding.rendezvous import assign
from netmon.commands import netmon_modules_path
from tests.collector.helpers import small_inventory
from tests.collector.polling.conftest import AUTH, COMMUNITY, with_devices, write_inventory
from tests.collector.process import Running, start_collector
from tests.peers.exposition import Exposition
from tests.peers.process import PeerProcess, free_tcp_port
from tests.peers.snmp import WARD_ROUTER

pytestmark = pytest.mark.sharding

MEMBERS = ("dc1-a", "dc1-b", "dc1-c")
DEVICES = 12
INTERVAL = 2.0
#: fall x interval + timeout, the poller's 1 s, a device's interval, and 2 s for a busy CI
FAILOVER_WITHIN = 2 * 0.3 + 0.25 + 1.0 + INTERVAL + 2.0


@pytest.fixture
def routers(tmp_path: Path) -> Iterator[list[int]]:
    """Twelve simulated ward routers (one UDP port each) in a responder process."""
    peer = PeerProcess([sys.executable, "-m", "tests.peers.snmp_responder", "--data",
                        str(WARD_ROUTER), "--community", COMMUNITY, "--devices",
                        str(DEVICES)], "responder")
    try:
        peer.wait_ready(lambda: '"ports"' in peer.output(), 20)
        line = next(ln for ln in peer.output().splitlines() if '"ports"' in ln)
        yield list(json.loads(line)["ports"])
    finally:
        peer.stop()


@pytest.fixture
def snmp_files(tmp_path: Path) -> tuple[Path, ...]:
    auths = tmp_path / "wan-auths.yml"
    auths.write_text(f"auths:\n  {AUTH}:\n    community: {COMMUNITY}\n    version: 2\n"
                     "modules: {}\n", encoding="utf-8")
    auths.chmod(0o600)  # it holds a community (exporters/snmp/secret_fields.py)
    return netmon_modules_path(), auths


def sharding(me: str, ports: dict[str, int], snmp_files: tuple[Path, ...]) -> str:
    """collector.yml for member ``me``: quick checks, so the test is quick too."""
    members = "".join(f"    - {{name: {n}, url: http://127.0.0.1:{p}}}\n"
                      for n, p in ports.items())
    return (f"dc: primary\nsharding:\n  self: {me}\n  members:\n{members}"
            "  interval: 300ms\n  timeout: 250ms\n  fall: 2\n  rise: 2\n"
            f"snmp:\n  files: [{', '.join(str(f) for f in snmp_files)}]\n")


def metrics(collector: Running) -> Exposition:
    return collector.scope("/metrics")


def polled(collector: Running) -> dict[str, float]:
    """Device -> successful polls, as the collector's own metrics say."""
    polls = metrics(collector).series("netmon_target_polls_total")
    return {dict(k)["target"]: v for k, v in polls.items() if dict(k)["result"] == "success"}


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout:g}s: {what}")
        time.sleep(0.2)
    return time.monotonic() - start


def test_three_collectors_share_move_and_give_back(tmp_path: Path, routers: list[int],
                                                  snmp_files: tuple[Path, ...]) -> None:
    base = small_inventory()
    wards = [s.id for s in base.sites if s.kind == "ward"]
    devices = tuple(Device(f"hn-sw{i:02d}", wards[i % len(wards)], "ward-router",
                           f"127.0.0.1:{port}", ("system",), AUTH, interval=INTERVAL,
                           timeout=1.0) for i, port in enumerate(routers))
    inventory = write_inventory(tmp_path / "inventory.yml", with_devices(devices, base))
    (tmp_path / "tokens").mkdir(mode=0o700, exist_ok=True)
    names = [d.name for d in devices]
    ports = {m: free_tcp_port() for m in MEMBERS}
    expected = assign(names, MEMBERS)

    def start(member: str) -> contextlib.AbstractContextManager[Running]:
        return start_collector(tmp_path, inventory, sharding(member, ports, snmp_files),
                               name=member, port=ports[member])

    with contextlib.ExitStack() as stack:
        running = {m: stack.enter_context(start(m)) for m in MEMBERS}

        def settled_on(owners: dict[str, str], alive: tuple[str, ...],
                       since: dict[str, dict[str, float]] | None = None) -> Callable[[], bool]:
            def check() -> bool:
                for member in alive:
                    got = polled(running[member])
                    mine = {d for d, o in owners.items() if o == member}
                    floor = (since or {}).get(member, {})
                    if set(got) != mine or any(got[d] <= floor.get(d, 0) for d in mine):
                        return False
                return True
            return check

        wait_for(settled_on(dict(expected), MEMBERS), 30, "each router polled by its member")
        assert_served_once(running, dict(expected), MEMBERS, names)

        # --- one member killed (a power cut): its routers move, the others' stay ---------
        os.kill(running["dc1-b"].process.pid, signal.SIGKILL)
        running["dc1-b"].process.proc.wait(timeout=10)
        survivors = ("dc1-a", "dc1-c")
        after = dict(assign(names, survivors))
        moved = {d for d in names if expected[d] == "dc1-b"}
        assert moved and {d for d in names if after[d] != expected[d]} == moved
        before = {m: polled(running[m]) for m in survivors}
        took = wait_for(settled_on(after, survivors, before), 30, "b's routers on a and c")
        print(f"\nfailover: b's {len(moved)} routers polled by a and c after {took:.1f}s")
        assert took < FAILOVER_WITHIN
        for member in survivors:
            up = metrics(running[member]).series("netmon_shard_member_up")
            assert up[frozenset({("member", "dc1-b")})] == 0
        assert_served_once(running, after, survivors, names)

        # --- it comes back: exactly its routers return to it ---------------------------------
        running["dc1-b"] = stack.enter_context(start("dc1-b"))
        before = {m: polled(running[m]) for m in survivors}
        took = wait_for(settled_on(dict(expected), MEMBERS, before), 30, "b's routers back")
        print(f"hand-back: b polls its {len(moved)} routers again after {took:.1f}s")
        assert_served_once(running, dict(expected), MEMBERS, names)


def assert_served_once(running: dict[str, Running], owners: dict[str, str],
                       alive: tuple[str, ...], names: list[str]) -> None:
    """Every router is listed, counted up and served by its owner, and by no other member."""
    for member in alive:
        mine = {d for d, o in owners.items() if o == member}
        status, body = running[member].get("/sd")
        assert status == 200
        listed = {g["labels"]["__param_agent"] for g in json.loads(body)}
        assert listed & set(names) == mine, member
        up = metrics(running[member]).series("netmon_agent_up")
        counted = {dict(k)["agent"] for k in up} & set(names)
        assert counted == mine, member
        assert all(up[k] == 1 for k in up if dict(k)["agent"] in mine), member
        served = running[member].scope().series("sysUpTime")
        assert {dict(k)["agent"] for k in served} & set(names) == mine, member
        owner_view = metrics(running[member]).series("netmon_shard_device_owner")
        assert {dict(k)["target"]: dict(k)["member"] for k in owner_view} == owners, member
