"""When each device is polled: a fixed phase per device, ticks that never drift.

The same rule as the agent's exporters (``agent/schedule.py``, whose :func:`phase` and
:class:`Ticker` these are copies of, cut to what the poller needs: the collector never
imports the agent, see DESIGN.md): a device with interval ``I`` is polled at the wall-clock
instants ``t`` with ``(t - phase) mod I == 0``, the phase a hash of the device's name spread
over ``jitter * I``. So 579 devices loaded at once are polled evenly through the interval,
not in one burst, and a restart keeps every device's phase. Tick ``k`` is
``first + k * I`` on the monotonic clock; a poll still running at a tick skips it (counted),
and the next poll is at the first tick after it ended.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

__all__ = ["Ticker", "phase"]


def phase(name: str, what: str, interval: float, jitter: float) -> float:
    """A fixed offset in ``[0, jitter * interval)`` for ``name`` (agent.schedule.phase)."""
    digest = hashlib.blake2b(f"{name}\0{what}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * jitter * interval


@dataclass(slots=True)
class Ticker:
    """The ticks of one device: ``first + k * interval`` (monotonic seconds)."""

    first: float
    interval: float
    k: int = 0
    tolerance: float = 0.0

    @classmethod
    def start(cls, interval: float, phase_s: float, monotonic_now: float,
              wall_now: float) -> Ticker:
        """The first tick is the next wall-clock instant ``phase + n * interval``."""
        delay = (phase_s - wall_now) % interval
        return cls(monotonic_now + delay, interval, tolerance=min(interval / 10, 1.0))

    @property
    def due(self) -> float:
        return self.first + self.k * self.interval

    def advance(self, monotonic_now: float) -> int:
        """Move to the first tick at or after ``monotonic_now - tolerance`` (at least one
        on); return how many ticks were skipped because the poll was still running."""
        after = math.ceil((monotonic_now - self.tolerance - self.first) / self.interval)
        following = self.k + 1
        self.k = max(following, after)
        return self.k - following
