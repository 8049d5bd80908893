"""Write the seed corpus of every target (``fuzz/corpus/<target>/``) from real inputs.

    python -m fuzz.make_corpus            # needs net-snmp's snmpd and snmptrap (.ci/setup)

The seeds are what each input really looks like, so the fuzzer starts deep in the code
instead of rediscovering JSON or BER:

* ``wire``: reports made by the agent's encoder (:func:`netmon.wire.encode_report`) from the
  CLI exporter's golden ward-router exposition, gzipped (as pushed) and inflated;
* ``config``: ``collector/examples/collector.yml``, ``agent/agent.example.yml`` and an
  inventory written by netmon's own writer (12 wards, with polled devices);
* ``snmp_yml``: one module at a time from ``exporters/snmp/modules/netmon.yml`` and from
  snmp_exporter's own ``snmp.yml`` in both layouts (``/work/shared/peers``, or
  ``tests/peers/data``);
* ``snmp_response``: answers of a real net-snmp ``snmpd`` on loopback (GET, GETNEXT, GETBULK),
  captured off the socket;
* ``traps``: datagrams net-snmp's ``snmptrap``/``snmpinform`` send (v1 and v2c), captured;
* ``cli``: the captured ``show`` outputs of the CLI tests (``tests/exporters/cli/data``), each
  behind the byte that selects its command in the harness.

Inputs a fuzzer found and that were fixed live beside them as ``regress-*`` files, written by
hand; this script leaves them alone. Every seed is a file named after what it is.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

from fuzz._harness import REPO

CORPUS = REPO / "fuzz" / "corpus"
MAX_SEED = 64 * 1024


def _write(target: str, name: str, data: bytes) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data[:MAX_SEED])


def wire() -> None:
    from prometheus_client import Metric
    from prometheus_client.parser import text_string_to_metric_families

    from netmon.wire import Report, batch, encode_report

    text = (REPO / "tests" / "exporters" / "cli" / "data" / "ward-router.prom").read_text()
    families = list(text_string_to_metric_families(text))
    histogram = Metric("netmon_exporter_duration_seconds", "How long an exporter ran",
                       "histogram")
    for le, count in (("0.1", 3.0), ("1.0", 5.0), ("+Inf", 6.0)):
        histogram.add_sample("netmon_exporter_duration_seconds_bucket",
                             {"exporter": "host", "le": le}, count)
    histogram.add_sample("netmon_exporter_duration_seconds_sum", {"exporter": "host"}, 2.5)
    histogram.add_sample("netmon_exporter_duration_seconds_count", {"exporter": "host"}, 6.0)
    nan = Metric("node_hwmon_temp_celsius", "Hardware monitor temperature", "gauge")
    nan.add_sample("node_hwmon_temp_celsius", {"chip": "0", "agent": "spoof"}, float("nan"))
    nan.add_sample("node_hwmon_temp_celsius", {"chip": "1", "agent": "spoof"}, float("inf"))
    reports = {
        "ward-router": Report(42, 1795779005.12, (
            batch("cli:hn-bd-phucxa-r1", 1795779004.9, 60.0, families[:8]),)),
        "host-histogram": Report(7, 1795779005.5, (
            batch("host", 1795779005.0, 15.0, [histogram, nan]),)),
        "empty": Report(0, 1795779000.0),
    }
    for name, report in reports.items():
        body = encode_report(report)
        _write("wire", f"{name}.json.gz", body)
        _write("wire", f"{name}.json", gzip.decompress(body))


def config() -> None:
    sys.path.insert(0, str(REPO))
    from collector.inventory_write import dump_inventory
    from tests.collector.helpers import small_inventory

    _write("config", "collector.yml", (REPO / "collector/examples/collector.yml").read_bytes())
    _write("config", "agent.yml", (REPO / "agent/agent.example.yml").read_bytes())
    inventory = dump_inventory(small_inventory(sites=6))
    devices = ("devices:\n  - {name: hn-dc-primary-sw1, site: dc-primary, role: dc-switch, "
               'address: "10.10.0.2", modules: [system, if_mib], auth: dc_v3, interval: 30s, '
               "timeout: 20, retries: 1, pollers: [primary]}\n")
    _write("config", "inventory.yml", inventory.encode())
    if "devices:" not in inventory and "dc-primary" in inventory:
        _write("config", "inventory-devices.yml", (inventory + devices).encode())


def _modules(path: Path, names: tuple[str, ...]) -> Iterator[tuple[str, bytes]]:
    doc = yaml.safe_load(path.read_text())
    legacy = "modules" not in doc
    modules = doc if legacy else doc["modules"]
    for name in names:
        if name not in modules:
            continue
        module = dict(modules[name])
        if isinstance(module.get("metrics"), list):  # an excerpt: its first few metrics
            module["metrics"] = module["metrics"][:4]
        one = {name: module}
        if not legacy:
            auths = dict(list(doc.get("auths", {}).items())[:2])
            one = {"auths": auths, "modules": one}
        yield name, yaml.safe_dump(one, sort_keys=False, allow_unicode=True).encode()


def snmp_yml() -> None:
    peers = Path("/work/shared/peers")
    if not peers.is_dir():
        peers = REPO / "tests" / "peers" / "data"
    sources = [(REPO / "exporters/snmp/modules/netmon.yml", "netmon"),
               (peers / "snmp_exporter-0.30.snmp.yml", "snmp_exporter-0.30"),
               (peers / "snmp_exporter-0.21.0.snmp.yml", "snmp_exporter-0.21-legacy")]
    for old in (CORPUS / "snmp_yml").glob("*.yml"):
        old.unlink()
    for path, label in sources:
        for name, data in _modules(path, ("system", "if_mib", "cisco_wlc", "synology",
                                          "ddwrt", "apcups", "printer_mib")):
            _write("snmp_yml", f"{label}-{name}.yml", data)


@contextlib.contextmanager
def _udp_sink() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5.0)
    try:
        yield sock
    finally:
        sock.close()


def snmp_response() -> None:
    from exporters.snmp import ber
    from exporters.snmp.values import Oid
    from tests.peers.snmp import snmpd_agent

    if_table = (1, 3, 6, 1, 2, 1, 2, 2, 1)
    requests: dict[str, tuple[int, list[Oid], int]] = {
        "get-sysdescr-sysuptime": (ber.GET_REQUEST, [(1, 3, 6, 1, 2, 1, 1, 1, 0),
                                                    (1, 3, 6, 1, 2, 1, 1, 3, 0)], 0),
        "get-nosuchobject": (ber.GET_REQUEST, [(1, 3, 6, 1, 4, 1, 99999, 1, 0)], 0),
        "getnext-system": (ber.GET_NEXT_REQUEST, [(1, 3, 6, 1, 2, 1, 1)], 0),
        "getbulk-iftable": (ber.GET_BULK_REQUEST, [if_table], 25),
        "getbulk-system": (ber.GET_BULK_REQUEST, [(1, 3, 6, 1, 2, 1, 1)], 10),
        "getbulk-ip": (ber.GET_BULK_REQUEST, [(1, 3, 6, 1, 2, 1, 4, 20)], 10),
        "getbulk-end-of-mib": (ber.GET_BULK_REQUEST, [(1, 3, 6, 1, 6, 3, 16, 1, 5, 2)], 40),
    }
    with snmpd_agent() as agent, _udp_sink() as sock:
        for name, (pdu, oids, reps) in requests.items():
            sock.sendto(ber.encode_request(ber.VERSION_2C, agent.community.encode(), pdu,
                                           4242, oids, 0, reps), (agent.host, agent.port))
            answer, _ = sock.recvfrom(65535)
            _write("snmp_response", f"snmpd-{name}.ber", answer)


def traps() -> None:
    sends = {
        "v2c-linkdown": ["snmptrap", "-v", "2c", "-c", "public", "{to}", "12345",
                         "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.2", "i", "2",
                         "1.3.6.1.2.1.2.2.1.7.2", "i", "1", "1.3.6.1.2.1.2.2.1.8.2", "i", "2",
                         "1.3.6.1.2.1.31.1.1.1.1.2", "s", "Gi0/0/1"],
        "v2c-enterprise": ["snmptrap", "-v", "2c", "-c", "public", "{to}", "",
                           "1.3.6.1.4.1.9.9.41.2.0.1", "1.3.6.1.4.1.9.9.41.1.2.3.1.5.1", "s",
                           "%LINEPROTO-5-UPDOWN: Line protocol down",
                           "1.3.6.1.4.1.9.9.41.1.2.3.1.6.1", "t", "123456",
                           "1.3.6.1.2.1.4.20.1.1.10.0.0.1", "a", "10.0.0.1",
                           "1.3.6.1.4.1.2021.11.9.0", "u", "4294967295",
                           "1.3.6.1.2.1.31.1.1.1.6.1", "C", "18446744073709551615"],
        "v1-linkup": ["snmptrap", "-v", "1", "-c", "public", "{to}", "1.3.6.1.4.1.8072.3.2.10",
                      "10.0.0.7", "3", "0", "4242", "1.3.6.1.2.1.2.2.1.1.3", "i", "3"],
        "v1-enterprise-specific": ["snmptrap", "-v", "1", "-c", "public", "{to}",
                                   "1.3.6.1.4.1.9.9.43", "10.0.0.7", "6", "1", "",
                                   "1.3.6.1.4.1.9.9.43.1.1.6.1.5.1", "i", "1"],
        "v2c-inform-coldstart": ["snmpinform", "-v", "2c", "-c", "public", "-t", "0.2", "-r",
                                 "0", "{to}", "", "1.3.6.1.6.3.1.1.5.1"],
    }
    env = {"MIBS": "", "PATH": "/usr/bin:/bin"}
    with _udp_sink() as sock:
        to = f"udp:127.0.0.1:{sock.getsockname()[1]}"
        for name, argv in sends.items():
            cmd = [to if a == "{to}" else a for a in argv]
            subprocess.run(cmd, env=env, capture_output=True, timeout=10, check=False)
            data, _ = sock.recvfrom(65535)
            _write("traps", f"netsnmp-{name}.ber", data)


def cli() -> None:
    sys.path.insert(0, str(REPO))
    from exporters.cli.mapping_load import default_mapping_path, load_mapping
    from tests.exporters.cli.fakenos_peer import DATA

    path = default_mapping_path("cisco_ios")
    assert path is not None
    commands = load_mapping(path).commands
    files = {"show_interfaces.txt": "show interfaces",
             "show_ip_sla_statistics.txt": "show ip sla statistics",
             "show_ip_sla_statistics_refused.txt": "show ip sla statistics",
             "show_ip_bgp_summary.txt": "show ip bgp summary",
             "show_ip_bgp_summary_not_active.txt": "show ip bgp summary",
             "show_interface_transceiver.txt": "show interface transceiver",
             "show_interface_transceiver_drift.txt": "show interface transceiver",
             "show_environment_temperature.txt": "show environment temperature",
             "show_environment_power_all.txt": "show environment power all",
             "running_config_v1.txt": "show running-config"}
    for name, command in files.items():
        body = (DATA / name).read_bytes()
        _write("cli", name.replace(".txt", ".out"),
               bytes((commands.index(command),)) + body)


def main() -> None:
    sys.path.insert(0, str(REPO))
    for make in (wire, config, snmp_yml, snmp_response, traps, cli):
        make()
        print(f"{make.__name__}: {len(list((CORPUS / make.__name__).iterdir()))} seed(s)")


if __name__ == "__main__":
    main()
