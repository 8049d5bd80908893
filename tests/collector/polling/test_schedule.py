"""Polls spread over the interval, ticks without drift (the agent's rule: netmon.schedule)."""

from __future__ import annotations

from netmon.schedule import Ticker, phase


def test_phases_spread_over_the_whole_interval_and_match_the_agent_s() -> None:
    phases = [phase(f"hn-ward-{i}-r1", "snmp", 60.0, 1.0) for i in range(579)]
    assert all(0 <= p < 60 for p in phases)
    per_10s = [sum(1 for p in phases if lo <= p < lo + 10) for lo in range(0, 60, 10)]
    assert min(per_10s) > 579 / 6 * 0.7       # no thundering herd
    assert phase("a", "snmp", 60, 0) == 0


def test_a_long_poll_skips_ticks_and_the_grid_stays() -> None:
    ticker = Ticker.start(10.0, 3.0, monotonic_now=100.0, wall_now=1000.0)
    assert ticker.due == 103.0                    # next wall instant 1003 = phase 3 mod 10
    assert ticker.advance(104.0) == 0 and ticker.due == 113.0
    assert ticker.advance(135.0) == 2 and ticker.due == 143.0   # 123 and 133 skipped
    assert ticker.advance(153.5) == 0 and ticker.due == 153.0   # within tolerance
