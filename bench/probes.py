"""The probe exporter's CPU: 2 targets every 15 s, in CPU seconds per minute of agent time.

    python bench/probes.py [--duration 60] [--speedup 4] [--method icmp|tcp|both]

What runs: this process plays the agent's schedule for one :class:`ProbeExporter` with two
targets and the default timing (10 packets per target and run, 1 s apart, 1 s timeout, a run
every 15 s), calling ``collect()`` (probing plus building the metric families) once per
interval, as the agent's job does. Targets are on loopback, so nothing leaves the machine:

* ``icmp``: ``127.0.0.1`` and ``::1``, ICMP echo over whichever socket this process may open
  (raw as root, unprivileged datagram where ``ping_group_range`` allows);
* ``tcp``: two listeners on ``127.0.0.1`` this script opens, ``method: tcp``.

What is measured: the CPU time of this process (``time.process_time()``: user + system, all
threads; the split from ``getrusage``) between the end of a warm-up run and the end of the
last measured run, over ``--duration`` seconds of wall time. ``--speedup k`` divides the
interval, the spacing and the timeout by ``k``, so each wall second holds ``k`` seconds of
agent time with the same work per run (same packets, same runs per simulated minute, times
``k``); the figure is CPU seconds per *simulated* minute: ``cpu / (wall_minutes * k)``.
``--speedup 1`` measures in real time (the figure to quote; the speedup is there to get a
stable figure sooner, and the two are printed side by side when ``--speedup`` is not 1). The
agent's other work with the result (spooling, shipping) is not included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

from _common import table
from prometheus_client import Metric

from exporters.probe import ProbeConfig, ProbeExporter, ProbeTarget
from exporters.probe.sockets import IcmpSocket, open_icmp_socket

INTERVAL, COUNT, SPACING, TIMEOUT = 15.0, 10, 1.0, 1.0


@dataclass
class Figures:
    scenario: str
    speedup: float
    wall_s: float
    cpu_s: float
    user_s: float
    system_s: float
    runs: int
    sent: int
    received: int

    @property
    def simulated_min(self) -> float:
        return self.wall_s * self.speedup / 60

    @property
    def cpu_per_min(self) -> float:
        return self.cpu_s / self.simulated_min


@contextlib.contextmanager
def listeners(n: int) -> Iterator[list[int]]:
    socks = []
    try:
        for _ in range(n):
            sock = socket.socket()
            socks.append(sock)
            sock.bind(("127.0.0.1", 0))
            sock.listen(4096)
        yield [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


def _counter(families: list[Metric], name: str) -> int:
    return int(sum(s.value for f in families if f.name == name for s in f.samples))


async def measure(scenario: str, targets: tuple[ProbeTarget, ...], duration: float,
                  speedup: float) -> Figures:
    interval = INTERVAL / speedup
    config = ProbeConfig(targets=targets, count=COUNT, spacing=SPACING / speedup,
                         timeout=TIMEOUT / speedup, interval=interval)
    exporter = ProbeExporter(config)
    await exporter.collect()  # warm-up: first sockets, first families
    loop = asyncio.get_running_loop()
    start_wall, start_cpu = loop.time(), time.process_time()
    start_usage = resource.getrusage(resource.RUSAGE_SELF)
    runs = 0
    families: list[Metric] = []
    while True:
        next_run = start_wall + runs * interval
        if next_run >= start_wall + duration:
            break
        await asyncio.sleep(max(0.0, next_run - loop.time()))
        families = list(await exporter.collect())
        runs += 1
    # The window ends a whole number of intervals after it began: the last run and the idle
    # rest of its interval are both in it.
    await asyncio.sleep(max(0.0, start_wall + runs * interval - loop.time()))
    wall = loop.time() - start_wall
    cpu = time.process_time() - start_cpu
    usage = resource.getrusage(resource.RUSAGE_SELF)
    sent = _counter(families, "netmon_probe_packets_sent_total") - 2 * COUNT  # minus warm-up
    received = _counter(families, "netmon_probe_packets_received_total") - 2 * COUNT
    return Figures(scenario, speedup, wall, cpu, usage.ru_utime - start_usage.ru_utime,
                   usage.ru_stime - start_usage.ru_stime, runs, sent, received)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0,
                        help="measured wall seconds per scenario (default 60)")
    parser.add_argument("--speedup", type=float, default=4.0,
                        help="agent seconds per wall second (default 4; 1 is real time)")
    parser.add_argument("--method", choices=("icmp", "tcp", "both"), default="both")
    args = parser.parse_args()
    scenarios = ["icmp", "tcp"] if args.method == "both" else [args.method]
    results: list[Figures] = []
    kind = "-"
    with listeners(2) as ports:
        for scenario in scenarios:
            if scenario == "icmp":
                opened = open_icmp_socket(4)
                if not isinstance(opened, IcmpSocket):
                    print(f"icmp: skipped, no ICMP socket may be opened ({opened})")
                    continue
                kind = opened.kind
                opened.sock.close()
                targets: tuple[ProbeTarget, ...] = (ProbeTarget("lo4", "127.0.0.1"),
                                                    ProbeTarget("lo6", "::1"))
            else:
                targets = tuple(ProbeTarget(f"tcp{i}", "127.0.0.1", method="tcp", port=p)
                                for i, p in enumerate(ports))
            print(f"{scenario}: 2 targets, {COUNT} packets each every {INTERVAL:g} s of agent "
                  f"time, {args.duration:g} s wall at x{args.speedup:g}...", flush=True)
            results.append(asyncio.run(measure(scenario, targets, args.duration,
                                               args.speedup)))
    if not results:
        return 1
    print(f"\nprobe exporter CPU (python {sys.version.split()[0]}; ICMP socket: {kind}):")
    print(table(
        ["scenario", "x", "wall s", "agent min", "runs", "sent", "recv", "CPU s", "user s",
         "sys s", "CPU s/min", "CPU ms/run", "us/packet", "% core"],
        [[f.scenario, f"{f.speedup:g}", f"{f.wall_s:.1f}", f"{f.simulated_min:.1f}", f.runs,
          f.sent, f.received, f"{f.cpu_s:.3f}", f"{f.user_s:.3f}", f"{f.system_s:.3f}",
          f"{f.cpu_per_min:.3f}", f"{1000 * f.cpu_s / f.runs:.1f}",
          f"{1e6 * f.cpu_s / max(f.sent, 1):.0f}", f"{100 * f.cpu_per_min / 60:.2f}"]
         for f in results]))
    print("\nCPU s/min: CPU seconds per minute of agent time (2 targets every 15 s = "
          f"{2 * COUNT * 60 / INTERVAL:g} packets/min); % core: that over 60 s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
