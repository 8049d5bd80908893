"""``netmon demo``: start the simulated WAN, the collector and the agents; print the URLs;
keep them running until Ctrl-C (or ``--duration``), then stop everything by PID.

With ``--once`` it waits until every agent has reported, prints what the collector serves,
and stops: a whole-system smoke test in one command.
"""

from __future__ import annotations

import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from netmon.demo.processes import Children
from netmon.demo.setup import DemoFiles, default_workdir, prepare, write_agent_configs
from netmon.demo.simulator import SimulatorError, simulated_router
from netmon.demo.system import SystemStartError, netmon_system

_UP = re.compile(r'^netmon_agent_up\{[^}]*agent="([^"]*)"[^}]*role="([^"]*)"[^}]*\} (\S+)$',
                 re.MULTILINE)
_SERIES = re.compile(r'^netmon_agent_series\{agent="([^"]*)"\} (\S+)$', re.MULTILINE)
#: A ward agent that has delivered its router's poll stores hundreds of series; one that has
#: only sent its own metrics, a few dozen.
_POLLED = 200


@dataclass(frozen=True)
class Status:
    wards_up: int
    wards_polled: int
    hosts_up: int

    def line(self, files: DemoFiles) -> str:
        return (f"{time.strftime('%H:%M:%S')}  agents reporting: {self.wards_up}/"
                f"{len(files.ward_agents)} ward routers ({self.wards_polled} with their "
                f"router's data), {self.hosts_up}/1 data-centre host")


def _get(url: str, timeout: float = 5.0) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return str(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError):
        return None


def _status(files: DemoFiles) -> Status:
    text = _get(f"{files.collector_url}/metrics") or ""
    up = {agent: (role, float(value)) for agent, role, value in _UP.findall(text)}
    series = {agent: float(value) for agent, value in _SERIES.findall(text)}
    wards = [a for a, (role, value) in up.items() if value == 1 and role == "ward-router"]
    hosts = sum(1 for role, value in up.values() if value == 1 and role != "ward-router")
    polled = sum(1 for agent in wards if series.get(agent, 0) >= _POLLED)
    return Status(len(wards), polled, hosts)


def _urls(files: DemoFiles, wan_port: int) -> str:
    base = files.collector_url
    first = files.ward_agents[0]
    return "\n".join([
        f"netmon demo: {len(files.ward_agents)} ward routers of Hanoi's WAN simulated on "
        f"udp://127.0.0.1:{wan_port} (snmpsim), one agent each, and this host; open:",
        f"  {base}/scopes/wan/metrics                  every ward, with district and ward labels",
        f"  {base}/scopes/wan/metrics?agent={first.agent_id}   one ward "
        f"({first.router.ward}, {first.router.district})",
        f"  {base}/scopes/dc-primary/metrics           the primary data centre's hosts",
        f"  {base}/scopes/dc-backup/metrics            the backup data centre's hosts",
        f"  {base}/sd                                  Prometheus HTTP service discovery",
        f"  {base}/snmp?target=127.0.0.1:{wan_port}&module=if_mib&auth={first.router.community}"
        "   snmp_exporter's /snmp, from a live poll",
        f"  {base}/metrics                             the collector itself "
        "(netmon_agent_up per agent)",
        f"  files and logs: {files.workdir}",
    ])


def run(wards: int = 12, interval: float = 15.0, listen: str = "127.0.0.1:9750",
        duration: float | None = None, once: bool = False, workdir: Path | None = None) -> int:
    workdir = workdir or default_workdir()
    if _get(f"http://{listen}/-/ready", timeout=1) is not None:
        print(f"netmon demo: something already answers on {listen}; stop it or choose "
              "another address with --listen", file=sys.stderr)
        return 2
    files = prepare(workdir, wards, interval, listen)
    print(f"netmon demo: starting {len(files.ward_agents)} simulated ward routers "
          "(the first start indexes them: about 0.1 s each)...", flush=True)
    try:
        with simulated_router(files.ward_agents[-1].router.community, files.wan_dir,
                              workdir / "snmpsim-cache", timeout=60 + wards) as wan:
            write_agent_configs(files, wan.port)
            return _run_system(files, wan.port, interval, duration, once)
    except SimulatorError as exc:
        print(f"netmon demo: {exc}", file=sys.stderr)
        return 2


def _run_system(files: DemoFiles, wan_port: int, interval: float, duration: float | None,
                once: bool) -> int:
    try:
        with netmon_system(files) as children:
            print(_urls(files, wan_port), flush=True)
            if once:
                # The first poll of each router comes within one interval (phases are spread
                # over it); a big simulated WAN also needs snmpsim's time (~0.15 CPU-s a router).
                timeout = 2 * interval + 30 + 0.2 * len(files.ward_agents)
                return _wait_for_everyone(files, children, timeout=timeout)
            return _watch(files, children, interval, duration)
    except SystemStartError as exc:
        print(f"netmon demo: {exc}", file=sys.stderr)
        return 1


def _wait_for_everyone(files: DemoFiles, children: Children, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    status = _status(files)
    while time.monotonic() < deadline and not children.dead():
        status = _status(files)
        if status.wards_polled == len(files.ward_agents) and status.hosts_up == 1:
            break
        time.sleep(0.5)
    print(status.line(files))
    wan = _get(f"{files.collector_url}/scopes/wan/metrics", timeout=30) or ""
    series = sum(1 for line in wan.splitlines() if line and not line.startswith("#"))
    print(f"  the WAN scope serves {series} series; for example:")
    for line in [ln for ln in wan.splitlines() if ln.startswith("sysLocation{")][:3]:
        print(f"    {line}")
    dead = children.dead()
    if dead:
        print("\n".join(dead), file=sys.stderr)
    complete = status.wards_polled == len(files.ward_agents) and status.hosts_up == 1
    return 0 if complete and not dead else 1


def _watch(files: DemoFiles, children: Children, interval: float,
           duration: float | None) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    end = None if duration is None else time.monotonic() + duration
    print("Ctrl-C stops everything the demo started.", flush=True)
    while not stop.is_set():
        dead = children.dead()
        if dead:
            print("netmon demo: a component stopped:\n" + "\n".join(dead), file=sys.stderr)
            return 1
        print(_status(files).line(files), flush=True)
        wait = interval if end is None else min(interval, end - time.monotonic())
        if wait <= 0 or stop.wait(wait):
            break
    print("netmon demo: stopping...", flush=True)
    return 0
