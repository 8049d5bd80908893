"""Rendering the WAN scope of 579 wards: the collector next to prometheus_client's
``generate_latest`` on an equivalent registry, in the same run.

    python bench/exposition.py [--wards 579] [--rounds 3]

Every ward agent of Hanoi's inventory (``--wards``, default 579) holds one ward agent's
report: its router's batch (netmon's modules ``system, if_mib, hr_cpu, hr_storage,
entity_sensor`` mapped from the captured walk of a real ward router in
tests/exporters/snmp/golden, with ``instance``) and its agent batch, about 1,050 samples; the
WAN scope is then about 608,000 series, each with the identity labels ``agent``,
``district``, ``role``, ``site``, ``ward``.

* **Over HTTP**: a real collector process (``python -m netmon collector``, loopback) is
  filled through ``POST /api/v1/push`` (one push per agent, its own token), then
  ``GET /scopes/wan/metrics`` is read whole ``--rounds`` times by an aiohttp client in this
  process: wall time per GET, the collector's CPU per GET (``/proc/<pid>/stat``), bytes, and
  the collector's own ``netmon_collector_render_duration_seconds{scope="wan"}`` (assembly
  before the first byte is written).
* **In process** (CPU from ``time.process_time()``, medians of ``--rounds``): the same store
  filled through the collector's ingest path (:func:`collector.prepare.prepare`,
  :meth:`collector.store.Store.commit`), then
  netmon: :func:`collector.render.render_scope` + ``b"".join`` (the body the GET sends);
  prometheus_client: ``generate_latest`` on a registry holding one custom collector whose
  ``collect()`` yields fresh metric families, one per exposition family, with every agent's
  samples and the identity labels as labels. Its ``Sample`` objects and label dicts are built
  once, at "ingest", as netmon renders its lines once at ingest: the figure is
  ``generate_latest``'s formatting alone, the least a prometheus_client exporter pays per
  scrape. (Go-style counters not named ``*_total``, such as ``ifHCInOctets``, are declared
  ``unknown``: prometheus_client would write their TYPE line as ``ifHCInOctets_total``; the
  samples are the same.)

Both outputs are checked to hold the same series with the same values (sample lines,
label order normalised), and the HTTP body to be byte-identical to the in-process one. The
run takes about 70 s (most of it prometheus_client).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
from _common import (
    ProcWatch,
    SeqBody,
    collector_process,
    proc_cpu_seconds,
    table,
    ward_batches,
    workdir,
    write_fleet,
)
from prometheus_client import CollectorRegistry, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.samples import Sample

from collector.clock import SystemClock
from collector.families import split
from collector.inventory import Inventory
from collector.prepare import prepare
from collector.render import render_scope
from collector.store import Store
from netmon import wire

_LABEL = re.compile(rb'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


# --- the equivalent prometheus_client registry ------------------------------------------------

class WanCollector:
    """Every ward agent's samples, with its identity labels, as prometheus_client families."""

    def __init__(self) -> None:
        # exposition family name -> (client_python name, type, help, samples of every agent)
        self.families: dict[str, tuple[str, str, str, list[Sample]]] = {}

    def ingest(self, report: wire.Report, identity: dict[str, str]) -> None:
        ident = {k: v for k, v in identity.items() if v}
        label_sets: dict[tuple[object, ...], dict[str, str]] = {}
        for batch in report.batches:
            for family in batch.families:
                for name, typ, indexes in split(family):
                    entry = self.families.get(name)
                    if entry is None:
                        client_name, client_type = name, typ
                        if typ == "counter":
                            if name.endswith("_total"):
                                client_name = name[:-6]
                            else:
                                client_type = "unknown"
                        entry = self.families[name] = (client_name, client_type, family.help,
                                                       [])
                    samples = entry[3]
                    rows = range(len(family.rows)) if indexes is None else indexes
                    for i in rows:
                        row = family.rows[i]
                        key = (family.labels, *row[1:])
                        labels = label_sets.get(key)
                        if labels is None:
                            labels = {k: v for k, v in zip(family.labels, row[1:], strict=True)
                                      if v}
                            labels.update(ident)
                            label_sets[key] = labels
                        sample = family.name if family.names is None else family.names[i]
                        samples.append(Sample(sample, labels, float(row[0])))

    def collect(self) -> Iterator[Metric]:
        for name in sorted(self.families):
            client_name, client_type, help_text, samples = self.families[name]
            metric = Metric(client_name, help_text, client_type)
            metric.samples = samples
            yield metric

    @property
    def samples(self) -> int:
        return sum(len(f[3]) for f in self.families.values())


# --- helpers ------------------------------------------------------------------------------------

def cpu_ms(fn: Callable[[], object], rounds: int) -> tuple[float, float, bytes]:
    """Median CPU ms and wall ms of ``fn()`` over ``rounds``, and its last result."""
    cpu, wall = [], []
    result: object = b""
    for _ in range(rounds):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        result = fn()
        cpu.append(1000 * (time.process_time() - start_cpu))
        wall.append(1000 * (time.perf_counter() - start_wall))
    return statistics.median(cpu), statistics.median(wall), \
        result if isinstance(result, bytes) else b""


