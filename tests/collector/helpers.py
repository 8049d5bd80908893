"""Building reports and inventories for the collector's tests."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from prometheus_client import Metric

from collector.inventory import Inventory, hash_token
from collector.inventory_hanoi import build_hanoi, default_wards_path, parse_wards, read_wards
from netmon import wire

#: In tests every agent's token is derived from its id.
AGENT = "hn-badinh-phucxa-r1"      # ward 00001, Phường Phúc Xá, Quận Ba Đình
OTHER = "hn-hoankiem-phuctan-r1"   # ward 00037, Phường Phúc Tân, Quận Hoàn Kiếm
DC_HOST = "hn-dc-primary-host1"
BACKUP_HOST = "hn-dc-backup-host1"


def token(agent_id: str) -> str:
    return f"test-token-{agent_id}"


def small_inventory(sites: int = 12, dc_hosts: int = 1) -> Inventory:
    wards = parse_wards(read_wards(default_wards_path()))
    return build_hanoi(wards, lambda a: (hash_token(token(a)),), sites=sites,
                       dc_hosts=dc_hosts)


def family(name: str, typ: str, samples: Sequence[tuple[dict[str, str], float]],
           help_text: str = "", sample_name: str | None = None) -> Metric:
    metric = Metric(name, help_text or f"{name} help", typ)
    for labels, value in samples:
        metric.add_sample(sample_name or name, labels, value)
    return metric


def router_families(octets: float = 1000.0) -> list[Metric]:
    interfaces = [("1", "eth0"), ("2", "eth1")]
    return [
        family("ifHCInOctets", "counter",
               [({"ifIndex": i, "ifName": n}, octets + int(i)) for i, n in interfaces],
               "The total number of octets received on the interface"),
        family("ifOperStatus", "gauge",
               [({"ifIndex": i, "ifName": n}, 1) for i, n in interfaces]),
        family("sysLocation", "gauge",
               [({"sysLocation": "Phường Phúc Xá, Quận Ba Đình, Hà Nội"}, 1)]),
    ]


@dataclass
class Pusher:
    """Builds successive reports for one agent."""

    seq: int = 0
    exporter: str = "snmp:router"
    interval: float = 15.0
    ts: float = field(default_factory=time.time)

    def body(self, families: Sequence[Metric] | None = None, seq: int | None = None,
             exporter: str | None = None, interval: float | None = None,
             ts: float | None = None, sent: float | None = None) -> bytes:
        """A report of one batch; ``sent`` (when the agent made the report) defaults to the
        batch's ``ts``: collected in no time."""
        if seq is None:
            self.seq += 1
            seq = self.seq
        self.ts = ts if ts is not None else self.ts + 1
        batch = wire.batch(exporter or self.exporter, self.ts, interval or self.interval,
                           list(families if families is not None else router_families()))
        return wire.encode_report(wire.Report(seq, self.ts if sent is None else sent, (batch,)))


def headers(agent_id: str | None, content_type: str = wire.CONTENT_TYPE,
            encoding: str | None = "gzip") -> dict[str, str]:
    out = {"Content-Type": content_type}
    if agent_id is not None:
        out["Authorization"] = f"Bearer {token(agent_id)}"
    if encoding is not None:
        out["Content-Encoding"] = encoding
    return out


def parse_metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """An exposition as ``{(name, sorted label pairs): value}``."""
    from tests.peers.exposition import parse
    return {(name, tuple(sorted(labels))): value
            for (name, labels), value in parse(text).values.items()}
