"""CLI checks of 50 simulated routers with a pool of 10 threads: wall time, CPU, peak RSS.

    python bench/cli_checks.py [--devices 50] [--workers 10] [--rounds 3] [--checks a,b,...]

One fakenos process (a subprocess, stopped by its PID) serves ``--devices`` Cisco IOS routers
on loopback, each answering the captured ward-router outputs of ``tests/exporters/cli/data``
and asking for an enable secret. This process runs one :class:`CliExporter` per router, all
sharing one :class:`CliPool` of ``--workers`` threads, through the harness as the agent does:
each run logs in, enters enable, runs every command of the selected checks (default: all of
netmon's Cisco IOS mapping, 7 commands: interfaces twice parsed, IP SLA, BGP, transceiver,
environment temperature and power, running config hashed), parses, maps, and renders the
exposition. ``--rounds`` rounds run one after the other, all devices concurrently in each.

Figures: wall time per round (median), CPU seconds of this process per round (utime + stime
of all its threads, from ``time.process_time()``; fakenos's CPU, the simulated routers, is
read apart from ``/proc/<pid>/stat`` and not included), and this process's peak RSS
(``VmHWM``) next to its RSS after the imports. fakenos shares the machine's cores with the
checker, and it reads what a client types one byte every 10 ms (``show ip sla statistics``
takes it a quarter of a second), so the wall time is mostly the simulated routers' and netmiko's
waiting: the checker's CPU is the figure that carries over to real routers.

Kept apart from ``bench/_common.py`` on purpose: its imports (aiohttp, the collector) would
inflate the RSS measured here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exporters.cli import CliDeviceConfig, CliExporter, CliPool  # noqa: E402
from exporters.exposition import render  # noqa: E402
from exporters.harness import all_families, run_exporters  # noqa: E402
from tests.exporters.cli.conftest import device  # noqa: E402
from tests.exporters.cli.fakenos_peer import (  # noqa: E402
    ENABLE_SECRET,
    WARD_ROUTER,
    FakeHost,
    fakenos_devices,
    outputs,
)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_memory(pid: int | str) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) in bytes."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


async def one_round(exporters: list[CliExporter]) -> tuple[float, float, int, int]:
    """Wall and CPU seconds of one round, failed runs, rendered series."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    runs = await run_exporters(exporters, timeout=300)
    text = render(all_families(runs))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    failed = sum(1 for r in runs if not r.success)
    return wall, cpu, failed, text.count(b"\n") - text.count(b"\n#")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--checks", default="", help="comma-separated checks (default: all)")
    args = parser.parse_args()
    checks = tuple(c for c in args.checks.split(",") if c)
    import netmiko  # noqa: F401  (its import is part of the baseline, not of the checks)

    rss_imports = proc_memory("self")["VmRSS"]
    hosts = [FakeHost(f"ward-{i:03d}", outputs(WARD_ROUTER), enable_secret=ENABLE_SECRET)
             for i in range(args.devices)]
    with tempfile.TemporaryDirectory(prefix="netmon-bench-cli-") as tmp, \
            fakenos_devices(hosts, Path(tmp)) as fake:
        peer = fake.pid
        configs: list[CliDeviceConfig] = [
            device(name, port, checks=checks, conn_timeout=10.0, read_timeout=30.0)
            for name, port in fake.ports.items()]
        rounds = []
        with CliPool(args.workers) as pool:
            exporters = [CliExporter(c, pool) for c in configs]
            for _ in range(args.rounds):
                peer_cpu0 = proc_cpu_seconds(peer)
                wall, cpu, failed, series = asyncio.run(one_round(exporters))
                rounds.append((wall, cpu, failed, series, proc_cpu_seconds(peer) - peer_cpu0))
        peer_rss = proc_memory(peer)["VmRSS"]
    memory = proc_memory("self")
    commands = len(configs[0].selected.commands)
    walls = [r[0] for r in rounds]
    cpus = [r[1] for r in rounds]
    print(f"CLI checks of {args.devices} fakenos routers, {commands} commands each, "
          f"pool of {args.workers} threads, {args.rounds} rounds ({os.cpu_count()} cores)")
    for i, (wall, cpu, failed, series, peer_cpu) in enumerate(rounds, 1):
        print(f"  round {i}: wall {wall:6.2f} s   checker CPU {cpu:6.2f} s   "
              f"fakenos CPU {peer_cpu:6.2f} s   failed runs {failed}   series {series}")
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"  median: wall {wall:.2f} s ({wall / args.devices * 1000:.0f} ms a device), "
          f"checker CPU {cpu:.2f} s ({cpu / args.devices * 1000:.0f} ms a device, "
          f"{cpu / (args.devices * commands) * 1000:.1f} ms a command)")
    print(f"  checker RSS: {rss_imports / 2**20:.1f} MiB after imports, peak (VmHWM) "
          f"{memory['VmHWM'] / 2**20:.1f} MiB, end {memory['VmRSS'] / 2**20:.1f} MiB; "
          f"fakenos RSS {peer_rss / 2**20:.1f} MiB")
    return 1 if any(r[2] for r in rounds) else 0


if __name__ == "__main__":
    sys.exit(main())
