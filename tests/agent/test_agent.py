"""The agent in one process against real peers: a stand-in collector over HTTP, snmpsim's ward
router, a dead SNMP device, a dead collector."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import Metric

from agent.config import (
    AgentConfig,
    CollectorConfig,
    HostJobConfig,
    ShippingConfig,
    SpoolConfig,
)
from agent.config_load import load_agent_config
from agent.jobs import Job
from agent.runtime import Agent, new_session, run_agents
from exporters.secrets import Secret
from exporters.snmp.client import SnmpStack
from netmon.commands import netmon_modules_path
from netmon.wire import Batch, Report
from tests.agent.conftest import TOKEN
from tests.agent.receiver import Answer, Receiver
from tests.peers.misbehaving_agents import FakeAgent, silent, udp_agent
from tests.peers.process import free_tcp_port
from tests.peers.promtool import check_metrics
from tests.peers.snmp import SnmpAgent

AGENT_FAMILIES = {
    "netmon_agent_reports_sent_total", "netmon_agent_reports_failed_total",
    "netmon_agent_report_bytes_total", "netmon_agent_last_success_timestamp_seconds",
    "netmon_agent_spool_backlog_reports", "netmon_agent_exporter_skipped_runs_total",
    "netmon_agent_spool_reports", "netmon_agent_spool_bytes",
    "netmon_agent_spool_oldest_age_seconds", "netmon_agent_spool_backlog_age_seconds",
    "netmon_agent_spool_dropped_samples_total", "netmon_agent_spool_quarantined_total",
}


@pytest.fixture
def dead_device() -> Iterator[FakeAgent]:
    with udp_agent(silent) as agent:
        yield agent


def batches(reports: list[Report], exporter: str) -> list[Batch]:
    return [b for r in reports for b in r.batches if b.exporter == exporter]


def value(b: Batch, family: str, **labels: str) -> float:
    for f in b.families:
        if f.name == family:
            for row in f.rows:
                if all(row[1 + f.labels.index(k)] == v for k, v in labels.items()):
                    return float(row[0])
    raise KeyError(f"{family}{labels} not in batch {b.exporter}")


def host_only(receiver_url: str | None, spool: Path, interval: float = 0.1,
              agent_id: str = "hn-test", token: str = TOKEN, **shipping: float) -> AgentConfig:
    collectors = (CollectorConfig(receiver_url, "dc-primary", 2.0),) if receiver_url else ()
    return AgentConfig(
        agent_id=agent_id, collectors=collectors, token=Secret(token), jitter=0.0,
        host=HostJobConfig(interval=interval),
        shipping=ShippingConfig(backoff_base=0.02, backoff_max=0.1,
                                spool=SpoolConfig(str(spool / f"{agent_id}.spool.db")),
                                **shipping))  # type: ignore[arg-type]


async def run_for(agent: Agent, seconds: float, timeout: float = 10) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, timeout)


@pytest.mark.peers
async def test_host_router_and_dead_device_each_on_their_own_schedule(
        receiver: Receiver, ward_router: SnmpAgent, dead_device: FakeAgent,
        token_file: Path, tmp_path: Path) -> None:
    (tmp_path / "auth.yml").write_text(
        f"auths:\n  ward:\n    community: {ward_router.community}\n    version: 2\n"
        "modules: {}\n", encoding="utf-8")
    (tmp_path / "auth.yml").chmod(0o600)  # it holds a community (exporters/snmp/secret_fields.py)
    config_path = tmp_path / "agent.yml"
    config_path.write_text(f"""\
agent_id: hn-bd-phucxa
token_file: {token_file}
collectors: [{{name: dc-primary, url: "{receiver.url}"}}]
shipping: {{spool: {{path: spool.db}}}}
jitter: 0
exporters:
  host: {{interval: 250ms}}
  snmp:
    - {{target: "{ward_router.target}", name: "snmp:hn-bd-phucxa-r1", modules: [system, if_mib],
       auth: ward, interval: 500ms, files: ["{netmon_modules_path()}", auth.yml]}}
    - {{target: "{dead_device.target}", name: "snmp:dead", modules: [system], auth: ward,
       interval: 500ms, files: ["{netmon_modules_path()}", auth.yml]}}
