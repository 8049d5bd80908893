"""The text format writer: Go's layout, merging, escaping, duplicates."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Metric
from prometheus_client.core import HistogramMetricFamily

from exporters.exposition import render
from exporters.gofloat import format_f, format_g


def _family(name: str, typ: str, *samples: tuple[dict[str, str], float]) -> Metric:
    family = Metric(name, f"{name} help", typ)
    for labels, value in samples:
        family.add_sample(name, labels, value)
    return family


def test_layout_sorting_and_counter_names_as_given() -> None:
    text = render([
        _family("b_total", "counter", ({"z": "1", "a": "2"}, 3.0), ({"z": "0", "a": "2"}, 1e10)),
        _family("a", "gauge", ({}, 0.5)),
    ]).decode()
    assert text == ("# HELP a a help\n# TYPE a gauge\na 0.5\n"
                    "# HELP b_total b_total help\n# TYPE b_total counter\n"
                    'b_total{a="2",z="0"} 1e+10\nb_total{a="2",z="1"} 3\n')


def test_families_with_one_name_merge_and_duplicates_keep_the_first() -> None:
    text = render([_family("x", "gauge", ({"i": "1"}, 1.0)),
                   _family("x", "counter", ({"i": "1"}, 9.0), ({"i": "2"}, 2.0))]).decode()
    assert text == ('# HELP x x help\n# TYPE x gauge\nx{i="1"} 1\nx{i="2"} 2\n')


def test_escaping_of_help_and_label_values() -> None:
    family = Metric("x", 'back\\slash\nnewline "quote"', "gauge")
    family.add_sample("x", {"v": 'a"b\\c\nd', "w": "Phường Hàng Bạc"}, 1.0)
    text = render([family]).decode()
    assert '# HELP x back\\\\slash\\nnewline "quote"\n' in text
    assert 'x{v="a\\"b\\\\c\\nd",w="Phường Hàng Bạc"} 1\n' in text


def test_generator_input_with_shared_and_freed_label_dicts() -> None:
    """Families made and dropped one by one must not confuse the label cache."""
    def families() -> Iterator[Metric]:
        for i in range(50):
            yield _family("a" if i % 2 else "b", "gauge", ({"i": str(i)}, float(i)))
    text = render(families()).decode()
    assert text.count("\na{") + text.startswith("a{") == 25
    assert text.count("\nb{") == 25


def test_go_float_formatting() -> None:
    cases = {0.0: "0", 1.0: "1", -1.0: "-1", 2.0: "2", 123456.0: "123456",
             1234567.0: "1.234567e+06", 1e6: "1e+06", 16777216000.0: "1.6777216e+10",
             0.0001: "0.0001", 0.00001: "1e-05", 1.5e20: "1.5e+20", float("inf"): "+Inf",
             float("-inf"): "-Inf", float("nan"): "NaN", 2.0**53: "9.007199254740992e+15"}
    for value, text in cases.items():
        assert format_g(value) if value not in (1.0, -1.0) else True
        rendered = render([_family("v", "gauge", ({}, value))]).decode().splitlines()[-1]
        assert rendered == f"v {text}", value
    assert format_f(0.00001) == "0.00001"
    assert format_f(1.5e20) == "150000000000000000000"
    assert format_f(0.10000000149011612, 32) == "0.1"


def test_histogram_buckets_in_numeric_order_then_sum_and_count_as_go_writes_them() -> None:
    family = HistogramMetricFamily("rtt_seconds", "Round trips.", labels=["target"])
    for target in ("b", "a"):
        family.add_metric([target], buckets=[("0.0016", 1.0), ("0.0032", 2.0), ("0.0128", 3.0),
                                             ("1.6384", 4.0), ("13.1072", 5.0), ("+Inf", 5.0)],
                          sum_value=0.5)
    lines = render([family]).decode().splitlines()[2:]
    assert [line.split(" ")[0] for line in lines[:8]] == [
        'rtt_seconds_bucket{le="0.0016",target="a"}', 'rtt_seconds_bucket{le="0.0032",target="a"}',
        'rtt_seconds_bucket{le="0.0128",target="a"}', 'rtt_seconds_bucket{le="1.6384",target="a"}',
        'rtt_seconds_bucket{le="13.1072",target="a"}', 'rtt_seconds_bucket{le="+Inf",target="a"}',
        'rtt_seconds_sum{target="a"}', 'rtt_seconds_count{target="a"}']
    assert lines[8].startswith('rtt_seconds_bucket{le="0.0016",target="b"}')
