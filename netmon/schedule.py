"""When each exporter runs (agent) and each device is polled (collector): a fixed phase, ticks
on the monotonic clock, no drift, no overlap. Shared by both, so a device polled by the
collector keeps the phase it would have under an agent.

An exporter with interval ``I`` runs at the wall-clock instants ``t`` with
``(t - phase) mod I == 0``, like Prometheus's scrape offsets: the phase is a hash of the agent
id and the exporter name, spread over ``jitter * I``. So

* 579 agents started in the same second (a rollout, a city-wide power cut) still report at
  evenly spread instants, and the collector sees a steady stream instead of a spike;
* an agent keeps its phase across restarts (graphs do not shift, rates stay regular);
* with ``jitter`` 0 every exporter runs on the interval's wall-clock boundaries.

Only the first tick is placed on the wall clock; tick ``k`` is then ``first + k * I`` on the
monotonic clock, computed from the schedule and never from when a run ended, so the schedule
does not drift and a clock step (NTP) does not move it. A run still going at the next tick
makes that tick (and any further one it overlaps) *skipped*: the next run starts at the first
tick after the run ended, and the skipped ticks are counted. A run that ends only a little
after a tick (within ``tolerance``, a tenth of the interval up to 1 s: a run cut by its
timeout, which equals the interval, ends a hair after the next tick) does not skip it: that
tick's run starts late by that little, and the grid is unchanged. This module is pure arithmetic;
:mod:`agent.runtime` and :mod:`collector.polling.poller` drive it with the event loop's
clock.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

__all__ = ["Ticker", "phase"]


def phase(agent_id: str, exporter: str, interval: float, jitter: float) -> float:
    """The exporter's fixed offset in ``[0, jitter * interval)``, stable for its names."""
    digest = hashlib.blake2b(f"{agent_id}\0{exporter}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * jitter * interval


@dataclass(slots=True)
class Ticker:
    """The ticks of one exporter: ``first + k * interval`` (monotonic seconds)."""

    first: float
    interval: float
    k: int = 0
    tolerance: float = 0.0

    @classmethod
    def start(cls, interval: float, phase_s: float, monotonic_now: float,
              wall_now: float) -> Ticker:
        """The first tick is the next wall-clock instant ``phase + n * interval`` (``now``
        itself when it falls exactly on one)."""
        delay = (phase_s - wall_now) % interval
        return cls(monotonic_now + delay, interval, tolerance=min(interval / 10, 1.0))

    @property
    def due(self) -> float:
        """When the current tick is (monotonic)."""
        return self.first + self.k * self.interval

    def advance(self, monotonic_now: float) -> int:
        """Move to the first tick at or after ``monotonic_now - tolerance`` (``now``: the end of
        a run), at least one tick on; return how many ticks were skipped because the run was
        still going."""
        after = math.ceil((monotonic_now - self.tolerance - self.first) / self.interval)
        following = self.k + 1
        self.k = max(following, after)
        return self.k - following