""", encoding="utf-8")
    config = load_agent_config(config_path)
    stack = SnmpStack()
    try:
        agent = Agent(config, stack)
        await run_for(agent, 2.3)
    finally:
        stack.close()
    reports = receiver.reports
    # One collector: seqs contiguous (nothing lost), each once.
    seqs = sorted(r.seq for r in reports)
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert abs(seqs[0] / 1000 - time.time()) < 60
    assert all(p.headers["Authorization"] == f"Bearer {TOKEN}" for p in receiver.pushes)
    # Every report: the exporter's batch, then the agent's.
    assert all(len(r.batches) == 2 and r.batches[1].exporter == "agent" for r in reports)

    host = batches(reports, "host")
    assert len(host) >= 8
    gaps = [b.ts - a.ts for a, b in itertools.pairwise(host)]
    # every 0.25 s: the dead device (cut at 0.45 s) delays nobody; 0.1 s of slack for a
    # loaded CI machine
    assert all(0.15 < gap < 0.35 for gap in gaps), gaps
    assert all(b.interval == 0.25 for b in host)
    assert value(host[-1], "netmon_exporter_success", exporter="host") == 1
    assert any(f.name == "node_cpu_seconds_total" for f in host[-1].families)

    router = batches(reports, "snmp:hn-bd-phucxa-r1")
    assert len(router) >= 3
    assert value(router[-1], "netmon_exporter_success", exporter="snmp:hn-bd-phucxa-r1") == 1
    in_octets = next(f for f in router[-1].families if f.name == "ifHCInOctets")
    assert len(in_octets.rows) == 24 and in_octets.type == "counter"

    dead = batches(reports, "snmp:dead")
    assert len(dead) >= 3
    assert value(dead[-1], "netmon_exporter_success", exporter="snmp:dead") == 0
    assert value(dead[-1], "netmon_snmp_module_error", module="system", kind="deadline") == 1
    assert value(dead[-1], "netmon_exporter_duration_seconds", exporter="snmp:dead") < 0.5

    own = max(reports, key=lambda r: r.seq).batches[1]
    assert {f.name for f in own.families} >= AGENT_FAMILIES
    assert own.interval == 0.25
    assert value(own, "netmon_agent_reports_sent_total", collector="dc-primary") >= len(
        reports) - 3
    assert value(own, "netmon_agent_exporter_skipped_runs_total", exporter="snmp:dead") == 0
    assert value(own, "netmon_agent_last_success_timestamp_seconds",
                 collector="dc-primary") > time.time() - 60
    assert agent.metrics.sent["dc-primary"] == len(reports)


async def test_a_dead_collector_delays_no_other(receiver: Receiver, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_tcp_port()}"
    config = host_only(receiver.url, tmp_path, grace=0.3)
    config = AgentConfig(agent_id=config.agent_id, token=config.token, jitter=0.0,
                         collectors=(*config.collectors, CollectorConfig(dead, "dc-backup")),
                         host=config.host, shipping=config.shipping)
    agent = Agent(config, None)
    await run_for(agent, 1.0)
    seqs = sorted(r.seq for r in receiver.reports)
    assert len(seqs) >= 8 and seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert agent.metrics.sent["dc-backup"] == 0
    assert agent.metrics.failed["dc-backup", "connection"] >= 3
    last = max(receiver.reports, key=lambda r: r.seq).batches[1]
    assert value(last, "netmon_agent_spool_backlog_reports", collector="dc-backup") >= 1
    assert value(last, "netmon_agent_reports_failed_total", collector="dc-backup",
                 reason="connection") >= 1


async def test_a_push_in_flight_at_the_grace_is_answered_and_never_sent_again(
        receiver: Receiver, tmp_path: Path) -> None:
    """The collector holds its answer (0.8 s) past the grace (0.2 s): the stop waits for it
    and records it, so the next start does not send that report again (before, the push
    was cancelled at the grace and the collector got it twice)."""
    receiver.default = Answer(delay=0.8)
    agent = Agent(host_only(receiver.url, tmp_path, interval=0.1, grace=0.2), None)
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    await receiver.wait_pushes(1)                 # its answer is 0.8 s away
    stop.set()
    started = time.monotonic()
    await asyncio.wait_for(task, 10)
    assert 0.5 < time.monotonic() - started < 0.8 + 1.0   # waited for the answer, no more
    await receiver.wait_for(1)
    receiver.default = Answer()
    await run_for(Agent(host_only(receiver.url, tmp_path, interval=0.1, grace=2.0,
                                  catchup_rate=100.0), None), 0.5)
    assert not receiver.duplicates
    seqs = sorted(r.seq for r in receiver.reports)
    assert len(seqs) >= 3 and seqs == list(range(seqs[0], seqs[0] + len(seqs)))


async def test_stop_flushes_what_is_spooled(receiver: Receiver, tmp_path: Path) -> None:
    receiver.default = Answer(delay=0.08)   # slower than the agent produces
    agent = Agent(host_only(receiver.url, tmp_path, interval=0.05, grace=5.0,
                            catchup_rate=100.0), None)
    started = time.monotonic()
    await run_for(agent, 0.6)
    produced = agent.metrics.runs["host"]
    assert produced >= 8
    seqs = sorted(r.seq for r in receiver.reports)
    assert seqs == list(range(seqs[0], agent.sequence.peek()))  # every one, each once
    assert agent.metrics.sent["dc-primary"] == produced == len(receiver.reports)
    assert time.monotonic() - started < 0.6 + 5.0


async def test_stop_gives_up_after_the_grace(caplog: pytest.LogCaptureFixture,
                                             tmp_path: Path) -> None:
    config = host_only(f"http://127.0.0.1:{free_tcp_port()}", tmp_path, interval=0.1,
                       grace=0.3)
    agent = Agent(config, None)
    with caplog.at_level(logging.WARNING, "agent.runtime"):
        stop = asyncio.Event()
        task = asyncio.create_task(agent.run(stop))
        await asyncio.sleep(0.5)
        stop.set()
        started = time.monotonic()
        await asyncio.wait_for(task, 5)
    # gives up at the grace (0.3 s), not at the push's timeout (10 s); 1 s of slack for a
    # loaded CI machine
    assert time.monotonic() - started < 0.3 + 1.0
    assert any("stopped with undelivered reports" in r.message for r in caplog.records)


async def test_many_agents_share_one_session_and_stack(receiver: Receiver,
                                                      tmp_path: Path) -> None:
    configs = [host_only(receiver.url, tmp_path, interval=0.2, agent_id=f"hn-ward-{i:03d}",
                         token=f"token-{i:03d}") for i in range(3)]
    stop = asyncio.Event()
    task = asyncio.create_task(run_agents(configs, stop))
    await asyncio.sleep(0.7)
    stop.set()
    await asyncio.wait_for(task, 10)
    tokens = {p.headers["Authorization"] for p in receiver.pushes}
    assert tokens == {f"Bearer token-{i:03d}" for i in range(3)}


async def test_agents_given_a_session_do_not_close_it(receiver: Receiver,
                                                     tmp_path: Path) -> None:
    async with new_session() as session:
        await run_for(Agent(host_only(receiver.url, tmp_path), None, session), 0.3)
        assert not session.closed


class Doubled:
    """An exporter whose families share a name (two modules walking the same object)."""

    @property
    def name(self) -> str:
        return "doubled"

    async def collect(self) -> list[Metric]:
        out = []
        for value in (1.0, 2.0):
            family = Metric("sysUpTime", "The time since the agent started.", "gauge")
            family.add_sample("sysUpTime", {}, value)
            out.append(family)
        return out


async def test_families_sharing_a_name_reach_the_collector_as_one(receiver: Receiver,
                                                                 tmp_path: Path) -> None:
    config = AgentConfig(agent_id="hn-test", collectors=(
        CollectorConfig(receiver.url, "dc-primary"),), token=Secret(TOKEN), jitter=0.0,
        host=HostJobConfig(enabled=False),
        shipping=ShippingConfig(spool=SpoolConfig(str(tmp_path / "spool.db"))))
    agent = Agent(config, None, jobs=[Job(Doubled(), 0.1, 0.1)])
    await run_for(agent, 0.25)
    assert not [p for p in receiver.pushes if p.report is None]  # nothing refused
    got = batches(receiver.reports, "doubled")[0]
    assert value(got, "sysUpTime") == 1.0


@pytest.mark.peers
async def test_once_runs_every_exporter_and_renders_what_it_would_send(
        ward_router: SnmpAgent, dead_device: FakeAgent, tmp_path: Path) -> None:
    (tmp_path / "auth.yml").write_text(
        f"auths:\n  ward:\n    community: {ward_router.community}\n    version: 2\n"
        "modules: {}\n", encoding="utf-8")
    (tmp_path / "auth.yml").chmod(0o600)  # it holds a community (exporters/snmp/secret_fields.py)
    config_path = tmp_path / "agent.yml"
    files = f'files: ["{netmon_modules_path()}", auth.yml]'
    config_path.write_text(f"""\
