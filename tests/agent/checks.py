"""Checks shared by the agent's tests."""

from __future__ import annotations

import itertools

from agent.spool_cursor import BURST


def assert_paced(times: list[float], rate: float, burst: int = BURST) -> None:
    """No stretch of a catch-up (arrival times, in order) went faster than the cursor's
    token bucket allows: ``burst`` at once, then ``rate`` a second."""
    for i, j in itertools.combinations(range(len(times)), 2):
        allowed = burst + rate * (times[j] - times[i]) + 0.2  # 0.2: timer slack
        assert j - i + 1 <= allowed, (i, j, times[j] - times[i])
