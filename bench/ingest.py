"""The collector under a fleet's pushes: its CPU per minute and RSS, push latency, errors.

    python bench/ingest.py [--duration 45] [--warmup 15] [--fleets 579,5790] [--generators 1]

For each fleet size (default Hanoi's 579 ward agents, then ten times that, 5,790), in turn:

* an inventory of that many ward agents, each with its own token (Hanoi's 526 wards, then
  generated sites, ``generated: true``, as ``netmon inventory --sites N`` makes them;
  :func:`collector.inventory_hanoi.build_hanoi` takes any number), and a real collector
  process on it (``python -m netmon collector --config F``, loopback, a free port);
* a load generator in separate process(es) (``--generators``, one aiohttp ``ClientSession``
  each) pushing, for every agent, one report every 15 s, each agent at the fixed phase a real
  agent would take (:func:`netmon.schedule.phase`, jitter 1.0: spread over the interval as
  579 agents spread), one push at a time per agent as the agent's shipper does (a push still
  in flight when the next is due delays that next one), 10 s timeout, no retries;
* the report is realistic and pre-encoded: a ward agent's push with its router's batch
  (netmon's modules ``system, if_mib, hr_cpu, hr_storage, entity_sensor`` mapped from the
  captured walk of a real ward router in tests/exporters/snmp/golden, ``instance`` label
  added), this host's batch (the host exporter, node_exporter's series) and the agent batch:
  about 1,230 samples, 9 kB gzipped. Each agent's ``seq`` increases by one per push and
  the report's timestamps are current (both spliced into the pre-compressed body, ~65 us per
  push: see ``bench/_common.SeqBody``). A real agent with a router and a host exporter sends
  one report per exporter run: two pushes, the same samples in all;

then, after ``--warmup`` seconds (one interval: every agent has pushed once and the store is
full), it measures for ``--duration`` seconds:

* the collector's CPU seconds per minute, and as a share of one core: its threads' run time
  from ``/proc/<pid>/task/*/schedstat`` (or utime + stime from ``/proc/<pid>/stat``, see
  ``bench/_common.ProcWatch``); the generator's CPU is not in it (another process);
* its RSS: the largest sampled (every second) in the window, the kernel's lifetime peak
  (VmHWM) and at the end;
* push latency p50/p99/max as the generator sees it (request sent to answer read), for the
  pushes due in the window, and errors (any answer but 200, timeouts, connection errors);
* the collector's own ``netmon_collector_ingest_duration_seconds`` (decode, validate,
  render, store; after the body was read) over the window: pushes it stored per second and
  the mean time of one; and how many agents it has up at the end.

The defaults run in under 3 minutes (two fleets x (start + 15 s + 45 s + 3 s); 2 min 45 s
here). Everything runs
on loopback; every process started is stopped by its PID. The machine's cores are shared by
the collector and the generator: the generator's own CPU is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from _common import (
    INTERVAL,
    ROOT,
    ProcWatch,
    SeqBody,
    collector_process,
    mb,
    percentile,
    table,
    ward_batches,
    workdir,
    write_fleet,
)

from tests.peers.process import PeerProcess

TIMEOUT = 10.0            # the agent's default per-push timeout
EXPORTER = "snmp:ward-router"


# --- the load generator (a separate process: python bench/ingest.py --generator SPEC) --------

async def _generate(spec: dict[str, Any]) -> dict[str, Any]:
    from netmon.schedule import phase
    from netmon.wire import CONTENT_TYPE, PUSH_PATH

    template = SeqBody(spec["template"])
    url = spec["url"] + PUSH_PATH
    # pushes go on a little after the window, so the load does not stop before it ends
    interval, end_rel = spec["interval"], spec["warmup"] + spec["duration"] + 3.0
    loop = asyncio.get_running_loop()
    start = loop.time() + (spec["start_wall"] - time.time())
    late_start = max(0.0, -(spec["start_wall"] - time.time()))
    pushes: list[tuple[float, float, float, str]] = []   # due, lateness, latency, status

    async def agent(agent_id: str, token: str, session: aiohttp.ClientSession) -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": CONTENT_TYPE,
                   "Content-Encoding": "gzip", "User-Agent": "netmon-bench-ingest"}
        due = phase(agent_id, EXPORTER, interval, 1.0)
        seq = int(spec["seq0"])
        while due < end_rel:
            delay = start + due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            body = template.body(seq, time.time())
            seq += 1
            sent = loop.time()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    status = str(response.status)
            except TimeoutError:
                status = "timeout"
            except aiohttp.ClientError as exc:
                status = type(exc).__name__
            pushes.append((due, sent - start - due, loop.time() - sent, status))
            due += interval

    connector = aiohttp.TCPConnector(limit=spec["connections"])
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session:
        await asyncio.gather(*(agent(a, t, session) for a, t in spec["agents"]))
    return {"pushes": pushes, "late_start": late_start}


def generator_main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    spec["template"] = Path(spec["template"]).read_bytes()
    result = asyncio.run(_generate(spec))
    Path(spec["out"]).write_text(json.dumps(result))
    return 0


# --- the bench ---------------------------------------------------------------------------------

def _metrics_figures(url: str, timeout: float) -> dict[str, float] | None:
    """From the collector's /metrics: ingest duration sum and count, agents up (None when
    the collector does not answer in time: it is saturated)."""
    async def get() -> str:
        async with aiohttp.ClientSession() as session, session.get(
                url + "/metrics", timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            return await response.text()

    try:
        text = asyncio.run(get())
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        print(f"    the collector's /metrics did not answer within {timeout:g} s "
              f"({type(exc).__name__})", flush=True)
        return None
    out = {"sum": 0.0, "count": 0.0, "up": 0.0}
    for line in text.splitlines():
        if line.startswith("netmon_collector_ingest_duration_seconds_sum"):
            out["sum"] = float(line.split()[-1])
        elif line.startswith("netmon_collector_ingest_duration_seconds_count"):
            out["count"] = float(line.split()[-1])
        elif line.startswith("netmon_agent_up{"):
            out["up"] += float(line.split()[-1])
    return out


def run_fleet(size: int, template: SeqBody, args: argparse.Namespace) -> list[object]:
    with workdir(f"ingest{size}") as tmp:
        work = Path(tmp)
        started = time.monotonic()
        fleet = write_fleet(work, sites=size, dc_hosts=0)
        agents = [(a, fleet.tokens[a]) for a in fleet.ward_agents]
        (work / "report.json").write_bytes(template.doc)
        print(f"  {size} agents: inventory and tokens written in "
              f"{time.monotonic() - started:.1f} s; starting the collector", flush=True)
        with collector_process(fleet, timeout=120) as (collector, url):
            start_wall = time.time() + 3.0
            generators: list[PeerProcess] = []
            outs = []
            try:
                for g in range(args.generators):
                    spec = {"url": url, "interval": INTERVAL, "warmup": args.warmup,
                            "duration": args.duration, "start_wall": start_wall,
                            "agents": agents[g::args.generators], "seq0": 1_700_000_000_000,
                            "template": str(work / "report.json"),
                            "out": str(work / f"generator{g}.json"),
                            "connections": args.connections}
                    path = work / f"generator{g}.spec.json"
                    path.write_text(json.dumps(spec))
                    outs.append(Path(spec["out"]))
                    generators.append(PeerProcess(
                        [sys.executable, str(Path(__file__).resolve()), "--generator",
                         str(path)], f"generator{g}", cwd=ROOT))
                time.sleep(max(0.0, start_wall + args.warmup - time.time()))
                before = _metrics_figures(url, 5.0)
                before_t = time.time()
                if before is None:   # saturated: fall back to the whole run so far
                    before, before_t = {"sum": 0.0, "count": 0.0, "up": 0.0}, start_wall
                watch = ProcWatch({"collector": collector.pid,
                                   **{f"gen{i}": p.pid for i, p in enumerate(generators)}})
                watch.start()
                window_end = start_wall + args.warmup + args.duration
                while time.time() < window_end:
                    time.sleep(min(1.0, max(0.0, window_end - time.time())))
                    watch.sample()
                usage = watch.stop()
                after = _metrics_figures(url, TIMEOUT + 20)
                after_t = time.time()
                for peer in generators:
                    peer.proc.wait(timeout=TIMEOUT + 30)
                    if peer.proc.returncode != 0:
                        raise RuntimeError(f"{peer.name} failed:\n{peer.output()}")
            finally:
                for peer in generators:
                    peer.stop()
        pushes, late_start = [], 0.0
        for out in outs:
            result = json.loads(out.read_text())
            pushes += result["pushes"]
            late_start = max(late_start, result["late_start"])
    window = [p for p in pushes if args.warmup <= p[0] < args.warmup + args.duration]
    latencies = [1000 * p[2] for p in window]
    errors: dict[str, int] = {}
    for p in window:
        if p[3] != "200":
            errors[p[3]] = errors.get(p[3], 0) + 1
    c = usage["collector"]
    gen_cpu = sum(u.cpu_per_min for name, u in usage.items() if name.startswith("gen"))
    ingest_ms = done = float("nan")
    up = "n/a"
    if after is not None and after["count"] > before["count"]:
        ingest_ms = 1000 * (after["sum"] - before["sum"]) / (after["count"] - before["count"])
        done = (after["count"] - before["count"]) / (after_t - before_t)
        up = f"{after['up']:.0f}"
    whole_run = "*" if before_t == start_wall else ""
    lateness = percentile([1000 * p[1] for p in window], 0.99)
    print(f"    {len(window)} pushes in the window; generator: {gen_cpu:.1f} CPU-s/min, start "
          f"lateness p99 {lateness:.0f} ms (its own lag or a push still in flight), "
          f"{late_start:.1f} s late to begin; errors: "
          + (", ".join(f"{k} x{v}" for k, v in sorted(errors.items())) or "none"), flush=True)
    return [size, f"{len(window) / args.duration:.1f}", f"{done:.1f}{whole_run}",
            f"{c.cpu_per_min:.1f}",
            f"{100 * c.cpu_s / c.wall_s:.0f}%", mb(c.rss_peak_window), mb(c.rss_hwm),
            mb(c.rss_end), f"{percentile(latencies, 0.5):.1f}",
            f"{percentile(latencies, 0.99):.1f}", f"{max(latencies, default=float('nan')):.0f}",
            sum(errors.values()), f"{ingest_ms:.2f}{whole_run}", up]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=45.0,
                        help="measured seconds per fleet (default 45)")
    parser.add_argument("--warmup", type=float, default=INTERVAL,
                        help="seconds of pushes before measuring (default 15: one interval)")
    parser.add_argument("--fleets", default="579,5790",
                        help="comma-separated fleet sizes (default 579,5790)")
    parser.add_argument("--generators", type=int, default=1,
                        help="load generator processes (default 1)")
    parser.add_argument("--connections", type=int, default=0,
                        help="the generator's connection pool limit (default 0: no limit, "
                             "at most one connection per agent in flight)")
    parser.add_argument("--generator", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generator:
        return generator_main(args.generator)
    template = SeqBody.of(ward_batches(with_host=True))
    sizes = [int(s) for s in args.fleets.split(",")]
    print(f"collector ingest: each agent pushes {template.samples} samples ({template.size} "
          f"bytes gzipped: router + host + agent batches) every {INTERVAL:g} s; "
          f"{args.warmup:g} s warm-up, {args.duration:g} s measured", flush=True)
    rows = [run_fleet(size, template, args) for size in sizes]
    print(table(["agents", "pushes/s", "stored/s", "CPU-s/min", "of a core", "RSS peak MB",
                 "RSS HWM MB", "RSS end MB", "p50 ms", "p99 ms", "max ms", "errors",
                 "ingest ms/push", "agents up"], rows))
    print("  pushes/s: sent by the generator; stored/s and ingest ms/push: from the "
          "collector's own\n  netmon_collector_ingest_duration_seconds (decode + validate + "
          "render + store, after the body\n  was read; * over the whole run when its /metrics "
          "did not answer at the start of the window);\n  CPU and RSS: the collector "
          "process's (/proc); latencies and errors: the generator's")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
