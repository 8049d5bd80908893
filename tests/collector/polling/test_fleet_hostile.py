"""Issue 5 item 6: a hostile fleet polled by a real collector process (``python -m collector``
with ``devices:`` in its inventory): good routers on schedules of their own, a slow one that
answers each request a little before its timeout (its poll cannot finish), a dead one, four
that answer garbage (not SNMP, a cut message, a wrong request-id, another community), and a
switch with a 10,000-row ifTable.

The simulated devices are the light responder (:mod:`tests.peers.snmp_responder`) in this
test's event loop, one UDP port each; every blocking call of the test runs in a thread, so
they keep answering. The modules are netmon's own, with a request timeout of 1 s and no
retries, so that the failures come in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from collector.inventory import Device
from netmon.commands import netmon_modules_path
from tests.collector.helpers import small_inventory
from tests.collector.polling.conftest import COMMUNITY, dead_address, write_inventory
from tests.collector.process import Running, start_collector
from tests.peers.exposition import parse
from tests.peers.snmp_responder import FAULTS, Records, if_table_snmprec, serve
from tests.peers.snmp_responder import Device as SimDevice

pytestmark = pytest.mark.peers

ROWS = 10_000
#: the request timeout of the test's modules: a slow device answers a little before it
REQUEST_TIMEOUT = 1.0
SLOW_DELAY = 0.5
#: each failure, as the collector's log says it (the harness's line for the device)
EXPECTED = {
    "hn-fleet-dead": ("timeout", r"no answer from 127\.0\.0\.1:\d+ after 1 attempt\(s\) "
                                 r"of 1s(?! \()"),
    "hn-fleet-wrongid": ("timeout", r"after 1 attempt\(s\) of 1s \(\d+ answer\(s\) came from "
                                    "it meanwhile with a request-id no request was waiting"),
    "hn-fleet-garbage": ("protocol", "answered with something that is not an SNMP message"),
    "hn-fleet-malformed": ("protocol", "answered with a malformed message"),
    "hn-fleet-community": ("protocol", "answered under another community"),
    "hn-fleet-slow": ("deadline", "module=if_mib kind=deadline"),
}
FAULT_DEVICE = {"garbage": "hn-fleet-garbage", "malformed": "hn-fleet-malformed",
                "wrong_request_id": "hn-fleet-wrongid", "wrong_community": "hn-fleet-community"}


def fast_modules(path: Path) -> Path:
    """netmon's module file, ``system`` and ``if_mib`` with a 1 s request timeout and no
    retries, plus the auth of the simulated devices."""
    with netmon_modules_path().open(encoding="utf-8") as f:
        data = yaml.load(f, Loader=yaml.CSafeLoader)
    for name in ("system", "if_mib"):
        data["modules"][name].update(timeout=f"{REQUEST_TIMEOUT:g}s", retries=0)
    data["auths"] = {"fleet": {"community": COMMUNITY, "version": 2}}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    path.chmod(0o600)  # it holds a community (exporters/snmp/secret_fields.py)
    return path


@contextlib.contextmanager
def transports_closed(transports: list[asyncio.DatagramTransport]) -> Iterator[None]:
    try:
        yield
    finally:
        for transport in transports:
            transport.close()


async def get(running: Running, path: str) -> bytes:
    status, body = await asyncio.to_thread(running.get, path)
    assert status == 200, body[:500]
    return body


def by_target(text: bytes, family: str, **labels: str) -> dict[str, float]:
    """``family``'s values by target (summed over its other labels, or those ``labels``)."""
    out: dict[str, float] = {}
    for key, value in parse(text).series(family).items():
        pairs = dict(key)
        if pairs.items() >= labels.items():
            out[pairs["target"]] = out.get(pairs["target"], 0.0) + value
    return out