agent_id: hn-bd-phucxa
exporters:
  snmp:
    - {{target: "{ward_router.target}", modules: [system, if_mib], auth: ward, {files}}}
    - {{target: "{dead_device.target}", modules: [system], auth: ward, timeout: 1s, {files}}}
""", encoding="utf-8")
    stack = SnmpStack()
    try:
        result = await Agent(load_agent_config(config_path), stack).once()
    finally:
        stack.close()
    assert not result.ok
    assert [r.success for r in result.runs] == [True, True, False]
    text = result.exposition.decode()
    assert 'netmon_exporter_success{exporter="host"} 1' in text
    assert f'netmon_exporter_success{{exporter="snmp:{ward_router.target}"}} 1' in text
    assert f'netmon_exporter_success{{exporter="snmp:{dead_device.target}"}} 0' in text
    assert "ifHCInOctets{" in text and "node_cpu_seconds_total{" in text
    assert 'netmon_agent_exporter_runs_total{exporter="host"} 1' in text
    assert check_metrics(result.exposition).parsed


async def test_a_restarted_agent_numbers_on_and_sends_what_it_had_spooled(
        receiver: Receiver, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_tcp_port()}"
    first = Agent(host_only(dead, tmp_path, grace=0.0), None)   # nobody to deliver to
    await run_for(first, 0.5)
    spooled = first.sequence.peek()
    assert not receiver.pushes
    again = Agent(host_only(receiver.url, tmp_path, grace=2.0, catchup_rate=100.0), None)
    await run_for(again, 0.5)
    seqs = sorted(r.seq for r in receiver.reports)
    # the same spool (the collector's name is the same): the backlog, then the new reports,
    # numbered on from the last one written
    assert seqs == list(range(seqs[0], again.sequence.peek()))
    assert seqs[0] < spooled <= seqs[-1]
    assert not receiver.duplicates
