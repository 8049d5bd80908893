"""The agent's footprint: CPU per minute and memory of one netmon agent (this host + one ward
router, shipping included) next to node_exporter plus snmp_exporter serving the same.

    python bench/agent_footprint.py [--duration 120] [--warmup 20]

Started on loopback, in the same run, each stopped by its PID at the end:

* one simulated ward router (snmpsim serving ``netmon/demo/data/ward-router.snmprec``, the real
  vyatta walk: 24 interfaces, storage, sensors), shared by both sides;
* a collector (``python -m netmon collector``) with an inventory of that one ward agent;
* **the netmon agent** (``python -m netmon agent --config F``): the host exporter and the
  router with netmon's modules ``system, if_mib, hr_cpu, hr_storage, entity_sensor``, both
  every 15 s, each run pushed to the collector (with its spool on disk when the agent has
  one);
* Debian's **node_exporter 1.5** twice: with its default collectors, and with the nine
  netmon's host exporter implements (``cpu, loadavg, meminfo, filesystem, diskstats, netdev``,
  the six comparable ones, plus ``stat, time, uname``) and netmon's filters
  (:func:`tests.peers.node_exporter.flags_for`);
* Debian's **snmp_exporter 0.21** with netmon's five modules written in its legacy layout
  (:func:`exporters.snmp.legacy_layout.to_legacy_layout`; ``if_mib`` and ``system`` are
  snmp_exporter's own modules);

and this script scrapes, as Prometheus would, every 15 s at spread offsets: each
node_exporter's ``/metrics`` and snmp_exporter's ``/snmp?target=<router>&module=M`` once per
module (0.21 takes one module per request). After ``--warmup`` seconds (every exporter has run
and been scraped) it measures for ``--duration`` seconds (default 120: 8 intervals) each
process's CPU per minute (its threads' run time from ``/proc/<pid>/task/*/schedstat``, in ns,
or utime + stime from ``/proc/<pid>/stat``: see ``bench/_common.ProcWatch``) and per 15 s, its
RSS (at the end and the largest sampled every second), and USS/PSS when psutil gives them; the
same for the sums that stand for "node_exporter plus snmp_exporter", and whether the goal
holds: the whole agent at or below node_exporter plus snmp_exporter in CPU and in memory
(RSS at the end of the window). It runs in about 2 min 25 s.

Not counted anywhere: snmpsim (the simulated router answers both sides), the collector (it
receives), this script (it plays Prometheus). The agent's figure includes its HTTP pushes
(and its spool writes); snmp_exporter's and node_exporter's include serving their scrapes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from _common import (
    INTERVAL,
    MODULES,
    ROOT,
    ProcUsage,
    ProcWatch,
    collector_process,
    mb,
    table,
    workdir,
    write_fleet,
)

from exporters.host.config import HostConfig
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.legacy_layout import to_legacy_layout
from netmon.commands import netmon_modules_path
from tests.peers.node_exporter import HOST_COLLECTORS, flags_for, node_exporter_path
from tests.peers.process import PeerProcess, free_tcp_port, running, tcp_ready
from tests.peers.snmp import snmpsim_agent
from tests.peers.snmp_exporter import EXPORTER as SNMP_EXPORTER

AUTH = "bench"


@dataclass
class Target:
    """One URL this script scrapes every interval, as Prometheus would."""

    process: str
    url: str
    scrapes: list[tuple[float, float, int, int]] = field(default_factory=list)  # t, s, status, B


async def _scrape_loop(target: Target, offset: float, end: float,
                       session: aiohttp.ClientSession) -> None:
    loop = asyncio.get_running_loop()
    due = loop.time() + offset
    while due < end:
        await asyncio.sleep(max(0.0, due - loop.time()))
        started = loop.time()
        try:
            async with session.get(target.url) as response:
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            body, status = b"", 0
        target.scrapes.append((started, loop.time() - started, status, len(body)))
        due += INTERVAL


async def _measure(targets: list[Target], watch: ProcWatch, warmup: float, duration: float,
                   collector: str, agent_id: str
                   ) -> tuple[dict[str, ProcUsage], float, float, float]:
    """Scrape ``targets`` from now until the window ends; measure ``watch`` in the window.
    Also returns how many of the agent's reports the collector accepted in the window."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    window_start, window_end = start + warmup, start + warmup + duration
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=14)) as session:
        scrapers = [asyncio.create_task(_scrape_loop(t, i * INTERVAL / len(targets),
                                                     window_end, session))
                    for i, t in enumerate(targets)]
        try:
            await asyncio.sleep(warmup)
            accepted = -await _accepted(session, collector, agent_id)
            watch.start()
            while loop.time() < window_end:
                await asyncio.sleep(min(1.0, max(0.0, window_end - loop.time())))
                watch.sample()
            usage = watch.stop()
            accepted += await _accepted(session, collector, agent_id)
            await asyncio.gather(*scrapers)
        finally:
            for task in scrapers:
                task.cancel()
    return usage, window_start, window_end, accepted


