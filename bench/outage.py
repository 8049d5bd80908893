"""An hour-long outage of 100 wards, replayed against one collector: how long the catch-up
takes, what it costs the collector, and how late live data is meanwhile.

    python bench/outage.py [--wards 100] [--outage 3600] [--others 479] [--catchup-rate 1]

* A fleet of ``--wards + --others`` ward agents (Hanoi's inventory, a token each), one real
  collector process (``python -m netmon collector``, admission control on its defaults) that
  forwards late samples through remote_write to a real VictoriaMetrics (``forward: late``, as
  deployed), on loopback.
* A generator process runs every agent's real delivery code: its own durable spool
  (:class:`agent.spool.Spool`, SQLite) and :class:`agent.shipper.Shipper` (newest report
  first, then the backlog oldest first at ``catchup_rate`` per second, 429 and Retry-After
  honoured, a deferred backlog report stepping aside for live data), through one aiohttp
  session. Every agent writes a live report every 15 s at its own phase (a ward router and
  this host's exporter in one report, about 1,230 samples, 9 kB gzipped, as in
  ``bench/ingest.py``).
* Before the clock starts, each of the ``--wards`` outage agents has ``--outage`` seconds
  of reports in its spool (one per 15 s, timestamped over the outage): the WAN link came back
  at time zero. The ``--others`` agents have none: they are the rest of the city, whose live
  data must not suffer.

Measured from time zero until every backlog report was acknowledged (then one more interval):

* catch-up time; backlog pushes deferred (429) and how many times;
* the collector's CPU over the catch-up (seconds, and the share of one core) and its RSS;
* live-data delay: report written to report acknowledged, p50/p99/max, for the live reports
  of the outage agents and of the others, during the catch-up;
* what the collector forwarded through remote_write and its lag at the end.

The generator's and VictoriaMetrics' CPU are printed too: all three share this machine's
cores with the collector. Every process started is stopped by its PID.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import select
import signal
import subprocess
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

from tests.peers.victoria_metrics import victoria_metrics

COLLECTOR = "dc-primary"


# --- the generator (a separate process: python bench/outage.py --generator SPEC) -------------

class _Timed:
    """A :class:`~agent.outbox.Delivery` that records when each report was acknowledged."""

    def __init__(self, inner: Any, agent: str, sink: list[tuple[str, bool, float, float]],
                 backlog_left: dict[str, int], last_backlog: int, done: asyncio.Event) -> None:
        self.inner, self.agent, self.sink = inner, agent, sink
        self.backlog_left, self.last_backlog, self.all_done = backlog_left, last_backlog, done

    async def next(self) -> Any:
        return await self.inner.next()

    def kept(self, report: Any) -> bool:
        return bool(self.inner.kept(report))

    async def requeue(self, report: Any) -> None:
        await self.inner.requeue(report)

    async def wait_newer(self, timeout: float) -> bool:
        return bool(await self.inner.wait_newer(timeout))

    async def done(self, report: Any, delivered: bool) -> None:
        now = time.time()
        backlog = report.seq <= self.last_backlog
        if delivered:
            self.sink.append((self.agent, backlog, report.created, now))
        if backlog:
            self.backlog_left[self.agent] -= 1
            if not any(self.backlog_left.values()):
                self.all_done.set()
        await self.inner.done(report, delivered)


async def _generate(spec: dict[str, Any]) -> dict[str, Any]:
    from agent.config import CollectorConfig, ShippingConfig, SpoolConfig
    from agent.metrics import AgentMetrics
    from agent.report import EncodedReport
    from agent.shipper import Shipper
    from agent.spool import Spool
    from exporters.secrets import Secret
    from netmon.schedule import phase

    template = SeqBody(spec["template"])
    interval, outage = spec["interval"], spec["outage"]
    shipping = ShippingConfig(catchup_rate=spec["catchup_rate"])
    collector = CollectorConfig(spec["url"], COLLECTOR)
    metrics = AgentMetrics([COLLECTOR], ["snmp:ward-router"])
    spools: dict[str, Spool] = {}
    last_backlog: dict[str, int] = {}
    backlog_left: dict[str, int] = {}
    prepared = time.monotonic()
    for agent_id, _, in_outage in spec["agents"]:
        spool = await Spool.open(SpoolConfig(str(Path(spec["spools"]) / f"{agent_id}.db")),
                                 [COLLECTOR], catchup_rate=shipping.catchup_rate,
                                 metrics=metrics, agent_id=agent_id)
        spools[agent_id] = spool
        seq = spool.next_seq
        if in_outage:
            now = time.time()
            count = int(outage // interval)
            for i in range(count):
                ts = now - outage + i * interval + random.uniform(0, interval)
                await spool.put(EncodedReport(seq, template.body(seq, ts), ts,
                                              template.samples, "snmp:ward-router"))
                seq += 1
            backlog_left[agent_id] = count
        last_backlog[agent_id] = seq - 1
    print(f"ready: spools prepared in {time.monotonic() - prepared:.1f} s", flush=True)
    sys.stdin.readline()                                # "go" from the bench

    acks: list[tuple[str, bool, float, float]] = []
    all_done = asyncio.Event()
    start = time.time()
    loop_start = asyncio.get_running_loop().time()
    tasks: list[asyncio.Task[None]] = []

    async def live(agent_id: str, spool: Spool) -> None:
        loop = asyncio.get_running_loop()
        due = loop_start + phase(agent_id, "snmp:ward-router", interval, 1.0)
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            now = time.time()
            seq = spool.next_seq
            await spool.put(EncodedReport(seq, template.body(seq, now), now, template.samples,
                                          "snmp:ward-router"))
            due += interval

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for agent_id, token, _ in spec["agents"]:
            spool = spools[agent_id]
            delivery = _Timed(spool.delivery(COLLECTOR), agent_id, acks, backlog_left,
                              last_backlog[agent_id], all_done)
            shipper = Shipper(collector, delivery, session, Secret(token),  # type: ignore[arg-type]
                              shipping, metrics, agent_id=agent_id)
            tasks.append(asyncio.create_task(shipper.run()))
            tasks.append(asyncio.create_task(live(agent_id, spool)))
        if not backlog_left:
            all_done.set()
        try:
            await asyncio.wait_for(all_done.wait(), spec["max_wait"])
            caught_up = time.time() - start
        except TimeoutError:
            caught_up = float("nan")
        print(f"caught up: {caught_up:.1f} s", flush=True)
        await asyncio.sleep(interval)                     # one interval after
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for spool in spools.values():
        await spool.close()
    return {"start": start, "caught_up": caught_up, "acks": acks,
            "throttled": metrics.failed.get((COLLECTOR, "throttled"), 0),
            "failed": {r: n for (c, r), n in metrics.failed.items() if n},
            "dropped": {r: n for (c, r), n in metrics.dropped.items() if n}}


def generator_main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    spec["template"] = Path(spec["template"]).read_bytes()
    result = asyncio.run(_generate(spec))
    Path(spec["out"]).write_text(json.dumps(result))
    return 0


class Generator:
    """The generator process: lines from its stdout, "go" to its stdin, stopped by PID."""

    def __init__(self, argv: list[str], work: Path) -> None:
        self.log = work / "generator.log"
        with self.log.open("wb") as stderr:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=stderr, cwd=ROOT, text=True,
                                         start_new_session=True)
        self.pid = self.proc.pid

    def readline(self, timeout: float) -> str:
        """A line of its output, or "" when none came within ``timeout`` seconds."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline() if ready else ""

    def write(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


# --- the bench -----------------------------------------------------------------------------------

def _collector_metrics(url: str) -> dict[str, float]:
    async def get() -> str:
        async with aiohttp.ClientSession() as session, session.get(
                url + "/metrics", timeout=aiohttp.ClientTimeout(total=30)) as response:
            return await response.text()

    out: dict[str, float] = {}
    for line in asyncio.run(get()).splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def _delays(acks: list[list[Any]], which: set[str] | None, end: float) -> str:
    values = [1000 * (acked - created) for agent, backlog, created, acked in acks
              if not backlog and acked <= end and (which is None or agent in which)]
    if not values:
        return "n/a"
    return (f"{percentile(values, 0.5):.0f} / {percentile(values, 0.99):.0f} / "
            f"{max(values):.0f} ms ({len(values)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=100, help="wards back from the outage")
    parser.add_argument("--outage", type=float, default=3600.0, help="its length, seconds")
    parser.add_argument("--others", type=int, default=479,
                        help="wards without an outage, sending live data (default 479)")
    parser.add_argument("--catchup-rate", type=float, default=1.0,
                        help="agents' shipping.catchup_rate (default 1 report/s)")
    parser.add_argument("--generator", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generator:
        return generator_main(args.generator)

    template = SeqBody.of(ward_batches(with_host=True))
    backlog = int(args.outage // INTERVAL)
    print(f"outage bench: {args.wards} wards back after {args.outage:g} s ({backlog} reports "
          f"each, {args.wards * backlog} in all), {args.others} others live; report "
          f"{template.size / 1000:.1f} kB gzipped, {template.samples} samples; catch-up rate "
          f"{args.catchup_rate:g}/s per agent", flush=True)
    with workdir("outage") as tmp:
        work = Path(tmp)
        fleet = write_fleet(work, sites=args.wards + args.others, dc_hosts=0)
        wards = fleet.ward_agents
        outage = set(wards[:args.wards])
        (work / "report.json").write_bytes(template.doc)
        (work / "spools").mkdir()
        with victoria_metrics(work / "vm") as vm:
            extra = (f"remote_write:\n  url: {vm.write_url}\n  forward: late\n"
                     f"  spool: {{path: rw.sqlite}}\n")
            with collector_process(fleet, timeout=120, extra=extra) as (collector, url):
                spec = {"url": url, "interval": INTERVAL, "outage": args.outage,
                        "catchup_rate": args.catchup_rate, "template": str(work / "report.json"),
                        "spools": str(work / "spools"), "out": str(work / "result.json"),
                        "max_wait": 3 * backlog / args.catchup_rate + 600,
                        "agents": [(a, fleet.tokens[a], a in outage) for a in wards]}
                (work / "spec.json").write_text(json.dumps(spec))
                generator = Generator([sys.executable, str(Path(__file__).resolve()),
                                       "--generator", str(work / "spec.json")], work)
                try:
                    print("  " + generator.readline(timeout=900).strip(), flush=True)
                    before = _collector_metrics(url)
                    watch = ProcWatch({"collector": collector.pid, "generator": generator.pid,
                                       "victoria-metrics": vm.pid})
                    watch.start()
                    generator.write("go\n")
                    line = ""
                    while not line.startswith("caught up"):
                        line = generator.readline(timeout=1.0)
                        watch.sample()
                        if generator.proc.poll() is not None and not line:
                            raise RuntimeError(f"the generator failed:\n{generator.output()}")
                    usage = watch.stop()
                    print("  " + line.strip(), flush=True)
                    generator.proc.wait(timeout=INTERVAL + 60)
                    if generator.proc.returncode != 0:
                        raise RuntimeError(f"the generator failed:\n{generator.output()}")
                    after = _collector_metrics(url)
                finally:
                    generator.stop()
                result = json.loads((work / "result.json").read_text())
    c, g, v = usage["collector"], usage["generator"], usage["victoria-metrics"]
    end = result["start"] + result["caught_up"]
    rejected = 'netmon_collector_reports_rejected_total{reason="throttled"}'
    forwarded = 'netmon_collector_remote_write_samples_total{result="sent"}'
    print(table(["figure", "value"], [
        ["catch-up time", f"{result['caught_up']:.0f} s"],
        ["collector CPU during catch-up", f"{c.cpu_s:.0f} s ({100 * c.cpu_s / c.wall_s:.0f}% "
                                          "of a core)"],
        ["collector RSS peak / end", f"{mb(c.rss_peak_window)} / {mb(c.rss_end)}"],
        ["backlog pushes deferred (429)",
         f"{after.get(rejected, 0) - before.get(rejected, 0):.0f} (agents saw "
         f"{result['throttled']})"],
        ["live delay, outage wards p50/p99/max", _delays(result["acks"], outage, end)],
        ["live delay, other wards p50/p99/max",
         _delays(result["acks"], set(wards) - outage, end)],
        ["samples forwarded (remote_write)",
         f"{after.get(forwarded, 0) - before.get(forwarded, 0):.0f}"],
        ["remote_write lag at the end",
         f"{after.get('netmon_collector_remote_write_lag_seconds', 0):.1f} s"],
        ["agent-side failures / drops", f"{result['failed']} / {result['dropped'] or 'none'}"],
        ["generator CPU (all agents' spools and shippers)",
         f"{g.cpu_s:.0f} s ({100 * g.cpu_s / g.wall_s:.0f}%)"],
        ["VictoriaMetrics CPU", f"{v.cpu_s:.0f} s ({100 * v.cpu_s / v.wall_s:.0f}%)"],
    ]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
