"""Nothing lost, asserted in the stores: real agents in a ward's network namespace, two real
collectors, two real VictoriaMetrics (one per data centre), and faults between them.

For every agent, each data centre's store must hold exactly the samples the agent wrote
(one per report): counted with ``count_over_time`` by the store itself, and checked sample by
sample (no timestamp twice). The scenarios of issue 4:

* a WAN outage: the ward's path to one data centre cut (the link goes down, packets vanish)
  while the other stays up; the outage window holds the same samples in both stores;
* a collector restarted (SIGTERM, as for an upgrade) in the middle of the catch-up;
* both collectors down at once;
* one data centre down for the whole test: the other gets everything, and the spool keeps
  everything for the absent one;
* ``kill -9`` of agents at random points while they write and send.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.peers.netns import WanSite, wan_site
from tests.peers.victoria_metrics import victoria_metrics
from tests.system.fleet import (
    DCS,
    VM_ARGS,
    DataCentre,
    WardAgent,
    make_inventory,
    stopping,
    ward_agents,
)

pytestmark = [pytest.mark.faults, pytest.mark.peers]


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_inventory(tmp_path_factory.mktemp("inventory"), sites=16)


@pytest.fixture
def site() -> Iterator[WanSite]:
    with wan_site(links=len(DCS)) as made:
        yield made


@pytest.fixture
def dcs(tmp_path: Path, inventory: Path, site: WanSite) -> Iterator[tuple[DataCentre, ...]]:
    """Both data centres' stores running; their collectors are started by each test."""
    with contextlib.ExitStack() as stack:
        made = []
        for i, name in enumerate(DCS):
            folder = tmp_path / name
            folder.mkdir()
            store = stack.enter_context(victoria_metrics(folder / "vm", extra_args=VM_ARGS))
            made.append(DataCentre(name, folder, inventory, site.host_address(i), store))
        try:
            yield tuple(made)
        finally:
            for dc in made:
                if dc.collector is not None:
                    dc.stop()


def agents_for(count: int, tmp_path: Path, inventory: Path, site: WanSite,
               dcs: tuple[DataCentre, ...], offset: int = 0) -> list[WardAgent]:
    folder = tmp_path / "agents"
    folder.mkdir(exist_ok=True)
    names = ward_agents(inventory)[offset:offset + count]
    assert len(names) == count, "the inventory has too few wards for this test"
    return [WardAgent(name, folder, site, dcs) for name in names]


def settle(agents: list[WardAgent], dcs: tuple[DataCentre, ...]) -> None:
    """Stop the agents, drain their spools into the collectors, and flush the stores."""
    for agent in agents:
        if agent.process is not None and agent.process.proc.poll() is None:
            agent.stop()
    for agent in agents:
        agent.drain()
    for dc in dcs:
        dc.wait_forwarded()


def assert_every_sample_once(agents: list[WardAgent], dc: DataCentre,
                             since: float) -> None:
    for agent in agents:
        written = agent.written()
        stamps = dc.timestamps(agent.agent_id)
        assert len(stamps) == len(set(stamps)), f"{dc.name}: duplicates for {agent.agent_id}"
        assert len(stamps) == written, (f"{dc.name} holds {len(stamps)} samples of "
                                        f"{agent.agent_id}, it wrote {written}")
        assert dc.count_over_time(agent.agent_id, since, time.time()) == written


def duplicates_after_a_crash(agents: list[WardAgent], dc: DataCentre) -> int:
    """Every sample is there; returns how many are there twice."""
    twice = 0
    for agent in agents:
        stamps = dc.timestamps(agent.agent_id)
        assert len(set(stamps)) == agent.written(), (dc.name, agent.agent_id)
        twice += len(stamps) - len(set(stamps))
    return twice


def assert_same_window(agents: list[WardAgent], dcs: tuple[DataCentre, ...], start: float,
                       end: float, at_least: int) -> None:
    """The outage window: the same count in every store, and what the agents collected."""
    for agent in agents:
        counts = [dc.count_over_time(agent.agent_id, start, end) for dc in dcs]
        assert len(set(counts)) == 1, (agent.agent_id, counts)
        assert counts[0] >= at_least, (agent.agent_id, counts)


def test_a_wan_outage_to_one_data_centre_loses_nothing(
        tmp_path: Path, inventory: Path, site: WanSite,
        dcs: tuple[DataCentre, ...]) -> None:
    for dc in dcs:
        dc.start()
    since = time.time()
    with stopping(agents_for(3, tmp_path, inventory, site, dcs)) as agents:
        for agent in agents:
            agent.start()
        time.sleep(2)
        cut = time.time()
        site.cut(0)                                   # the ward loses the primary DC
        time.sleep(4)
        site.restore(0)
        back = time.time()
        time.sleep(3)                                 # catching up beside live data
        settle(agents, dcs)
    for dc in dcs:
        assert_every_sample_once(agents, dc, since)
    assert_same_window(agents, dcs, cut, back, at_least=int(4 / agents[0].interval * 0.5))
    # the primary received the outage after the fact, as late samples (forwarded, not
    # served); the backup only what a busy moment delayed (interval 0.2 s: late after 0.4 s)
    late = {dc.name: sum(dc.metric("netmon_agent_late_samples_total", agent=a.agent_id)
                         for a in agents) for dc in dcs}
    assert late["primary"] > late["backup"] + 10_000, late