def _agent_yaml(agent_id: str, token: Path, collector: str, router: str, files: list[Path],
                work: Path) -> str:
    from agent import config as agent_config

    spool = (f"  spool:\n    path: {work / 'spool.db'}\n"
             if hasattr(agent_config, "SpoolConfig") else "")
    return (f"agent_id: {agent_id}\n"
            f"token_file: {token}\n"
            f"collectors:\n  - name: dc-primary\n    url: {collector}\n"
            f"exporters:\n"
            f"  host:\n    interval: {INTERVAL:g}s\n"
            f"  snmp:\n"
            f"    - target: {router}\n"
            f"      name: snmp:ward-router\n"
            f"      modules: [{', '.join(MODULES)}]\n"
            f"      auth: {AUTH}\n"
            f"      interval: {INTERVAL:g}s\n"
            f"      files: [{', '.join(str(f) for f in files)}]\n"
            f"shipping:\n  grace: 2s\n{spool}")


async def _accepted(session: aiohttp.ClientSession, url: str, agent_id: str) -> float:
    """The agent's reports the collector has accepted so far (its /metrics)."""
    async with session.get(url + "/metrics") as response:
        text = await response.text()
    prefix = f'netmon_agent_reports_total{{agent="{agent_id}",result="accepted"}}'
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.split()[-1])
    return 0.0


