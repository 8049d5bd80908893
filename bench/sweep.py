"""One full SNMP sweep of the WAN: the collector's poller next to Debian's snmp_exporter.

    python bench/sweep.py [--routers 579] [--concurrency 32] [--rounds 3]
                          [--modules system,if_mib,hr_cpu] [--profile]

579 simulated ward routers (the real 24-interface vyatta walk of
``netmon/demo/data/ward-router.snmprec``, community ``public``) are served by the light,
pre-encoded responder (:mod:`tests.peers.snmp_responder`, one UDP port per router, in a process
of its own): snmpsim would spend about 85 CPU-s answering one sweep and set the pace.

* **netmon**: a fresh interpreter builds a collector's poller for an inventory of 579 polled
  devices (``system``, ``if_mib`` and ``hr_cpu`` of netmon's module file, auth ``public_v2``)
  and sweeps them all, ``--concurrency`` polls at a time, each poll going all the way into
  the collector's store (walk, map, wire batch, render with identity labels, commit). The
  first sweep reads the lookup columns (cold cache), the second keeps them (warm); a sweep
  with the cache off is measured too. CPU is the process's own (``time.process_time``),
  peak RSS its ``ru_maxrss``.
* **snmp_exporter** (Debian's 0.21, one module a request): the same modules in the 0.21
  layout, ``/snmp?target=&module=`` for every router and module, ``--concurrency`` requests
  at a time from this process (whose CPU is not counted); the exporter's CPU from
  ``/proc/<pid>/stat``, its peak RSS from ``VmHWM``. Its answers are text the client reads;
  netmon's sweep also renders each router's answer once (into the store), so both do the
  work a scrape needs.

Rounds alternate netmon and snmp_exporter (the machine is shared) and medians are reported,
with the responder's own CPU for each sweep. ``--profile`` prints where netmon's warm sweep
spends its time (cProfile, by own time).

Measured on this machine (2 cores shared with other work; ``--rounds 3``, defaults): one
sweep, 1,737 module polls, 611,424 values, 548,313 series:

==============================  ======  =====  ===========  =======
poller                          wall s  CPU s  peak RSS MB  packets
==============================  ======  =====  ===========  =======
netmon, first sweep (cold)       12.6   12.6      225        29,529
netmon, warm lookup cache        10.9   10.8      232        27,213
netmon, cache off                10.0   10.0      232        27,213
snmp_exporter 0.21                7.2   10.4       46            -
==============================  ======  =====  ===========  =======

CPU ratio netmon / snmp_exporter: 1.21 cold, 1.05 warm, 0.96 without the cache (2026-11-28; the
run before: 1.10, 0.97, 0.99; single rounds vary by about 15 %). Walking the routers' columns
four at a time (``snmp.parallel_walks`` applied to small tables too) cost about a tenth more
(11.1 CPU-s warm against 10.1 in the same run), so only tables of more than 2,000 values are
walked in parallel. netmon's wall time is its CPU time (one event loop, one core);
snmp_exporter spreads over both cores. netmon's RSS is 57 MB of interpreter and imports plus
its store: the 548,313 series rendered with their identity labels, ready for ``/scopes``
(snmp_exporter keeps nothing). Where netmon's CPU goes (profile, share of the sweep): SNMP
requests, BER and walks about 30 %, mapping PDUs to families about 25 %, families to wire rows
about 15 %, rendering lines with identity labels about 12 %, the rest the event loop and
bookkeeping. What would cut it further: render a poll's lines straight from its families when
nothing forwards it (skip the wire rows, most of that 15 %); keep each row's labels between
polls while the lookup cache holds them (the mapping recomputes them every poll: it would need
a label cache the exporter's mapping accepts from its caller); walk runs of adjacent columns as
one range instead of column by column (a ``walk(root, start, stop)`` on the SNMP session).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import io
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import ProcWatch, mb, table  # noqa: E402
from bench.responder import Responder  # noqa: E402
from tests.peers.process import free_tcp_port, running, tcp_ready  # noqa: E402

DATA = ROOT / "netmon" / "demo" / "data" / "ward-router.snmprec"
COMMUNITY = "public"
EXPORTER = "/usr/bin/prometheus-snmp-exporter"


# --- netmon: a child process ---------------------------------------------------------------

async def _netmon_sweeps(ports: list[int], modules: tuple[str, ...], concurrency: int,
                         profile: bool) -> dict[str, Any]:
    from collector.config import CollectorConfig
    from collector.inventory import Device
    from collector.inventory_hanoi import (
        build_hanoi,
        default_wards_path,
        parse_wards,
        read_wards,
    )
    from collector.polling.config import LookupCacheConfig, SnmpSettings
    from collector.polling.poller import Poller

    wards = parse_wards(read_wards(default_wards_path()))
    base = build_hanoi(wards, lambda _: (), sites=len(ports), dc_hosts=0)
    sites = [s.id for s in base.sites if s.kind == "ward"]
    devices = tuple(Device(f"r{i:03d}-{site}", site, "ward-router", f"127.0.0.1:{port}",
                           modules, "public_v2", interval=300.0, timeout=120.0)
                    for i, (site, port) in enumerate(zip(sites, ports, strict=True)))
    inventory = dataclasses.replace(base, agents=(), devices=devices)

    async def sweep(cache: bool, prof: cProfile.Profile | None = None) -> dict[str, Any]:
        settings = SnmpSettings(concurrency=concurrency,
                                lookup_cache=LookupCacheConfig(enabled=cache))
        poller = await Poller.standalone(CollectorConfig(snmp=settings), inventory)
        out = []
        for _ in range(2 if cache else 1):
            if prof is not None and cache and out:
                prof.enable()
            wall, cpu = time.monotonic(), time.process_time()
            summaries = await poller.sweep()
            out.append({"wall": time.monotonic() - wall, "cpu": time.process_time() - cpu,
                        "ok": sum(s.success for s in summaries),
                        "pdus": sum(s.pdus for s in summaries),
                        "packets": sum(s.packets for s in summaries),
                        "series": poller.live.store.samples if poller.live.store else 0})
            if prof is not None:
                prof.disable()
            out[-1]["rss_peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        poller.stop()
        poller.snmp.close()
        return {"cold": out[0], "warm": out[1]} if cache else {"nocache": out[0]}

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    prof = cProfile.Profile() if profile else None
    result = await sweep(cache=True, prof=prof)
    result.update(await sweep(cache=False))
    result["rss_peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result["rss_before"] = rss_before
    if prof is not None:
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(25)
        result["profile"] = text.getvalue()
    return result


def netmon_child(args: argparse.Namespace) -> int:
    ports = json.loads(Path(args.ports_file).read_text())
    result = asyncio.run(_netmon_sweeps(ports, tuple(args.modules.split(",")),
                                        args.concurrency, args.profile))
    print(json.dumps(result))
    return 0


def run_netmon(ports_file: Path, args: argparse.Namespace, profile: bool = False
               ) -> dict[str, Any]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", "--ports-file",
            str(ports_file), "--modules", args.modules, "--concurrency", str(args.concurrency)]
    if profile:
        argv.append("--profile")
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=1800,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"netmon sweep failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return result


# --- snmp_exporter -------------------------------------------------------------------------

def legacy_modules(workdir: Path, modules: list[str]) -> Path:
    from exporters.snmp.config_load import load_snmp_config
    from exporters.snmp.legacy_layout import to_legacy_layout
    from netmon.commands import netmon_modules_path

    path = workdir / "snmp-0.21.yml"
    config = load_snmp_config([netmon_modules_path()])
    path.write_text(to_legacy_layout(config, "public_v2", modules), encoding="utf-8")
    return path


async def _exporter_sweep(port: int, ports: list[int], modules: list[str],
                          concurrency: int) -> tuple[int, int]:
    import aiohttp

    semaphore = asyncio.Semaphore(concurrency)
    ok = pdus = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async def one(router: int, module: str) -> None:
            nonlocal ok, pdus
            url = f"http://127.0.0.1:{port}/snmp?target=127.0.0.1:{router}&module={module}"
            async with semaphore, session.get(url) as response:
                text = await response.text()
            if response.status == 200:
                ok += 1
                for line in text.splitlines():
                    if line.startswith("snmp_scrape_pdus_returned"):
                        pdus += int(float(line.split()[-1]))
        await asyncio.gather(*(one(r, m) for r in ports for m in modules))
    return ok, pdus


def run_exporter(config: Path, ports: list[int], args: argparse.Namespace,
                 responder: Responder) -> dict[str, Any]:
    modules = args.modules.split(",")
    port = free_tcp_port()
    argv = [EXPORTER, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn"]
    with running(argv, "snmp_exporter", tcp_ready(port)) as peer:
        asyncio.run(_exporter_sweep(port, ports[:1], modules, 1))   # warm-up
        watch = ProcWatch({"exporter": peer.pid})
        watch.start()
        responder_cpu = responder.cpu()
        wall = time.monotonic()
        ok, pdus = asyncio.run(_exporter_sweep(port, ports, modules, args.concurrency))
        wall = time.monotonic() - wall
        usage = watch.stop()["exporter"]
        return {"wall": wall, "cpu": usage.cpu_s, "rss_peak": usage.rss_hwm,
                "ok": ok, "pdus": pdus, "responder_cpu": responder.cpu() - responder_cpu}


# --- the comparison ------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=579)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modules", default="system,if_mib,hr_cpu")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ports-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return netmon_child(args)
    responder = Responder("--data", str(DATA), "--community", COMMUNITY, "--devices",
                          str(args.routers))
    profiled = None
    try:
        with tempfile.TemporaryDirectory(prefix="netmon-bench-sweep-") as tmp:
            workdir = Path(tmp)
            ports_file = workdir / "ports.json"
            ports_file.write_text(json.dumps(responder.ports))
            config = legacy_modules(workdir, args.modules.split(","))
            netmon_rounds, exporter_rounds = [], []
            for _ in range(args.rounds):
                before = responder.cpu()
                result = run_netmon(ports_file, args)
                result["responder_cpu"] = responder.cpu() - before
                netmon_rounds.append(result)
                exporter_rounds.append(run_exporter(config, responder.ports, args, responder))
            profiled = run_netmon(ports_file, args, profile=True) if args.profile else None
    finally:
        responder.stop()
    report(netmon_rounds, exporter_rounds, args)
    if profiled is not None:
        print("\nWhere netmon's warm sweep spends its time (a separate, profiled run; "
              "cProfile, by own time):")
        print(profiled["profile"])
    return 0


def report(netmon: list[dict[str, Any]], exporter: list[dict[str, Any]],
           args: argparse.Namespace) -> None:
    def med(rows: list[dict[str, Any]], *keys: str) -> float:
        values = []
        for row in rows:
            node = row
            for key in keys[:-1]:
                node = node[key]
            values.append(float(node[keys[-1]]))
        return statistics.median(values)

    print(f"One sweep of {args.routers} simulated ward routers (24 interfaces; modules "
          f"{args.modules}), {args.concurrency} at a time; medians of {args.rounds} rounds "
          f"(alternating), {os.cpu_count()} CPUs shared with other work.")
    rows = []
    for name, key in (("netmon, cold cache (first sweep)", "cold"),
                      ("netmon, warm cache", "warm"), ("netmon, cache off", "nocache")):
        rows.append([name, f"{med(netmon, key, 'wall'):.2f}", f"{med(netmon, key, 'cpu'):.2f}",
                     mb(int(med(netmon, key, 'rss_peak'))), int(med(netmon, key, "pdus")),
                     int(med(netmon, key, "packets")), int(med(netmon, key, "ok"))])
    rows.append(["snmp_exporter 0.21", f"{med(exporter, 'wall'):.2f}",
                 f"{med(exporter, 'cpu'):.2f}", mb(int(med(exporter, 'rss_peak'))),
                 int(med(exporter, "pdus")), "-",
                 f"{int(med(exporter, 'ok'))}/{args.routers * len(args.modules.split(','))}"])
    print(table(["poller", "wall s", "CPU s", "peak RSS MB", "PDUs", "packets", "ok"], rows))
    exporter_cpu, exporter_wall = med(exporter, "cpu"), med(exporter, "wall")
    for key, name in (("cold", "cold"), ("warm", "warm"), ("nocache", "cache off")):
        print(f"  netmon {name} / snmp_exporter: CPU {med(netmon, key, 'cpu') / exporter_cpu:.2f}"
              f", wall {med(netmon, key, 'wall') / exporter_wall:.2f}")
    print(f"  netmon's peak RSS: {mb(int(med(netmon, 'rss_before')))} MB before the first "
          f"sweep (interpreter, imports), {mb(int(med(netmon, 'cold', 'rss_peak')))} MB after "
          f"it with {int(med(netmon, 'cold', 'series'))} series rendered in its store (what "
          f"/scopes serves), {mb(int(med(netmon, 'rss_peak')))} MB after all three; "
          f"snmp_exporter's {mb(int(med(exporter, 'rss_peak')))} MB (it keeps nothing)")
    print(f"  the responder's CPU: {med(netmon, 'responder_cpu'):.2f} s for netmon's three "
          f"sweeps, {med(exporter, 'responder_cpu'):.2f} s for snmp_exporter's one")
    print("  rounds (CPU s): netmon warm " + " ".join(f"{r['warm']['cpu']:.2f}" for r in netmon)
          + "; snmp_exporter " + " ".join(f"{r['cpu']:.2f}" for r in exporter))


if __name__ == "__main__":
    raise SystemExit(main())
