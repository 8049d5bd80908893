"""The wire format: what the agent encodes, the collector decodes; anything else is refused
with the field that is wrong."""

from __future__ import annotations

import gzip
import json
import math

import pytest
from prometheus_client import Metric

from netmon import wire


def _family() -> Metric:
    family = Metric("ifHCInOctets", "Octets in.", "counter")
    family.add_sample("ifHCInOctets", {"ifName": "eth1", "ifAlias": "WAN chính - DC 185 Giảng Võ"},
                      3.4540151657e10)
    family.add_sample("ifHCInOctets", {"ifName": "lo"}, math.inf)
    return family


def _body(doc: object) -> bytes:
    return gzip.compress(json.dumps(doc).encode())


def _valid() -> dict:
    return {"v": 1, "seq": 7, "sent": 1.5, "batches": [
        {"exporter": "snmp:r1", "ts": 1.0, "interval": 15, "families": [
            {"name": "up", "type": "gauge", "help": "h", "labels": ["a"],
             "samples": [[1, "x"]]}]}]}


def test_round_trip_keeps_names_values_and_unicode() -> None:
    report = wire.Report(42, 1795779005.0, (wire.batch("snmp:r1", 1795779004.5, 15.0,
                                                       [_family()]),))
    decoded = wire.decode_report(wire.encode_report(report))
    assert decoded.seq == 42
    (batch,) = decoded.batches
    assert (batch.exporter, batch.ts, batch.interval) == ("snmp:r1", 1795779004.5, 15.0)
    (family,) = batch.families
    assert (family.name, family.type, family.help) == ("ifHCInOctets", "counter", "Octets in.")
    assert family.labels == ("ifAlias", "ifName")
    assert family.rows == [[3.4540151657e10, "WAN chính - DC 185 Giảng Võ", "eth1"],
                           [math.inf, "", "lo"]]
    assert decoded.sample_count() == 2


def test_histogram_sample_names_travel() -> None:
    family = Metric("probe_rtt_seconds", "RTT.", "histogram")
    family.add_sample("probe_rtt_seconds_bucket", {"le": "0.1"}, 3)
    family.add_sample("probe_rtt_seconds_count", {}, 3)
    decoded = wire.decode_report(wire.encode_report(
        wire.Report(1, 0.0, (wire.batch("probe", 0.0, 1.0, [family]),))))
    assert decoded.batches[0].families[0].names == ("probe_rtt_seconds_bucket",
                                                    "probe_rtt_seconds_count")


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.update(v=2), "v: unsupported version 2"),
    (lambda d: d.update(seq=-1), "seq: must be a non-negative integer"),
    (lambda d: d.update(extra=1), "report: unknown field(s) ['extra']"),
    (lambda d: d["batches"][0].update(interval=0), "batches[0].interval: must be positive"),
    (lambda d: d["batches"][0]["families"][0].update(name="if-name"),
     "batches[0].families[0].name: 'if-name' is not a valid metric name"),
    (lambda d: d["batches"][0]["families"][0].update(labels=["__name__"]),
     "batches[0].families[0].labels[0]: '__name__' is not a valid label name"),
    (lambda d: d["batches"][0]["families"][0].update(samples=[[1]]),
     "batches[0].families[0].samples[0]: must be a list of the value and 1 label value(s)"),
    (lambda d: d["batches"][0]["families"][0].update(samples=[["1", "x"]]),
     "batches[0].families[0].samples[0][0]: '1' is not a number"),
    (lambda d: d["batches"][0]["families"][0].update(samples=[[1, 2]]),
     "batches[0].families[0].samples[0][1]: label value must be a string"),
    (lambda d: d["batches"][0]["families"][0].update(type="bogus"),
     "batches[0].families[0].type: 'bogus' is not one of"),
    (lambda d: d["batches"][0]["families"].append(d["batches"][0]["families"][0]),
     "batches[0].families[1].name: 'up' appears twice in one batch"),
])
def test_each_mistake_is_named(mutate: object, message: str) -> None:
    doc = _valid()
    mutate(doc)  # type: ignore[operator]
    with pytest.raises(wire.ReportError) as info:
        wire.decode_report(_body(doc))
    assert message in str(info.value)


def test_not_gzip_truncated_and_trailing_bytes() -> None:
    body = _body(_valid())
    with pytest.raises(wire.ReportError, match="not valid gzip"):
        wire.decode_report(b"{not gzip}")
    with pytest.raises(wire.ReportError, match="truncated"):
        wire.decode_report(body[:-10])
    with pytest.raises(wire.ReportError, match="after the end"):
        wire.decode_report(body + gzip.compress(b"x"))


def test_gzip_bomb_stops_at_the_ratio() -> None:
    bomb = gzip.compress(b" " * 50_000_000)
    with pytest.raises(wire.ReportError, match="inflates past"):
        wire.decode_report(bomb)


def test_sample_limit_counts_the_whole_report() -> None:
    doc = _valid()
    first = doc["batches"][0]["families"][0]
    first["samples"] = [[1, "x"]] * 30
    doc["batches"][0]["families"].append({**first, "name": "up2"})
    with pytest.raises(wire.ReportError, match="the report has more than 50 samples"):
        wire.decode_report(_body(doc), wire.Limits(max_samples=50))
