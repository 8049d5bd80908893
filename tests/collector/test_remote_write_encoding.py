"""remote_write's hand-written protobuf, and the series a batch becomes: golden bytes, a
property test through an independent decoder, and the same series a scrape gives."""

from __future__ import annotations

import math
import struct

import cramjam
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import Metric

from collector.inventory import IDENTITY_LABELS
from collector.lines import IdentityLabels, render_batch
from collector.remote_write.forwarder import compress
from collector.remote_write.protobuf import (
    label_field,
    sample_field,
    sample_fields,
    timeseries_field,
    varint,
)
from collector.remote_write.series import LabelCache, encode_batches, series_of
from netmon import wire
from tests.collector.helpers import AGENT, family, router_families, small_inventory
from tests.collector.remote_write_decode import decode_body, decode_write_request
from tests.peers.exposition import parse

IDENTITY = small_inventory().identities[AGENT]
REPLICA = {"dc_replica": "primary"}


def test_golden_bytes() -> None:
    labels = label_field("__name__", "up") + label_field("job", "a")
    body = timeseries_field(labels, sample_field(1.0, 1000))
    assert body.hex() == (
        "0a28"                                      # WriteRequest.timeseries, 40 bytes
        "0a0e" "0a08" + b"__name__".hex() + "1202" + b"up".hex()     # Label
        + "0a08" "0a03" + b"job".hex() + "1201" + b"a".hex()         # Label
        + "120c" "09" + "000000000000f03f" + "10" "e807")            # Sample 1.0 @ 1000


def test_varints() -> None:
    assert varint(0) == b"\x00" and varint(127) == b"\x7f"
    assert varint(128) == b"\x80\x01" and varint(300) == b"\xac\x02"
    assert varint(2**63 - 1) == b"\xff" * 8 + b"\x7f"
    assert varint(-1) == b"\xff" * 9 + b"\x01"      # int64 -1: ten bytes


_label_names = st.builds(lambda head, tail: head + tail,
                        st.sampled_from("abcxyzABCXYZ_"),
                        st.text("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789_", max_size=20))
_series = st.tuples(
    st.dictionaries(_label_names, st.text(min_size=1, max_size=40), min_size=1, max_size=8),
    st.lists(st.tuples(st.floats(allow_nan=True, allow_infinity=True),
                       st.integers(-(2**63), 2**63 - 1)), min_size=1, max_size=4))


@settings(max_examples=150, deadline=None)
@given(st.lists(_series, max_size=6))
def test_encoding_round_trips_through_an_independent_decoder(
        series: list[tuple[dict[str, str], list[tuple[float, int]]]]) -> None:
    body = b"".join(
        timeseries_field(b"".join(label_field(k, v) for k, v in sorted(labels.items())),
                         b"".join(sample_field(value, ts) for value, ts in samples))
        for labels, samples in series)
    decoded = decode_write_request(body)
    assert len(decoded) == len(series)
    for got, (labels, samples) in zip(decoded, series, strict=True):
        assert got.labels == tuple(sorted(labels.items()))
        assert [(struct.pack("<d", v), ts) for v, ts in got.samples] == \
            [(struct.pack("<d", v), ts) for v, ts in samples]   # bit for bit: NaN, -0.0
    assert bytes(cramjam.snappy.decompress_raw(compress(body))) == body


def _batch(families: list[Metric], ts: float = 1_795_000_000.123) -> wire.Batch:
    """As the collector sees it: encoded and decoded by the wire format."""
    report = wire.Report(1, ts, (wire.batch("snmp:router", ts, 15.0, families),))
    return wire.decode_report(wire.encode_report(report)).batches[0]


def test_series_carry_identity_replica_and_the_original_timestamp() -> None:
    batch = _batch(router_families())
    series = decode_write_request(b"".join(series_of(batch, IDENTITY.labels(), REPLICA)))
    assert len(series) == 5
    for s in series:
        names = [k for k, _ in s.labels]
        assert names == sorted(names) and len(set(names)) == len(names)
        labels = s.label_dict
        assert labels["agent"] == AGENT and labels["ward"] == "Phường Phúc Xá"
        assert labels["district"] == "Quận Ba Đình" and labels["dc_replica"] == "primary"
        assert "dc" not in labels                    # empty for a ward: not written
        assert s.samples[0][1] == 1_795_000_000_123   # ms, as collected
    octets = {s.label_dict["ifName"]: s.samples[0][0] for s in series
              if s.label_dict["__name__"] == "ifHCInOctets"}
    assert octets == {"eth0": 1001.0, "eth1": 1002.0}


