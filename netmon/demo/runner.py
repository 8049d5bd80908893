"""The demo's loop: poll the simulated router and this host, serve and summarise the result."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import Metric

from exporters.contract import Exporter
from exporters.exposition import CONTENT_TYPE, render
from exporters.harness import ExporterRun, all_families, run_exporters
from exporters.host import HostConfig, HostExporter
from exporters.secrets import Secret
from exporters.snmp.client import SnmpStack
from exporters.snmp.config import Auth
from exporters.snmp.config_load import load_snmp_config
from exporters.snmp.exporter import SnmpExporter, SnmpTargetConfig
from netmon.commands import netmon_modules_path
from netmon.demo.simulator import SimulatedRouter, SimulatorError, simulated_router

log = logging.getLogger(__name__)

MODULES = ("system", "if_mib", "hr_cpu", "hr_storage", "entity_sensor")

#: The latest exposition the demo serves.
EXPOSITION = web.AppKey("exposition", bytearray)


@dataclass
class _Rates:
    """Interface octet counters of the previous poll, to show bits per second."""

    previous: dict[str, tuple[float, float, float]] = field(default_factory=dict)

    def update(self, families: Sequence[Metric], now: float) -> list[str]:
        octets: dict[str, dict[str, float]] = {}
        for family in families:
            if family.name in ("ifHCInOctets", "ifHCOutOctets"):
                for sample in family.samples:
                    if_name = sample.labels.get("ifName", "?")
                    octets.setdefault(if_name, {})[family.name] = sample.value
        lines = []
        for if_name in sorted(octets):
            rx = octets[if_name].get("ifHCInOctets", 0.0)
            tx = octets[if_name].get("ifHCOutOctets", 0.0)
            before = self.previous.get(if_name)
            self.previous[if_name] = (now, rx, tx)
            if before is None or now <= before[0]:
                continue
            seconds = now - before[0]
            rx_bps, tx_bps = (rx - before[1]) * 8 / seconds, (tx - before[2]) * 8 / seconds
            if rx_bps or tx_bps:
                lines.append(f"    {if_name:<8} in {rx_bps / 1e6:9.2f} Mb/s   "
                             f"out {tx_bps / 1e6:9.2f} Mb/s")
        return lines


def _summary(runs: Sequence[ExporterRun], families: Sequence[Metric], rates: _Rates) -> str:
    out = [time.strftime("%H:%M:%S") + " poll:"]
    for run in runs:
        state = "ok" if run.success else f"FAILED ({run.error})"
        out.append(f"  {run.exporter:<28} {run.duration_seconds * 1000:7.1f} ms  {state}")
    values = {f.name: f for f in families}
    sys_name = values.get("sysName")
    if sys_name and sys_name.samples:
        out.append(f"  router {sys_name.samples[0].labels.get('sysName', '?')}: interfaces "
                   "carrying traffic")
    out.extend(rates.update(families, time.monotonic()) or ["    (rates after the next poll)"])
    sensors = values.get("entPhySensorValue")
    precision = {s.labels.get("entPhysicalIndex"): s.value
                 for s in getattr(values.get("entPhySensorPrecision"), "samples", [])}
    if sensors:
        shown = ", ".join(
            f"{s.labels.get('entPhysicalName', '?')}="
            f"{s.value / 10 ** precision.get(s.labels.get('entPhysicalIndex'), 0):g}"
            for s in sensors.samples[:4])
        out.append(f"  sensors: {shown}")
    return "\n".join(out)


async def _poll(exporters: Sequence[Exporter]) -> tuple[list[ExporterRun], list[Metric]]:
    # Longer than the SNMP exporter's own deadline (30 s), so its per-module error metrics
    # are reported rather than cut off by the harness.
    runs = await run_exporters(exporters, timeout=40)
    return runs, all_families(runs)


async def _serve(exposition: bytearray, port: int) -> web.AppRunner:
    async def metrics(request: web.Request) -> web.Response:
        body = bytes(request.app[EXPOSITION])
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    app = web.Application()
    app[EXPOSITION] = exposition
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def _main(router: SimulatedRouter, once: bool, interval: float,
                duration: float | None, port: int) -> int:
    snmp = load_snmp_config([netmon_modules_path()])
    demo_auth = Auth("demo", community=Secret(router.community))
    snmp = dataclasses.replace(snmp, auths={**snmp.auths, "demo": demo_auth})
    stack = SnmpStack()
    exporters: list[Exporter] = [
        HostExporter(HostConfig()),
        SnmpExporter(SnmpTargetConfig(router.target, MODULES, auth="demo",
                                      name="snmp:hn-bd-phucxa-r1"), snmp, stack),
    ]
    try:
        if once:
            runs, families = await _poll(exporters)
            sys.stdout.buffer.write(render(families))
            return 0 if all(r.success for r in runs) else 1
        exposition = bytearray()
        try:
            runner = await _serve(exposition, port)
        except OSError as exc:
            print(f"netmon demo: cannot listen on 127.0.0.1:{port}: {exc.strerror}; "
                  "choose another port with --port", file=sys.stderr)
            return 2
        print(f"netmon demo: simulated ward router at udp://{router.target} "
              f"(community {router.community}); metrics at http://127.0.0.1:{port}/metrics; "
              "Ctrl-C stops", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        deadline = None if duration is None else loop.time() + duration
        rates = _Rates()
        try:
            while not stop.is_set():
                runs, families = await _poll(exporters)
                exposition[:] = render(families)
                print(_summary(runs, families, rates), flush=True)
                wait = interval if deadline is None else min(interval, deadline - loop.time())
                if wait <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
        finally:
            await runner.cleanup()
        return 0
    finally:
        stack.close()


def run(once: bool = False, interval: float = 5.0, duration: float | None = None,
        port: int = 9860) -> int:
    try:
        with simulated_router() as router:
            return asyncio.run(_main(router, once, interval, duration, port))
    except SimulatorError as exc:
        print(f"netmon demo: {exc}", file=sys.stderr)
        return 2