async def test_a_hostile_fleet_polled_by_a_collector_process(
        tmp_path: Path, ward_records: Records) -> None:
    big_records = await asyncio.to_thread(Records.from_snmprec, if_table_snmprec(ROWS))
    good = [SimDevice(ward_records.copy(), COMMUNITY.encode()) for _ in range(2)]
    slow = SimDevice(ward_records.copy(), COMMUNITY.encode(), delay=SLOW_DELAY)
    faulty = {f: SimDevice(ward_records.copy(), COMMUNITY.encode(), fault=f) for f in FAULTS}
    big = SimDevice(big_records, COMMUNITY.encode())
    transports = await serve([*good, slow, *faulty.values(), big])

    inventory = small_inventory()
    wards = [s.id for s in inventory.sites if s.kind == "ward"]
    taken = {a.id for a in inventory.agents}

    def dev(name: str, i: int, port: int | str, modules: tuple[str, ...],
            interval: float, timeout: float | None = None) -> Device:
        address = port if isinstance(port, str) else f"127.0.0.1:{port}"
        assert name not in taken
        return Device(name, wards[i % len(wards)], "ward-router", address, modules, "fleet",
                      interval=interval, timeout=timeout)

    devices = (
        dev("hn-fleet-good1", 1, good[0].port, ("system", "if_mib"), 1.0),
        dev("hn-fleet-good2", 2, good[1].port, ("system", "if_mib"), 2.0),
        dev("hn-fleet-slow", 3, slow.port, ("if_mib",), 4.0, 3.0),
        dev("hn-fleet-dead", 4, dead_address(), ("system",), 4.0, 3.0),
        *(dev(name, 5 + i, faulty[fault].port, ("system",), 4.0, 3.0)
          for i, (fault, name) in enumerate(FAULT_DEVICE.items())),
        dev("hn-fleet-big", 9, big.port, ("if_mib",), 10.0),
    )
    fleet = dataclasses.replace(inventory, devices=devices)
    inv = write_inventory(tmp_path / "inventory.yml", fleet)
    modules = fast_modules(tmp_path / "modules.yml")
    extra = (f"snmp:\n  files: [{modules}]\n  jitter: 0\n  max_varbinds: 200000\n"
             "  parallel_walks: 4\n")
    with transports_closed(transports), contextlib.ExitStack() as stack:
        running = await asyncio.to_thread(stack.enter_context,
                                          start_collector(tmp_path, inv, extra))
        started = time.monotonic()
        # the big switch's first poll (its first tick: within 10 s), then 3 s of everybody's
        # schedules, ending before its next poll (its 120,000 values are mapped and rendered
        # in worker threads, which still share the GIL with the loop)
        big_duration = None
        while time.monotonic() - started < 25:
            await asyncio.sleep(0.5)
            polls = by_target(await get(running, "/metrics"), "netmon_target_polls_total")
            if polls.get("hn-fleet-big", 0) and big_duration is None:
                big_duration = by_target(await get(running, "/metrics"),
                                         "netmon_target_poll_duration_seconds")["hn-fleet-big"]
                since_big = time.monotonic()
            if big_duration is not None and time.monotonic() - since_big > 3:
                break
        elapsed = time.monotonic() - started
        assert big_duration is not None, running.process.output()[-3000:]
        print(f"\n10,000-row ifTable: poll {big_duration:.2f} s (parallel_walks 4); "
              f"fleet watched {elapsed:.1f} s")
        text = await get(running, "/metrics")
        log = running.process.output()

        # up, and why not
        up = by_target(text, "netmon_target_up")
        assert {n for n, v in up.items() if v == 1.0} == {
            "hn-fleet-good1", "hn-fleet-good2", "hn-fleet-big"}, up
        errors: dict[str, set[str]] = {}
        for key in parse(text).series("netmon_target_errors_total"):
            labels = dict(key)
            errors.setdefault(labels["target"], set()).add(labels["kind"])
        for name, (kind, message) in EXPECTED.items():
            assert errors.get(name) == {kind}, (name, errors.get(name), [
                line for line in log.splitlines() if name in line])
            lines = [line for line in log.splitlines()
                     if f"exporter=snmp:{name} " in line and "exporter failed" in line]
            assert lines, f"no log line for {name}:\n{log[-3000:]}"
            assert re.search(message, lines[0]), (name, lines[0])

        # the good ones keep their own schedules, undelayed by the rest
        polls = by_target(text, "netmon_target_polls_total")
        durations = by_target(text, "netmon_target_poll_duration_seconds")
        delays = by_target(text, "netmon_target_poll_delay_seconds")
        ok = by_target(text, "netmon_target_polls_total", result="success")
        assert ok["hn-fleet-good1"] >= elapsed - 4 and ok["hn-fleet-good2"] >= elapsed / 2 - 3
        assert ok["hn-fleet-good1"] > 1.5 * ok["hn-fleet-good2"], ok
        assert polls["hn-fleet-dead"] <= elapsed / 4 + 2                 # every 4 s
        for name in ("hn-fleet-good1", "hn-fleet-good2"):
            assert durations[name] < 0.5 and delays[name] < 0.5, (name, durations, delays)
        assert durations["hn-fleet-slow"] >= 2.4                         # cut at 3 s - 0.5 s

        # the good routers' series, with their identity labels as an agent's have
        wan = parse(await get(running, "/scopes/wan/metrics?agent=hn-fleet-good1"))
        octets = [dict(k) for k in wan.series("ifHCInOctets")]
        assert len(octets) == 24
        want = {**fleet.identities["hn-fleet-good1"].labels(),
                "instance": f"127.0.0.1:{good[0].port}"}
        want = {k: v for k, v in want.items() if v}        # empty labels are not written
        assert want["ward"] and want["district"]
        assert all(s.items() >= want.items() for s in octets), octets[0]
        assert {"ifIndex", "ifName", "ifAlias", "ifDescr"} <= set(octets[0])
        sd = {g["labels"]["agent"]: g["labels"] for g in json.loads(await get(running, "/sd"))}
        agent_labels = next(v for k, v in sd.items() if k in taken)
        assert set(sd["hn-fleet-good1"]) == set(agent_labels)

        # the big switch: every row of every column
        body = await get(running, "/scopes/wan/metrics?agent=hn-fleet-big")
        for family in ("ifHCInOctets", "ifHCOutOctets", "ifOperStatus", "ifAdminStatus",
                       "ifSpeed", "ifHighSpeed", "ifInErrors", "ifType_info"):
            count = len(re.findall(rb"^" + family.encode() + rb"\{", body, re.MULTILINE))
            assert count == ROWS, (family, count)
        assert re.search(rb'^ifHCInOctets\{[^}]*ifIndex="9999"[^}]*ifName="Gi0/9999"', body,
                         re.MULTILINE)
        assert by_target(text, "netmon_target_pdus_returned")["hn-fleet-big"] >= 12 * ROWS
