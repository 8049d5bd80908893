"""The mapping rules of snmp_exporter's collector.go, one literal case at a time."""

from __future__ import annotations

import re

from exporters.exposition import render
from exporters.snmp.config import Index, Lookup, MetricSpec, Module, RegexExtract
from exporters.snmp.mapping import CompiledModule, MappingReport, map_pdus
from exporters.snmp.values import (
    COUNTER64,
    GAUGE32,
    INTEGER,
    IP_ADDRESS,
    OCTET_STRING,
    TIMETICKS,
)
from tests.peers.exposition import parse

IF_INDEX = (Index("ifIndex", "gauge"),)
IF_DESCR = (Lookup(("ifIndex",), "ifDescr", "1.3.6.1.2.1.2.2.1.2", "DisplayString"),)


def _map(metrics: list[MetricSpec], pdus: dict, report: MappingReport | None = None) -> dict:
    compiled = CompiledModule.build(Module("m", metrics=tuple(metrics)))
    return parse(render(map_pdus(compiled, pdus, report))).values


def key(metric: str, /, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return metric, frozenset(labels.items())


def test_counter_with_index_and_lookup() -> None:
    metric = MetricSpec("ifInOctets", "1.3.6.1.2.1.2.2.1.10", "counter", "In.",
                        IF_INDEX, IF_DESCR)
    pdus = {(1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 3): (0x41, 1234),
            (1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 3): (OCTET_STRING, b"eth0"),
            (1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 4): (0x41, 5)}
    got = _map([metric], pdus)
    assert got == {key("ifInOctets", ifIndex="3", ifDescr="eth0"): 1234.0,
                   key("ifInOctets", ifIndex="4", ifDescr=""): 5.0}


def test_counter64_wraps_at_2_to_53() -> None:
    metric = MetricSpec("c", "1.3.6.1.9", "counter")
    got = _map([metric], {(1, 3, 6, 1, 9, 0): (COUNTER64, 2**53 + 7)})
    assert got == {key("c"): 7.0}


def test_shortest_prefix_wins() -> None:
    short = MetricSpec("short", "1.3.6.1.9", "gauge", indexes=(Index("i", "gauge"),))
    long_ = MetricSpec("long", "1.3.6.1.9.1", "gauge")
    got = _map([short, long_], {(1, 3, 6, 1, 9, 1, 5): (GAUGE32, 1)})
    assert got == {key("short", i="1"): 1.0}


def test_enum_as_info_and_state_set() -> None:
    info = MetricSpec("ifType", "1.3.6.1.2.1.2.2.1.3", "EnumAsInfo", "T", IF_INDEX,
                      enum_values={6: "ethernetCsmacd"})
    states = MetricSpec("ifOper", "1.3.6.1.2.1.2.2.1.8", "EnumAsStateSet", "S", IF_INDEX,
                        enum_values={1: "up", 2: "down", 3: "testing"})
    pdus = {(1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 1): (INTEGER, 6),
            (1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 2): (INTEGER, 99),
            (1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 1): (INTEGER, 2)}
    got = _map([info, states], pdus)
    assert got == {
        key("ifType_info", ifIndex="1", ifType="ethernetCsmacd"): 1.0,
        key("ifType_info", ifIndex="2", ifType="99"): 1.0,
        key("ifOper", ifIndex="1", ifOper="down"): 1.0,
        key("ifOper", ifIndex="1", ifOper="up"): 0.0,
        key("ifOper", ifIndex="1", ifOper="testing"): 0.0,
    }


def test_bits_most_significant_bit_first() -> None:
    metric = MetricSpec("b", "1.3.6.1.9", "Bits", enum_values={0: "zero", 1: "one", 9: "nine"})
    got = _map([metric], {(1, 3, 6, 1, 9, 0): (OCTET_STRING, b"\x80\x40")})
    assert got == {key("b", b="zero"): 1.0, key("b", b="one"): 0.0, key("b", b="nine"): 1.0}


def test_bits_not_an_octet_string_is_reported_not_raised() -> None:
    report = MappingReport()
    metric = MetricSpec("b", "1.3.6.1.9", "Bits", enum_values={0: "zero"})
    assert _map([metric], {(1, 3, 6, 1, 9, 0): (INTEGER, 1)}, report) == {}
    assert report.unparsable == 1


def test_string_types() -> None:
    metrics = [
        MetricSpec("d", "1.3.6.1.9.1", "DisplayString"),
        MetricSpec("o", "1.3.6.1.9.2", "OctetString"),
        MetricSpec("p", "1.3.6.1.9.3", "PhysAddress48"),
        MetricSpec("ip", "1.3.6.1.9.4", "InetAddressIPv4"),
        MetricSpec("ip6", "1.3.6.1.9.5", "InetAddressIPv6"),
        MetricSpec("addr", "1.3.6.1.9.7", "IpAddr"),
        MetricSpec("bad", "1.3.6.1.9.8", "DisplayString"),
    ]
    pdus = {(1, 3, 6, 1, 9, 1, 0): (OCTET_STRING, "Phường Hàng Bạc".encode()),
            (1, 3, 6, 1, 9, 2, 0): (OCTET_STRING, b"\x00\xab"),
            (1, 3, 6, 1, 9, 3, 0): (OCTET_STRING, b"\x00\x1a\x2b\x3c\x4d\x5e"),
            (1, 3, 6, 1, 9, 4, 0): (OCTET_STRING, b"\x0a\x00\x00\x01"),
            (1, 3, 6, 1, 9, 5, 0): (OCTET_STRING, bytes(range(16))),
            (1, 3, 6, 1, 9, 7, 0): (IP_ADDRESS, "192.0.2.1"),
            (1, 3, 6, 1, 9, 8, 0): (OCTET_STRING, b"ok\xff\xfeok")}
    got = _map(metrics, pdus)
    assert got == {
        key("d", d="Phường Hàng Bạc"): 1.0,
        key("o", o="0x00AB"): 1.0,
        key("p", p="00:1A:2B:3C:4D:5E"): 1.0,
        key("ip", ip="10.0.0.1"): 1.0,
        key("ip6", ip6="0001:0203:0405:0607:0809:0A0B:0C0D:0E0F"): 1.0,
        key("addr", addr="192.0.2.1"): 1.0,
        key("bad", bad="ok\ufffdok"): 1.0,
    }


def test_inet_address_type_comes_from_the_previous_column() -> None:
    metric = MetricSpec("addr", "1.3.6.1.9.2", "InetAddress", indexes=(Index("i", "gauge"),))
    pdus = {(1, 3, 6, 1, 9, 1, 1): (INTEGER, 1),
            (1, 3, 6, 1, 9, 2, 1): (OCTET_STRING, b"\x7f\0\0\1"),
            (1, 3, 6, 1, 9, 2, 2): (OCTET_STRING, b"\x7f\0\0\1")}  # row 2 has no type column
    got = _map([metric], pdus)
    assert got == {key("addr", i="1", addr="127.0.0.1"): 1.0,
                   key("addr", i="2", addr="0x7F000001"): 1.0}


def test_index_types() -> None:
    metric = MetricSpec("x", "1.3.6.1.9", "gauge", indexes=(
        Index("name", "DisplayString"), Index("mac", "PhysAddress48"),
        Index("fixed", "OctetString", fixed_size=2), Index("ip", "InetAddress"),
        Index("rest", "DisplayString", implied=True)))
    index = (3, 97, 98, 99, 0, 26, 43, 60, 77, 94, 1, 2, 1, 4, 10, 0, 0, 7, 104, 105)
    got = _map([metric], {(1, 3, 6, 1, 9, *index): (GAUGE32, 3)})
    assert got == {key("x", name="abc", mac="00:1A:2B:3C:4D:5E", fixed="0x0102",
                       ip="10.0.0.7", rest="hi"): 3.0}


def test_short_index_is_padded_with_zeros() -> None:
    metric = MetricSpec("x", "1.3.6.1.9", "gauge", indexes=(Index("ip", "InetAddressIPv4"),))
    got = _map([metric], {(1, 3, 6, 1, 9, 10, 1): (GAUGE32, 1)})
    assert got == {key("x", ip="10.1.0.0"): 1.0}


def test_absurd_index_length_is_capped_not_allocated() -> None:
    metric = MetricSpec("x", "1.3.6.1.9", "gauge", indexes=(Index("s", "OctetString"),))
    got = _map([metric], {(1, 3, 6, 1, 9, 2**31, 65): (GAUGE32, 1)})
    ((name, labels),) = got
    assert name == "x"
    assert len(dict(labels)["s"]) < 1000


def test_lookup_without_labels_deletes_the_index_label() -> None:
    metric = MetricSpec("x", "1.3.6.1.9.2", "gauge", indexes=(Index("i", "gauge"),),
                        lookups=(Lookup(("i",), "name", "1.3.6.1.9.1", "DisplayString"),
                                 Lookup((), "i")))
    pdus = {(1, 3, 6, 1, 9, 2, 7): (GAUGE32, 4), (1, 3, 6, 1, 9, 1, 7): (OCTET_STRING, b"cpu")}
    assert _map([metric], pdus) == {key("x", name="cpu"): 4.0}


def test_chained_lookup_uses_the_looked_up_value_as_index() -> None:
    metric = MetricSpec("x", "1.3.6.1.9.3", "gauge", indexes=(Index("i", "gauge"),),
                        lookups=(Lookup(("i",), "phys", "1.3.6.1.9.1", "gauge"),
                                 Lookup(("phys",), "name", "1.3.6.1.9.2", "DisplayString")))
    pdus = {(1, 3, 6, 1, 9, 3, 1): (GAUGE32, 40), (1, 3, 6, 1, 9, 1, 1): (INTEGER, 22),
            (1, 3, 6, 1, 9, 2, 22): (OCTET_STRING, b"Gi0/1")}
    assert _map([metric], pdus) == {key("x", i="1", phys="22", name="Gi0/1"): 40.0}


def test_regex_extracts_scale_and_offset() -> None:
    metric = MetricSpec("volt", "1.3.6.1.9", "DisplayString", "V", scale=0.5, offset=1.0,
                        regex_extracts={
                            "": (RegexExtract(re.compile(r"^(?:(\d+)\.(\d))$"), "$1.$2"),),
                            "_status": (RegexExtract(re.compile(r"^(?:nomatch)$"), "1"),
                                        RegexExtract(re.compile(r"^(?:.*)$"), "${none}5"))})
    got = _map([metric], {(1, 3, 6, 1, 9, 0): (OCTET_STRING, b"230.5")})
    assert got == {key("volt"): 230.5 * 0.5 + 1.0, key("volt_status"): 5 * 0.5 + 1.0}


def test_date_and_time() -> None:
    metric = MetricSpec("t", "1.3.6.1.9", "DateAndTime")
    # 2026-11-27 18:30:05.0 +07:00 -> 11:30:05 UTC
    value = bytes([0x07, 0xEA, 11, 27, 18, 30, 5, 0, ord("+"), 7, 0])
    got = _map([metric], {(1, 3, 6, 1, 9, 0): (OCTET_STRING, value),
                          (1, 3, 6, 1, 9, 1): (OCTET_STRING, b"\x07")})
    assert got == {key("t"): 1795779005.0}


def test_timeticks_gauge_and_opaque_float() -> None:
    metrics = [MetricSpec("up", "1.3.6.1.9.1", "gauge"), MetricSpec("f", "1.3.6.1.9.2", "Float")]
    got = _map(metrics, {(1, 3, 6, 1, 9, 1, 0): (TIMETICKS, 18989541),
                         (1, 3, 6, 1, 9, 2, 0): (0x44, 1.5)})
    assert got == {key("up"): 18989541.0, key("f"): 1.5}
