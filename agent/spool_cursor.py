"""One collector's place in the spool: which reports it still needs, and which goes next.

The order, for each collector on its own:

1. **The newest report first.** A report newer than every report handed out so far goes out
   at once, ahead of any backlog: live data is never starved by a catch-up. After an outage
   that is the newest report of the outage; its older neighbours become backlog.
2. **Then the backlog, oldest first, paced**: at most ``rate`` reports a second, so 579 wards
   coming back together do not flatten a collector. A token bucket of :data:`BURST` tokens:
   a short backlog (two exporters' reports ready at the same moment, one report that waited
   for another's retry) goes at once; a long one at ``rate``.

Reports found in the spool at start are backlog (their collector may have been down for a
while); reports written since are new. One report is in flight at a time per collector (the
shipper sends, then acknowledges); it stays in ``pending`` until it is done.

Pure bookkeeping, no I/O and no clock of its own: :mod:`agent.spool` drives it with the
loop's time. Seqs are added in increasing order, so ``pending`` stays sorted by appending.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable

__all__ = ["BURST", "Cursor"]

#: Backlog reports that may go at once after a quiet spell, before the pace applies.
BURST = 3


class Cursor:
    """The reports one collector still needs (sorted seqs) and its catch-up pace."""

    def __init__(self, name: str, bit: int, rate: float, pending: Iterable[int] = (),
                 burst: int = BURST) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"catch-up rate {rate!r} must be a positive number")
        self.name = name
        self.bit = bit
        self.rate = rate
        self.burst = float(max(1, burst))
        self.pending: list[int] = sorted(pending)
        #: The newest seq handed out, or found at start: anything at or below it is backlog.
        self.frontier = self.pending[-1] if self.pending else -1
        self.in_flight: int | None = None
        #: Whether the report in flight is backlog (sent with ``X-Netmon-Backlog: 1``).
        self.in_flight_backlog = False
        self._tokens = self.burst
        self._refilled: float | None = None

    def __len__(self) -> int:
        return len(self.pending)

    def __contains__(self, seq: int) -> bool:
        i = bisect.bisect_left(self.pending, seq)
        return i < len(self.pending) and self.pending[i] == seq

    def add(self, seq: int) -> None:
        """Add a report to deliver (normally newer than every pending one; an older one is
        put in its place, and is backlog)."""
        if not self.pending or seq > self.pending[-1]:
            self.pending.append(seq)
        elif seq not in self:
            bisect.insort(self.pending, seq)

    def remove(self, seq: int) -> bool:
        i = bisect.bisect_left(self.pending, seq)
        if i < len(self.pending) and self.pending[i] == seq:
            del self.pending[i]
            return True
        return False

    def choose(self, now: float) -> tuple[int | None, float | None]:
        """The seq to send now (and mark in flight), or None and how long to wait before the
        backlog's next turn (None: until something new is added)."""
        if self.in_flight is not None:
            raise RuntimeError(f"collector {self.name}: report {self.in_flight} still in flight")
        if not self.pending:
            return None, None
        newest = self.pending[-1]
        if newest > self.frontier:
            self.frontier = self.in_flight = newest
            self.in_flight_backlog = False
            return newest, None
        if self._refilled is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._refilled) * self.rate)
        self._refilled = now
        if self._tokens < 1:
            return None, (1 - self._tokens) / self.rate
        self._tokens -= 1
        self.in_flight = self.pending[0]
        self.in_flight_backlog = True
        return self.in_flight, None

    def has_newer(self) -> bool:
        """Whether a report newer than any handed out is waiting (it would go next)."""
        return bool(self.pending) and self.pending[-1] > self.frontier

    def release(self) -> None:
        """The in-flight report is done (acknowledged, given up or dropped)."""
        self.in_flight = None