def _version(argv: list[str]) -> str:
    out = subprocess.run([*argv, "--version"], capture_output=True, text=True, check=False)
    return (out.stdout + out.stderr).split("\n", 1)[0].split(" (")[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=120.0,
                        help="measured seconds (default 120: 8 intervals of 15 s)")
    parser.add_argument("--warmup", type=float, default=20.0,
                        help="seconds before measuring (default 20: every exporter ran once)")
    args = parser.parse_args()
    node = node_exporter_path()
    with workdir("footprint") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        router = stack.enter_context(snmpsim_agent())
        auths = work / "snmp-auths.yml"
        auths.write_text(f"auths:\n  {AUTH}:\n    community: {router.community}\n"
                         "    version: 2\nmodules: {}\n", encoding="utf-8")
        auths.chmod(0o600)  # it holds a community: netmon refuses it if others can read it
        files = [netmon_modules_path(), auths]
        legacy = work / "snmp-legacy.yml"
        legacy.write_text(to_legacy_layout(load_snmp_config(files), AUTH, MODULES),
                          encoding="utf-8")
        legacy.chmod(0o600)

        fleet = write_fleet(work, sites=1, dc_hosts=0)
        agent_id = fleet.ward_agents[0]
        _, collector_url = stack.enter_context(collector_process(fleet))
        config = work / "agent.yml"
        config.write_text(_agent_yaml(agent_id, fleet.workdir / "tokens" / f"{agent_id}.token",
                                      collector_url, router.target, files, work),
                          encoding="utf-8")
        agent = stack.enter_context(PeerProcess(
            [sys.executable, "-m", "netmon", "agent", "--config", str(config)], "agent",
            cwd=ROOT))

        ports = {name: free_tcp_port() for name in ("node_default", "node_nine", "snmp")}
        node_default = stack.enter_context(running(
            [node, f"--web.listen-address=127.0.0.1:{ports['node_default']}"],
            "node_exporter", tcp_ready(ports["node_default"])))
        node_nine = stack.enter_context(running(
            [node, f"--web.listen-address=127.0.0.1:{ports['node_nine']}",
             "--collector.disable-defaults", *(f"--collector.{c}" for c in HOST_COLLECTORS),
             *flags_for(HostConfig())], "node_exporter", tcp_ready(ports["node_nine"])))
        snmp = stack.enter_context(running(
            [SNMP_EXPORTER, f"--config.file={legacy}",
             f"--web.listen-address=127.0.0.1:{ports['snmp']}", "--log.level=warn"],
            "snmp_exporter", tcp_ready(ports["snmp"])))

        names = {"agent": "netmon agent (host + router, shipping)",
                 "node_default": "node_exporter (its defaults)",
                 "node_nine": "node_exporter (netmon's 9 host collectors)",
                 "snmp": f"snmp_exporter ({len(MODULES)} modules, 1 router)"}
        pids = {"agent": agent.pid, "node_default": node_default.pid,
                "node_nine": node_nine.pid, "snmp": snmp.pid}
        base = {k: f"http://127.0.0.1:{p}" for k, p in ports.items()}
        targets = [Target("node_default", base["node_default"] + "/metrics"),
                   Target("node_nine", base["node_nine"] + "/metrics")]
        targets += [Target("snmp", f"{base['snmp']}/snmp?target={router.target}&module={m}")
                    for m in MODULES]
        print(f"agent footprint: {_version([node])}, {_version([SNMP_EXPORTER])}; one simulated "
              f"router at {router.target}; every {INTERVAL:g} s; {args.warmup:g} s warm-up, "
              f"{args.duration:g} s measured", flush=True)
        watch = ProcWatch(pids)
        usage, window_start, window_end, accepted = asyncio.run(_measure(
            targets, watch, args.warmup, args.duration, collector_url, agent_id))
        if agent.proc.poll() is not None:
            raise RuntimeError(f"the agent exited:\n{agent.output()}")

    scrapes = {k: [s for t in targets if t.process == k for s in t.scrapes
                   if window_start <= s[0] < window_end] for k in pids}
    failed = {k: sum(1 for s in v if s[2] != 200) for k, v in scrapes.items()}
    intervals = args.duration / INTERVAL

    def row(label: str, parts: list[ProcUsage], work_done: str) -> list[object]:
        cpu = sum(u.cpu_per_min for u in parts)
        uss = [u.uss for u in parts]
        pss = [u.pss for u in parts]
        return [label, f"{cpu:.2f}", f"{1000 * cpu / 60 * INTERVAL:.0f}",
                mb(sum(u.rss_end for u in parts)), mb(sum(u.rss_peak_window for u in parts)),
                mb(None if None in uss else sum(u or 0 for u in uss)),
                mb(None if None in pss else sum(u or 0 for u in pss)), work_done]

    def did(key: str) -> str:
        fails = f", {failed[key]} failed" if failed[key] else ""
        return f"{len(scrapes[key])} scrapes{fails}"

    rows = [row(names["agent"], [usage["agent"]],
                f"{accepted:.0f} reports pushed ({2 * intervals:.0f} expected)"),
            row(names["node_default"], [usage["node_default"]], did("node_default")),
            row(names["node_nine"], [usage["node_nine"]], did("node_nine")),
            row(names["snmp"], [usage["snmp"]], did("snmp")),
            row("node_exporter (9) + snmp_exporter", [usage["node_nine"], usage["snmp"]], ""),
            row("node_exporter (defaults) + snmp_exporter",
                [usage["node_default"], usage["snmp"]], "")]
    print(table(["process", "CPU-s/min", "CPU ms/15 s", "RSS MB", "RSS peak MB", "USS MB",
                 "PSS MB", "in the window"], rows))
    agent_u = usage["agent"]
    for label, pair in (("node_exporter (9 collectors) + snmp_exporter",
                         [usage["node_nine"], usage["snmp"]]),
                        ("node_exporter (defaults) + snmp_exporter",
                         [usage["node_default"], usage["snmp"]])):
        cpu = sum(u.cpu_per_min for u in pair)
        rss = sum(u.rss_end for u in pair)
        cpu_ok = agent_u.cpu_per_min <= cpu
        rss_ok = agent_u.rss_end <= rss
        verdict = "HOLDS" if cpu_ok and rss_ok else "does NOT hold"
        print(f"  goal vs {label}: {verdict} (CPU {'yes' if cpu_ok else 'no'}, memory "
              f"{'yes' if rss_ok else 'no'}): CPU {agent_u.cpu_per_min:.2f} "
              f"{'<=' if cpu_ok else '>'} {cpu:.2f} CPU-s/min "
              f"({agent_u.cpu_per_min / cpu:.2f}x); RSS {mb(agent_u.rss_end)} "
              f"{'<=' if rss_ok else '>'} {mb(rss)} MB ({agent_u.rss_end / rss:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
