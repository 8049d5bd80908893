"""CPU cost of the collector's ingest and of rendering the WAN scope, measured.

    python -m tests.collector.measure [--repeat 200] [--agents 579]

The report is a ward router's (netmon's SNMP modules mapped from the captured walk in
tests/exporters/snmp/golden: about 1,000 samples), as the agent puts it on the wire. Prints
CPU ms per push for decode + validate (netmon.wire), render lines (collector.lines) and store
(collector.store), then fills a store with the same report for every ward agent of the Hanoi
inventory and times the WAN scope: assembly (group + join) in process, and a full HTTP GET
through the collector's app on loopback. Figures are medians of alternating rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from collector.app import create_app
from collector.clock import SystemClock
from collector.config import CollectorConfig
from collector.inventory import Inventory, hash_token
from collector.inventory_hanoi import build_hanoi, default_wards_path, parse_wards, read_wards
from collector.inventory_write import dump_inventory
from collector.lines import render_batch
from collector.prepare import PreparedReport, prepare
from collector.render import render_scope
from collector.server import RUNNER_OPTIONS
from collector.store import Store
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.mapping import CompiledModule, map_pdus
from netmon import wire
from netmon.commands import netmon_modules_path
from tests.exporters.snmp.test_golden import GOLDEN, MODULES, read_walk


def ward_report(seq: int = 1) -> bytes:
    walk = read_walk(GOLDEN / "ward-router.walk")
    config = load_snmp_config([netmon_modules_path()])
    families = []
    for module in MODULES:
        families += map_pdus(CompiledModule.build(config.modules[module]), walk)
    now = time.time()
    return wire.encode_report(wire.Report(seq, now, (wire.batch("snmp:router", now, 15.0,
                                                                families),)))


def cpu_ms(fn: Callable[[], object], repeat: int) -> float:
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return 1000 * (time.process_time() - start) / repeat


def inventory(agents: int) -> Inventory:
    wards = parse_wards(read_wards(default_wards_path()))
    return build_hanoi(wards, lambda a: (hash_token(a),), sites=agents, dc_hosts=2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--agents", type=int, default=579)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    body = ward_report()
    inv = inventory(args.agents)
    store = Store(inv, 3.0, SystemClock())
    agent = next(iter(inv.identities))
    ident = store.agents[agent].ident
    limits = wire.Limits()
    report = wire.decode_report(body, limits)
    samples = report.sample_count()
    seq = iter(range(1, 10**9))

    def commit() -> None:
        prepared = prepare(body, ident, limits, True)
        store.commit(agent, PreparedReport(next(seq), prepared.batches, time.time()))

    rows: dict[str, list[float]] = {"decode + validate": [], "render lines": [],
                                    "whole push (decode, render, store)": []}
    for _ in range(args.rounds):
        rows["decode + validate"].append(cpu_ms(lambda: wire.decode_report(body, limits),
                                                args.repeat))
        rows["render lines"].append(cpu_ms(
            lambda: [render_batch(b, ident) for b in report.batches], args.repeat))
        rows["whole push (decode, render, store)"].append(cpu_ms(commit, args.repeat))
    print(f"one push of a ward router's report: {samples} samples, {len(body)} bytes gzipped;"
          f" CPU ms, median of {args.rounds} rounds x {args.repeat}")
    for name, values in rows.items():
        print(f"  {name:<38}{statistics.median(values):8.2f}")

    # the WAN scope, every ward agent holding this report
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ward_agents = [a for a, i in inv.identities.items() if i.kind == "ward"]
    for agent_id in ward_agents:
        prepared = prepare(body, store.agents[agent_id].ident, limits, True)
        store.commit(agent_id, prepared)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    now = time.monotonic()
    size = sum(len(c) for c in render_scope(store, ward_agents, now))
    assemble = [cpu_ms(lambda: b"".join(render_scope(store, ward_agents, now)), 5)
                for _ in range(args.rounds)]
    group = [cpu_ms(lambda: render_scope(store, ward_agents, now), 5)
             for _ in range(args.rounds)]
    print(f"WAN scope: {len(ward_agents)} agents, {store.samples} series, {size / 1e6:.1f} MB")
    print(f"  {'group chunks by family':<38}{statistics.median(group):8.1f} ms CPU")
    print(f"  {'group + join':<38}{statistics.median(assemble):8.1f} ms CPU")
    print(f"  {'stored state (max RSS growth)':<38}{(rss_after - rss_before) / 1024:8.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "inventory.yml")
        path.write_text(dump_inventory(inv), encoding="utf-8")
        http_s = asyncio.run(_http_scope(path, body, ward_agents, args.rounds))
    print(f"  {'HTTP GET /scopes/wan/metrics':<38}{1000 * http_s:8.0f} ms wall, loopback, "
          "client in the same process")
    return 0


async def _http_scope(path: Path, body: bytes, agents: list[str], rounds: int) -> float:
    app = create_app(CollectorConfig(inventory=path))
    server = TestServer(app)
    await server.start_server(**RUNNER_OPTIONS)
    async with TestClient(server) as client:
        for agent_id in agents:
            response = await client.post(wire.PUSH_PATH, data=body, headers={
                "Authorization": f"Bearer {agent_id}", "Content-Type": wire.CONTENT_TYPE,
                "Content-Encoding": "gzip"})
            assert response.status == 200, await response.text()
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            response = await client.get("/scopes/wan/metrics")
            await response.read()
            times.append(time.perf_counter() - start)
        return statistics.median(times)


if __name__ == "__main__":
    raise SystemExit(main())
