"""CPU cost of polling one 24-interface router's ``if_mib``: netmon next to snmp_exporter.

    python bench/snmp_walk.py [--polls 100] [--rounds 3] [--pysnmp-polls 10]

One simulated router (snmpsim serving ``netmon/demo/data/ward-router.snmprec``, the real
vyatta walk with 24 interfaces) is polled ``--polls`` times with ``if_mib`` from
snmp_exporter's own 0.21 module file:

* by netmon, in this process: scrape, map, render the exposition; CPU from
  ``time.process_time()`` (this process does nothing else meanwhile);
* by Debian's snmp_exporter 0.21, through its ``/snmp`` endpoint; CPU read from
  ``/proc/<pid>/stat`` (utime + stime) before and after, so it includes its HTTP serving,
  which netmon's figure does not;
* by pysnmp's high-level asyncio API (``bulk_walk_cmd``, ``lookupMib=False``), the road not
  taken, for ``--pysnmp-polls`` polls, scaled to ``--polls``.

snmpsim's own CPU (the simulated router) is excluded from every figure, but snmpsim shares the
machine's two cores with the poller being measured, which makes single runs vary by about 10 %:
the two pollers are measured in alternating rounds and the median of each is reported, with
the ratio of the medians and the projection to a sweep of 579 routers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exporters.exposition import render  # noqa: E402
from exporters.snmp.client import SnmpStack, Target  # noqa: E402
from exporters.snmp.config_load import load_snmp_config  # noqa: E402
from exporters.snmp.mapping import CompiledModule, map_pdus, pdus_by_oid  # noqa: E402
from exporters.snmp.scrape import scrape_module  # noqa: E402
from tests.peers.data import SNMP_YML_021  # noqa: E402
from tests.peers.process import free_tcp_port, running, tcp_ready  # noqa: E402
from tests.peers.snmp import snmpsim_agent  # noqa: E402

PEER_021 = SNMP_YML_021
FLEET = 579
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def legacy_config(community: str, workdir: Path) -> Path:
    """snmp_exporter 0.21's own if_mib module, with the simulator's community."""
    text = PEER_021.read_text()
    start = text.index("\nif_mib:\n")
    end = text.index("\ninfrapower_pdu:\n")
    module = text[start + 1:end + 1]
    path = workdir / "snmp.yml"
    path.write_text(module + f"  auth:\n    community: {community}\n")
    path.chmod(0o600)  # it holds a community: netmon refuses it if others can read it
    return path


async def netmon_polls(target: str, config_path: Path, polls: int) -> tuple[float, int]:
    config = load_snmp_config([config_path])
    module = config.modules["if_mib"]
    auth = module.auth or config.auths["public_v2"]
    compiled = CompiledModule.build(module)
    stack = SnmpStack()
    values = 0
    try:
        start = time.process_time()
        for _ in range(polls):
            session = await stack.session(Target.parse(target), auth, module.walk_params)
            result = await scrape_module(session, module)
            render(map_pdus(compiled, pdus_by_oid(result.varbinds)))
            values = len(result.varbinds)
        return time.process_time() - start, values
    finally:
        stack.close()


async def pysnmp_polls(host: str, port: int, community: str, polls: int) -> float:
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        bulk_walk_cmd,
        get_cmd,
    )
    engine = SnmpEngine()
    target = await UdpTransportTarget.create((host, port), timeout=5, retries=3)
    auth = CommunityData(community)
    start = time.process_time()
    for _ in range(polls):
        await get_cmd(engine, auth, target, ContextData(),
                      ObjectType(ObjectIdentity("1.3.6.1.2.1.1.3.0")), lookupMib=False)
        for root in ("1.3.6.1.2.1.2", "1.3.6.1.2.1.31.1.1"):
            async for _err, _status, _index, _binds in bulk_walk_cmd(
                    engine, auth, target, ContextData(), 0, 25,
                    ObjectType(ObjectIdentity(root)), lookupMib=False, lexicographicMode=False):
                pass
    used = time.process_time() - start
    engine.close_dispatcher()
    return used


def snmp_exporter_polls(config: Path, target: str, polls: int) -> tuple[float, int]:
    port = free_tcp_port()
    argv = ["prometheus-snmp-exporter", f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{port}"]
    url = f"http://127.0.0.1:{port}/snmp?module=if_mib&target={target}"
    with running(argv, "snmp_exporter", tcp_ready(port)) as peer:
        with urllib.request.urlopen(url, timeout=60) as response:  # warm-up
            body = response.read().decode()
        before = proc_cpu_seconds(peer.pid)
        for _ in range(polls):
            with urllib.request.urlopen(url, timeout=60) as response:
                response.read()
        used = proc_cpu_seconds(peer.pid) - before
    pdus = next(int(float(line.split()[-1])) for line in body.splitlines()
                if line.startswith("snmp_scrape_pdus_returned"))
    return used, pdus


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pysnmp-polls", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="netmon-bench-") as tmp, snmpsim_agent() as agent:
        target = f"127.0.0.1:{agent.port}"
        config = legacy_config(agent.community, Path(tmp))
        asyncio.run(netmon_polls(target, config, 1))  # warm-up: OID cache, imports
        netmon_rounds: list[float] = []
        exporter_rounds: list[float] = []
        for _ in range(args.rounds):
            cpu, values = asyncio.run(netmon_polls(target, config, args.polls))
            netmon_rounds.append(cpu)
            cpu, exporter_values = snmp_exporter_polls(config, target, args.polls)
            exporter_rounds.append(cpu)
        pysnmp_cpu = 0.0
        if args.pysnmp_polls:
            pysnmp_cpu = asyncio.run(pysnmp_polls(agent.host, agent.port, agent.community,
                                                  args.pysnmp_polls))
            pysnmp_cpu *= args.polls / args.pysnmp_polls
    netmon_cpu = statistics.median(netmon_rounds)
    exporter_cpu = statistics.median(exporter_rounds)
    per_value = 1e6 / (args.polls * values)
    print(f"if_mib poll of one router: {values} values (snmp_exporter read {exporter_values}), "
          f"{args.polls} polls per round, {args.rounds} rounds, medians:")
    print(f"  netmon (BER fast path + mapping + exposition): {netmon_cpu:8.3f} CPU-s "
          f"({netmon_cpu * per_value:5.1f} us/value)  rounds: "
          + " ".join(f"{c:.3f}" for c in netmon_rounds))
    print(f"  snmp_exporter 0.21 (/snmp over HTTP):          {exporter_cpu:8.3f} CPU-s "
          f"({exporter_cpu * per_value:5.1f} us/value)  rounds: "
          + " ".join(f"{c:.3f}" for c in exporter_rounds))
    if pysnmp_cpu:
        print(f"  pysnmp hlapi bulk_walk_cmd, walk only (scaled): {pysnmp_cpu:8.3f} CPU-s "
              f"({pysnmp_cpu * per_value:5.1f} us/value)")
    print(f"  ratio netmon / snmp_exporter: {netmon_cpu / exporter_cpu:.2f}")
    scale = FLEET / args.polls
    print(f"  projected sweep of {FLEET} routers: netmon {netmon_cpu * scale:.1f} CPU-s, "
          f"snmp_exporter {exporter_cpu * scale:.1f} CPU-s"
          + (f", pysnmp hlapi {pysnmp_cpu * scale:.1f} CPU-s" if pysnmp_cpu else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