def test_the_same_series_as_a_scrape_of_the_scopes() -> None:
    """Names and label sets equal those of the exposition the scopes serve: a counter's
    _total, a histogram's _bucket/_sum/_count, exported_ identity labels, empty values."""
    histogram = Metric("push_seconds", "Push latency.", "histogram")
    for le, count in (("0.1", 1), ("1", 3), ("+Inf", 4)):
        histogram.add_sample("push_seconds_bucket", {"le": le, "agent": "x"}, count)
    histogram.add_sample("push_seconds_sum", {"agent": "x"}, 2.5)
    histogram.add_sample("push_seconds_count", {"agent": "x"}, 4)
    counter = Metric("requests", "Requests.", "counter")
    counter.add_sample("requests_total", {"code": "200", "path": ""}, 7)
    repeated = family("temp", "gauge", [({"sensor": "a"}, 1), ({"sensor": "a"}, 2)])
    batch = _batch([histogram, counter, repeated, *router_families()])
    exposition = parse(b"".join(
        f.head() + f.lines for f in render_batch(batch, IdentityLabels.of(IDENTITY)).families))
    series = decode_write_request(b"".join(series_of(batch, IDENTITY.labels(), {})))
    got = {(s.label_dict["__name__"], frozenset((k, v) for k, v in s.labels if k != "__name__")):
           s.samples[0][0] for s in series}
    assert got == exposition.values
    assert ("temp", frozenset({("sensor", "a"), *_identity_pairs()})) in got
    assert got[("temp", frozenset({("sensor", "a"), *_identity_pairs()}))] == 1.0


def _identity_pairs() -> set[tuple[str, str]]:
    return {(k, v) for k, v in IDENTITY.labels().items() if v}


def test_a_series_label_wins_over_a_constant_label() -> None:
    """Prometheus's rule for external_labels; identity labels are never overridden (a report's
    own `agent` label became exported_agent)."""
    batch = _batch([family("x", "gauge", [({"dc_replica": "mine", "agent": "fake"}, 1)])])
    (series,) = decode_write_request(b"".join(series_of(
        batch, IDENTITY.labels(), {"dc_replica": "primary", "job": "netmon"})))
    labels = series.label_dict
    assert labels["dc_replica"] == "mine" and labels["job"] == "netmon"
    assert labels["agent"] == AGENT and labels["exported_agent"] == "fake"
    assert set(IDENTITY_LABELS) - {"dc"} <= set(labels)


def test_fragments_hold_at_most_max_samples_and_concatenate() -> None:
    batches = [_batch(router_families(), ts=100.0), _batch(router_families(5), ts=200.0)]
    fragments = encode_batches(batches, IDENTITY.labels(), REPLICA, max_samples=3)
    assert [f.samples for f in fragments] == [3, 3, 3, 1]
    assert (fragments[0].oldest_ts, fragments[1].oldest_ts, fragments[1].newest_ts) == \
        (100.0, 100.0, 200.0)
    series = decode_write_request(b"".join(f.body for f in fragments))
    assert [s.samples[0][1] for s in series] == [100_000] * 5 + [200_000] * 5
    one = decode_body(compress(fragments[0].body))
    assert len(one) == 3


def test_special_values() -> None:
    batch = _batch([family("v", "gauge", [({"k": "nan"}, math.nan), ({"k": "inf"}, math.inf),
                                          ({"k": "neg"}, -math.inf)])])
    values = {s.label_dict["k"]: s.samples[0][0]
              for s in decode_write_request(b"".join(series_of(batch, {}, {})))}
    assert math.isnan(values["nan"]) and values["inf"] == math.inf
    assert values["neg"] == -math.inf


@given(st.floats(), st.integers(-(2**63), 2**63 - 1))
def test_sample_fields_build_the_same_bytes(value: float, ts: int) -> None:
    head, tail = sample_fields(ts)
    assert head + struct.pack("<d", value) + tail == sample_field(value, ts)


def test_the_label_cache_changes_no_byte() -> None:
    """Reports of one agent encoded with the cache give the same bytes as without it: the
    same series again, then some new ones (an interface added), then values only."""
    cache = LabelCache()
    first = [router_families(octets=1000)]
    grown = [[*router_families(octets=2000),
              family("ifHCInOctets", "counter", [({"ifIndex": "9", "ifName": "eth9"}, 7.0)])]]
    for number, families in enumerate((first, first, grown, grown, first), start=1):
        batch = wire.batch("snmp:router", 1_795_000_000.0 + number, 60.0, families[0])
        expected = b"".join(series_of(batch, IDENTITY.labels(), REPLICA))
        assert b"".join(series_of(batch, IDENTITY.labels(), REPLICA, cache)) == expected
    other = small_inventory().identities["hn-hoankiem-phuctan-r1"]
    batch = wire.batch("snmp:router", 1_795_000_100.0, 60.0, router_families())
    assert b"".join(series_of(batch, other.labels(), REPLICA, cache)) == b"".join(
        series_of(batch, other.labels(), REPLICA))
    assert cache.size > 0
    small = LabelCache(max_series=3)
    for _ in range(3):
        assert b"".join(series_of(batch, IDENTITY.labels(), REPLICA, small)) == b"".join(
            series_of(batch, IDENTITY.labels(), REPLICA))