def series(body: bytes) -> set[tuple[bytes, tuple[tuple[bytes, bytes], ...], str]]:
    """The sample lines of an exposition as (name, sorted labels, value); values compared as
    numbers (Go writes 1, prometheus_client 1.0)."""
    out = set()
    for line in body.split(b"\n"):
        if not line or line.startswith(b"#"):
            continue
        head, _, value = line.rpartition(b" ")
        name, _, labels = head.partition(b"{")
        out.add((name, tuple(sorted(_LABEL.findall(labels))), repr(float(value))))
    return out


def fill_in_process(inventory: Inventory, agents: list[str], body: bytes
                    ) -> tuple[Store, WanCollector, float]:
    store = Store(inventory, 3.0, SystemClock())
    client = WanCollector()
    limits = wire.Limits()
    report = wire.decode_report(body, limits)
    for agent in agents:
        state = store.agents[agent]
        store.commit(agent, prepare(body, state.ident, limits, True))
        client.ingest(report, state.ident.identity.labels())
    return store, client, store.clock.monotonic()


async def over_http(url: str, tokens: dict[str, str], agents: list[str], body: bytes,
                    pid: int, rounds: int) -> tuple[list[float], list[float], bytes]:
    headers = {"Content-Type": wire.CONTENT_TYPE, "Content-Encoding": "gzip"}
    walls, cpus = [], []
    got = b""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        for agent in agents:
            async with session.post(url + wire.PUSH_PATH, data=body, headers={
                    **headers, "Authorization": f"Bearer {tokens[agent]}"}) as response:
                if response.status != 200:
                    raise RuntimeError(f"push refused: {response.status} "
                                       f"{await response.text()}")
        for _ in range(rounds):
            cpu0, start = proc_cpu_seconds(pid), time.perf_counter()
            async with session.get(url + "/scopes/wan/metrics") as response:
                got = await response.read()
            walls.append(1000 * (time.perf_counter() - start))
            cpus.append(1000 * (proc_cpu_seconds(pid) - cpu0))
        async with session.get(url + "/metrics") as response:
            text = await response.text()
    total = count = 0.0
    for line in text.splitlines():
        if line.startswith('netmon_collector_render_duration_seconds_sum{scope="wan"}'):
            total = float(line.split()[-1])
        elif line.startswith('netmon_collector_render_duration_seconds_count{scope="wan"}'):
            count = float(line.split()[-1])
    walls.append(1000 * total / count if count else float("nan"))
    return walls, cpus, got


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=579)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    template = SeqBody.of(ward_batches(with_host=False))
    body = template.body(1_700_000_000_000, time.time())

    with workdir("exposition") as tmp:
        fleet = write_fleet(Path(tmp), sites=args.wards, dc_hosts=2)
        agents = sorted(fleet.ward_agents)   # a scope lists its agents by id
        with collector_process(fleet) as (collector, url):
            watch = ProcWatch({"collector": collector.pid})
            watch.start()
            walls, cpus, http_body = asyncio.run(over_http(url, fleet.tokens, agents, body,
                                                           collector.pid, args.rounds))
            rss = watch.stop()["collector"].rss_end
        render_ms = walls.pop()

    store, client, now = fill_in_process(fleet.inventory, agents, body)
    gc.collect()
    netmon_cpu, netmon_wall, netmon_body = cpu_ms(
        lambda: b"".join(render_scope(store, agents, now)), args.rounds)
    group_cpu, _, _ = cpu_ms(lambda: render_scope(store, agents, now), args.rounds)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(client)
    client_cpu, client_wall, client_body = cpu_ms(lambda: generate_latest(registry),
                                                  args.rounds)

    same = series(netmon_body) == series(client_body)
    print(f"WAN scope: {len(agents)} ward agents x {template.samples} samples = "
          f"{store.samples} series (prometheus_client registry: {client.samples} samples); "
          f"medians of {args.rounds} rounds")
    rows = [
        ["netmon render_scope (group chunks by family)", f"{group_cpu:.1f}", "", "", ""],
        ["netmon render_scope + join (the body)", f"{netmon_cpu:.1f}", f"{netmon_wall:.1f}",
         f"{len(netmon_body) / 1e6:.1f}", "1.00"],
        ["prometheus_client generate_latest", f"{client_cpu:.1f}", f"{client_wall:.1f}",
         f"{len(client_body) / 1e6:.1f}", f"{client_cpu / netmon_cpu:.1f}"],
    ]
    print(table(["in process", "CPU ms", "wall ms", "MB", "x netmon"], rows))
    print(f"  ratio generate_latest / netmon (CPU): {client_cpu / netmon_cpu:.1f}; same series "
          f"and values in both: {'yes' if same else 'NO'}")
    print(table(["collector process, over HTTP (loopback)", "ms"], [
        ["GET /scopes/wan/metrics, whole body, wall (median)", f"{statistics.median(walls):.0f}"],
        ["  collector CPU per GET (median)", f"{statistics.median(cpus):.0f}"],
        ["  collector's render_duration_seconds{scope=wan} (mean)", f"{render_ms:.1f}"],
    ]))
    print(f"  body {len(http_body)} bytes, identical to the in-process render: "
          f"{'yes' if http_body == netmon_body else 'NO'}; collector RSS after the GETs "
          f"{rss / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
