"""One device with a large ifTable: sequential against parallel column walks, and Debian's
snmp_exporter on the same device in the same run.

    python bench/large_table.py [--rows 10000] [--rounds 3] [--rtt 0,0.002]
                                [--parallel 1,2,4,8]

The device is the light responder (:mod:`tests.peers.snmp_responder`, a process of its own)
serving :func:`~tests.peers.snmp_responder.if_table_snmprec`: ``--rows`` interfaces, 12
columns of ifTable and ifXTable (120,002 values for 10,000 rows). ``--rtt`` holds every
answer that long (a WAN round trip; 0 is loopback).

* **netmon**: a collector's poller (:class:`collector.polling.poller.Poller`) with one
  device, module ``if_mib`` of netmon's module file, ``snmp.parallel_walks`` as given,
  polled twice, with the lookup cache and without. With it, the first poll reads the kept
  columns too and the second does not; without it, the first poll walks if_mib's two
  subtrees and the second walks it per column (:data:`collector.polling.scrape.SPLIT_VALUES`).
  Each poll goes all the way into the store. Wall time and this process's CPU time.
* **snmp_exporter** (Debian's 0.21): ``/snmp?target=&module=if_mib``, its CPU from
  ``/proc``; it walks the two subtrees one after the other, as netmon with
  ``parallel_walks: 1`` and the cache off does.

Medians of ``--rounds``. Measured on this machine (2 cores shared with other work,
10,000 rows, 3 rounds): see the docstring of :data:`collector.polling.config.SnmpSettings`
``parallel_walks`` and the figures printed by a run.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import proc_cpu_seconds, table  # noqa: E402
from bench.responder import Responder  # noqa: E402
from tests.peers.process import free_tcp_port, running, tcp_ready  # noqa: E402

COMMUNITY = "public"
EXPORTER = "/usr/bin/prometheus-snmp-exporter"


async def netmon_polls(port: int, parallel: int, cache: bool) -> list[dict[str, Any]]:
    """Two polls (cold, warm) of the device by a fresh poller."""
    from collector.config import CollectorConfig
    from collector.inventory import Device
    from collector.polling.config import LookupCacheConfig, SnmpSettings
    from collector.polling.poller import Poller
    from tests.collector.helpers import small_inventory

    base = small_inventory()
    site = next(s.id for s in base.sites if s.kind == "ward")
    device = Device("big-sw1", site, "dc-switch", f"127.0.0.1:{port}", ("if_mib",),
                    "public_v2", interval=600.0, timeout=300.0)
    inventory = dataclasses.replace(base, devices=(device,))
    settings = SnmpSettings(parallel_walks=parallel, max_varbinds=10_000_000,
                            lookup_cache=LookupCacheConfig(enabled=cache))
    poller = await Poller.standalone(CollectorConfig(snmp=settings), inventory)
    out = []
    try:
        for _ in range(2):
            wall, cpu = time.monotonic(), time.process_time()
            summary = (await poller.sweep())[0]
            if not summary.success:
                raise RuntimeError(f"poll failed: {summary.errors}")
            out.append({"wall": time.monotonic() - wall, "cpu": time.process_time() - cpu,
                        "pdus": summary.pdus, "packets": summary.packets})
    finally:
        poller.stop()
        poller.snmp.close()
    return out


def exporter_config(workdir: Path) -> Path:
    from exporters.snmp.config_load import load_snmp_config
    from exporters.snmp.legacy_layout import to_legacy_layout
    from netmon.commands import netmon_modules_path

    path = workdir / "snmp-0.21.yml"
    config = load_snmp_config([netmon_modules_path()])
    path.write_text(to_legacy_layout(config, "public_v2", ["if_mib"]), encoding="utf-8")
    return path


def exporter_scrape(exporter_port: int, pid: int, device_port: int) -> dict[str, Any]:
    url = (f"http://127.0.0.1:{exporter_port}/snmp?target=127.0.0.1:{device_port}"
           "&module=if_mib")
    request = urllib.request.Request(url, headers={"X-Prometheus-Scrape-Timeout-Seconds": "300"})
    cpu, wall = proc_cpu_seconds(pid), time.monotonic()
    with urllib.request.urlopen(request, timeout=310) as response:  # noqa: S310 - loopback
        text = response.read().decode()
    wall, cpu = time.monotonic() - wall, proc_cpu_seconds(pid) - cpu
    pdus = next(int(float(line.split()[-1])) for line in text.splitlines()
                if line.startswith("snmp_scrape_pdus_returned"))
    return {"wall": wall, "cpu": cpu, "pdus": pdus}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rtt", default="0,0.002", help="answer delays (s), comma-separated")
    parser.add_argument("--parallel", default="1,2,4,8")
    args = parser.parse_args()
    parallels = [int(p) for p in args.parallel.split(",")]
    print(f"One device, {args.rows} interfaces (12 ifTable/ifXTable columns), module if_mib; "
          f"medians of {args.rounds} rounds; wall and CPU seconds per poll.")
    with tempfile.TemporaryDirectory(prefix="netmon-bench-large-") as tmp:
        config = exporter_config(Path(tmp))
        port = free_tcp_port()
        argv = [EXPORTER, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn"]
        with running(argv, "snmp_exporter", tcp_ready(port)) as exporter:
            for rtt in (float(r) for r in args.rtt.split(",")):
                responder = Responder("--if-rows", str(args.rows), "--community", COMMUNITY,
                                      "--delay", str(rtt))
                try:
                    rows = measure(responder.ports[0], port, exporter.pid, parallels, args.rounds)
                finally:
                    responder.stop()
                print(f"\nanswers delayed {rtt * 1000:g} ms:")
                print(table(["poller", "wall s", "CPU s", "PDUs", "packets"], rows))
    return 0


def measure(device: int, exporter_port: int, exporter_pid: int, parallels: list[int],
            rounds: int) -> list[list[object]]:
    results: dict[str, list[dict[str, Any]]] = {}
    for _ in range(rounds):
        for parallel in parallels:
            for cache in (False, True):
                first, second = asyncio.run(netmon_polls(device, parallel, cache))
                key = f"netmon parallel_walks={parallel}, cache {'on' if cache else 'off'}"
                results.setdefault(key + ", 1st poll", []).append(first)
                results.setdefault(key + ", 2nd poll", []).append(second)
        results.setdefault("snmp_exporter 0.21", []).append(
            exporter_scrape(exporter_port, exporter_pid, device))
    rows: list[list[object]] = []
    for key, runs in results.items():
        rows.append([key, f"{statistics.median(r['wall'] for r in runs):.2f}",
                     f"{statistics.median(r['cpu'] for r in runs):.2f}",
                     int(statistics.median(r["pdus"] for r in runs)),
                     int(statistics.median(r.get("packets", 0) for r in runs)) or "-"])
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
