"""Rendering a batch once at ingest: identity, exported_ labels, families, escaping."""

from __future__ import annotations

import pytest
from prometheus_client import Counter, Histogram, Info, Metric
from prometheus_client.registry import CollectorRegistry

from collector.inventory import Identity
from collector.lines import IdentityLabels, exported_name, render_batch
from netmon import wire
from tests.collector.helpers import family
from tests.peers.exposition import parse
from tests.peers.promtool import check_metrics

WARD = IdentityLabels.of(Identity("hn-badinh-phucxa-r1", "00001", "Quận Ba Đình",
                                  "Phường Phúc Xá", "ward-router", "", "ward"))


def text(families: list[Metric], ident: IdentityLabels = WARD) -> str:
    batch = render_batch(wire.batch("x", 1.0, 15.0, families), ident)
    return "".join((f.head() + f.lines).decode() for f in batch.families)


def test_identity_is_appended_and_empty_labels_left_out() -> None:
    out = text([family("ifHCInOctets", "counter", [({"ifAlias": "", "ifName": "eth0"}, 3)])])
    assert out.splitlines()[2] == (
        'ifHCInOctets{ifName="eth0",agent="hn-badinh-phucxa-r1",district="Quận Ba Đình",'
        'role="ward-router",site="00001",ward="Phường Phúc Xá"} 3')


def test_exported_names_never_collide() -> None:
    assert exported_name("agent", {"agent"}) == "exported_agent"
    assert exported_name("agent", {"agent", "exported_agent"}) == "exported_exported_agent"


def test_escaping_and_go_number_format() -> None:
    labels = {"ifAlias": 'to "core" \\ Hà Nội\nline 2'}
    out = text([family("ifSpeed", "gauge", [(labels, 1e10), ({"ifAlias": "b"}, float("nan"))],
                       help_text="Speed\nin bits \\ s")])
    assert "# HELP ifSpeed Speed\\nin bits \\\\ s\n" in out
    assert 'ifAlias="to \\"core\\" \\\\ Hà Nội\\nline 2"' in out
    assert " 1e+10\n" in out and " NaN\n" in out
    series = parse(out).series("ifSpeed")
    assert {dict(k)["ifAlias"] for k in series} == {'to "core" \\ Hà Nội\nline 2', "b"}


def test_repeated_series_keep_the_first_value() -> None:
    batch = render_batch(wire.batch("x", 1.0, 15.0, [family("up", "gauge", [
        ({"a": "1"}, 1), ({"a": "1"}, 0), ({"a": "2"}, 1)])]), WARD)
    assert batch.duplicates == 1 and batch.samples == 2
    assert b'up{a="1",' in batch.families[0].lines and b"} 0\n" not in batch.families[0].lines


@pytest.mark.peers
def test_prometheus_client_families_become_valid_text() -> None:
    """Counters with _total and _created, info, histograms: as client_python's 0.0.4 writer
    writes them, so promtool and Prometheus read them."""
    registry = CollectorRegistry()
    Counter("netmon_agent_reports_sent", "Reports sent.", ["collector"],
            registry=registry).labels("primary").inc(3)
    Histogram("netmon_agent_push_seconds", "Push latency.", buckets=(0.1, 1),
              registry=registry).observe(0.5)
    Info("netmon_agent_build", "Build.", registry=registry).info({"version": "0.1.0"})
    out = text(list(registry.collect()))
    exposition = parse(out)
    assert exposition.types["netmon_agent_reports_sent_total"] == "counter"
    assert exposition.types["netmon_agent_reports_sent_created"] == "gauge"
    assert exposition.types["netmon_agent_push_seconds"] == "histogram"
    assert exposition.types["netmon_agent_build_info"] == "gauge"
    assert len(exposition.series("netmon_agent_push_seconds_bucket")) == 3
    result = check_metrics(out)
    assert result.parsed, result.output


def test_two_types_for_one_name_in_a_batch_keep_the_first() -> None:
    fams = [family("a", "gauge", [({}, 1)]),
            family("a_created", "gauge", [({}, 2)]),
            family("a", "counter", [({}, 3)], sample_name="a_created")]
    batch = render_batch(wire.batch("x", 1.0, 15.0, fams), WARD)
    assert [f.name for f in batch.families] == ["a", "a_created"]
    assert batch.conflicts == 0   # same name, same type (gauge): merged, the repeat dropped
    assert batch.duplicates == 1
    assert batch.families[1].lines.count(b"a_created{") == 1

    clash = [family("b", "gauge", [({}, 1)]), family("b", "counter", [({}, 2)],
                                                    sample_name="b_total"),
             family("b_total", "gauge", [({}, 3)])]
    batch = render_batch(wire.batch("x", 1.0, 15.0, clash), WARD)
    assert [(f.name, f.type) for f in batch.families] == [("b", "gauge"),
                                                          ("b_total", "counter")]
    assert batch.conflicts == 1