def test_a_collector_restarted_in_the_middle_of_a_catch_up_loses_nothing(
        tmp_path: Path, inventory: Path, site: WanSite,
        dcs: tuple[DataCentre, ...]) -> None:
    primary, _ = dcs
    for dc in dcs:
        dc.start()
    since = time.time()
    with stopping(agents_for(2, tmp_path, inventory, site, dcs, offset=3)) as agents:
        for agent in agents:
            agent.catchup_rate = 4.0                  # a catch-up that lasts a while
            agent.start()
        time.sleep(1)
        site.cut(0)
        time.sleep(4)                                 # some 20 reports of backlog each
        site.restore(0)
        time.sleep(1.5)                               # the catch-up is under way ...
        caught_up = sum(primary.metric("netmon_agent_reports_total", agent=a.agent_id,
                                       result="accepted") for a in agents)
        primary.stop()                                # ... when the collector restarts
        time.sleep(1)
        primary.start()
        time.sleep(3)
        settle(agents, dcs)
    assert caught_up > 0
    for dc in dcs:
        assert_every_sample_once(agents, dc, since)


def test_a_collector_killed_in_the_middle_of_a_catch_up_loses_nothing(
        tmp_path: Path, inventory: Path, site: WanSite,
        dcs: tuple[DataCentre, ...]) -> None:
    """A power cut in the primary DC: its collector is killed (no clean stop) during a
    catch-up. What it acknowledged it had spooled (rows and report numbers in one SQLite
    commit): a report sent again is a duplicate, not forwarded twice. The one request that
    was with the store when it died may be sent again at the restart (remote_write is at
    least once): at most one sample twice, which the store's deduplication absorbs
    (Prometheus ignores an identical sample; VictoriaMetrics: -dedup.minScrapeInterval)."""
    primary, backup = dcs
    for dc in dcs:
        dc.start()
    since = time.time()
    with stopping(agents_for(2, tmp_path, inventory, site, dcs, offset=11)) as agents:
        for agent in agents:
            agent.catchup_rate = 4.0
            agent.start()
        time.sleep(1)
        site.cut(0)
        time.sleep(4)
        site.restore(0)
        time.sleep(1.5)
        primary.kill()
        time.sleep(1)
        primary.start()
        time.sleep(3)
        settle(agents, dcs)
    assert duplicates_after_a_crash(agents, primary) <= 1
    assert_every_sample_once(agents, backup, since)


def test_both_collectors_down_at_once_loses_nothing(
        tmp_path: Path, inventory: Path, site: WanSite,
        dcs: tuple[DataCentre, ...]) -> None:
    for dc in dcs:
        dc.start()
    since = time.time()
    with stopping(agents_for(2, tmp_path, inventory, site, dcs, offset=5)) as agents:
        for agent in agents:
            agent.start()
        time.sleep(1.5)
        for dc in dcs:
            dc.stop()
        down = time.time()
        time.sleep(3)
        up = time.time()
        for dc in dcs:
            dc.start()
        time.sleep(2)
        settle(agents, dcs)
    for dc in dcs:
        assert_every_sample_once(agents, dc, since)
    assert_same_window(agents, dcs, down, up, at_least=int(3 / agents[0].interval * 0.5))


def test_one_data_centre_down_for_the_whole_test(
        tmp_path: Path, inventory: Path, site: WanSite,
        dcs: tuple[DataCentre, ...]) -> None:
    primary, backup = dcs
    primary.start()                                   # the backup DC never comes up
    since = time.time()
    with stopping(agents_for(2, tmp_path, inventory, site, dcs, offset=7)) as agents:
        for agent in agents:
            agent.start()
        time.sleep(4)
        for agent in agents:
            agent.stop()
    primary.wait_forwarded()
    for agent in agents:
        spooled = agent.spooled()
        written = agent.written()
        assert len(spooled.owed("dc-backup")) == written   # all of it kept for the backup
        assert not spooled.owed("dc-primary")
    assert_every_sample_once(agents, primary, since)
    backup.store.flush()
    assert all(backup.timestamps(a.agent_id) == [] for a in agents)


def test_kill_9_of_agents_at_random_points_loses_and_duplicates_nothing(
        tmp_path: Path, inventory: Path, site: WanSite,
        dcs: tuple[DataCentre, ...]) -> None:
    for dc in dcs:
        dc.start()
    rng = random.Random(20261127)
    since = time.time()
    with stopping(agents_for(2, tmp_path, inventory, site, dcs, offset=9)) as agents:
        for agent in agents:
            agent.interval = 0.05                     # writing and sending all the time
        for _ in range(8):
            for agent in agents:
                agent.start()
            time.sleep(rng.uniform(0.3, 0.9))
            for agent in agents:
                time.sleep(rng.uniform(0, 0.05))
                agent.kill()
        settle(agents, dcs)
    for dc in dcs:
        assert_every_sample_once(agents, dc, since)
