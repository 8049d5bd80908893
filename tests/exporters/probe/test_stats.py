"""Loss, jitter, median, the smokeping histogram and the counters kept between runs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporters.gofloat import format_g
from exporters.probe.config import ProbeTarget
from exporters.probe.run import TargetRun
from exporters.probe.state import (
    MAX_ADDRESSES,
    SMOKEPING_BUCKETS,
    AddressState,
    TargetState,
)
from exporters.probe.stats import PacketResults, jitter, loss_ratio, median

# smokeping_prober's main.go: defaultBuckets, as its --buckets flag prints them.
SMOKEPING_DEFAULT = ("5e-05,0.0001,0.0002,0.0004,0.0008,0.0016,0.0032,0.0064,0.0128,0.0256,"
                     "0.0512,0.1024,0.2048,0.4096,0.8192,1.6384,3.2768,6.5536,13.1072,26.2144")

rtt = st.floats(min_value=0, max_value=60, allow_nan=False)


def test_loss_ratio() -> None:
    assert loss_ratio(10, 10) == 0
    assert loss_ratio(10, 8) == pytest.approx(0.2)
    assert loss_ratio(10, 0) == 1
    assert loss_ratio(10, 12) == 0  # duplicates never make loss negative
    with pytest.raises(ValueError, match="positive"):
        loss_ratio(0, 0)


def test_jitter_is_the_mean_absolute_difference_of_consecutive_rtts() -> None:
    assert jitter([0.010, 0.012, 0.011]) == pytest.approx((0.002 + 0.001) / 2)
    assert jitter([0.050, 0.050, 0.050]) == 0
    assert jitter([0.020, 0.010]) == pytest.approx(0.010)
    assert jitter([0.010]) is None
    assert jitter([]) is None


def test_median() -> None:
    assert median([0.3, 0.1, 0.2]) == 0.2
    assert median([0.1, 0.2, 0.3, 0.4]) == pytest.approx(0.25)
    assert median([]) is None


@given(st.lists(rtt, max_size=50))
def test_jitter_is_bounded_by_the_spread(rtts: list[float]) -> None:
    value = jitter(rtts)
    if len(rtts) < 2:
        assert value is None
    else:
        assert value is not None
        assert 0 <= value <= max(rtts) - min(rtts) + 1e-9


def test_packet_results_summarise_a_run() -> None:
    results = PacketResults(count=5, sent=5, rtts=[0.05, 0.06, 0.052])
    assert results.received == 3
    assert results.loss_ratio == pytest.approx(0.4)
    assert results.median == 0.052
    assert results.jitter == pytest.approx((0.01 + 0.008) / 2)


def test_buckets_are_smokeping_probers_defaults() -> None:
    assert ",".join(format_g(b) for b in SMOKEPING_BUCKETS) == SMOKEPING_DEFAULT


def test_histogram_buckets_are_cumulative_and_inclusive() -> None:
    address = AddressState()
    for value in (0.00005, 0.05, 0.0512, 30.0):
        address.observe(value)
    counts = dict(zip(SMOKEPING_BUCKETS, address.buckets, strict=True))
    assert counts[0.00005] == 1          # le is inclusive, as in Go's client
    assert counts[0.0256] == 1
    assert counts[0.0512] == 3
    assert counts[26.2144] == 3          # 30 s is above every bucket: only in +Inf (count)
    assert address.rtt_count == 4
    assert address.rtt_sum == pytest.approx(30.10125)


def _run(ip: str, sent: int, rtts: list[float]) -> TargetRun:
    return TargetRun(ProbeTarget("t", "example.net"), "icmp", "raw",
                     PacketResults(count=sent, sent=sent, rtts=rtts), ip=ip, version=4)


def test_counters_accumulate_across_runs() -> None:
    state = TargetState()
    state.record(_run("192.0.2.1", 10, [0.05] * 8))
    state.record(_run("192.0.2.1", 10, [0.06] * 10))
    assert (state.sent, state.received) == (20, 18)
    address = state.addresses["192.0.2.1"]
    assert (address.requests, address.rtt_count) == (20, 18)


def test_only_the_latest_addresses_of_a_name_are_kept() -> None:
    state = TargetState()
    for i in range(MAX_ADDRESSES + 2):
        state.record(_run(f"192.0.2.{i}", 1, [0.01]))
    state.record(_run("192.0.2.2", 1, [0.01]))  # used again: becomes the newest
    assert list(state.addresses) == ["192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.2"]


def test_sequence_numbers_advance_by_run_and_wrap() -> None:
    state = TargetState(next_seq=0xFFFE)
    assert state.take_sequences(10) == 0xFFFE
    assert state.take_sequences(10) == 8
