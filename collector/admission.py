"""Admission control: past its capacity, a collector says "later" instead of drowning.

A collector decodes pushes on its event loop (:mod:`collector.ingest`); when more arrive than
one core can decode, the queue forms where the collector cannot see it (in the kernel's
accept queue and aiohttp's connections), every push waits longer, agents time out and send
again, and the collector ends up spending its CPU on pushes whose senders have already gone
(``bench/ingest.py``: 5,790 agents, 70 pushes a second served, 98.8 % timed out). Fastify's
``under-pressure`` and Envoy's overload manager answer this the same way, and so does netmon:
watch how late the event loop runs, and refuse work cheaply, before the body is read, with
``429 Too Many Requests`` and a ``Retry-After`` the agents honour (:mod:`agent.shipper`).

Two classes of push, told apart by the agent's ``X-Netmon-Backlog: 1`` header
(:mod:`agent.spool_cursor` knows which report is live and which is catch-up):

* **backlog** pushes (a catch-up after an outage) are refused as soon as the loop runs more
  than ``backlog_max_lag`` late, or half of ``max_in_flight`` pushes are in progress: a
  catch-up may use the collector's spare capacity, never more;
* **live** pushes are refused only when the loop is ``live_max_lag`` late, or
  ``max_in_flight`` pushes are in progress (memory: each holds its body). A refused live
  report is not lost: it waits in the agent's spool and comes back as backlog.

Lag is measured by a task that asks to wake every :data:`TICK` seconds: how much later than
asked it woke, averaged over the last :data:`WINDOW` seconds, or, during a stall that has not
ended yet, how long the loop has been away. The average, not the largest: a collector that
decodes pushes back to back is late at every tick, while one garbage collection or one large
report makes a single late tick; measured with the largest, an hour's catch-up of 100 wards
was deferred at 25 % of a core (``bench/outage.py``). ``Retry-After`` is a random whole number of
seconds from 1 to ``ceil(10 * lag)`` (at least 2, at most ``retry_after_max``), so the agents
refused together come back spread over a window that widens with the overload.

A push whose ``X-Netmon-Seq`` the collector has already acknowledged is answered as a
duplicate before admission and before its body is read (:func:`collector.ingest.push`); a
push whose sender hung up while it waited is not decoded at all.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from collector.errors import ConfigError, Throttled

__all__ = ["TICK", "WINDOW", "Admission", "AdmissionConfig", "LoopLag"]

#: How often the lag monitor asks to wake (seconds).
TICK: Final = 0.05
#: The lag is the largest seen over this many seconds.
WINDOW: Final = 1.0


@dataclass(frozen=True, slots=True)
class AdmissionConfig:
    """When pushes are refused with 429 (see the module's docstring)."""

    backlog_max_lag: float = 0.2
    live_max_lag: float = 2.0
    max_in_flight: int = 256
    retry_after_max: int = 60

    def __post_init__(self) -> None:
        for name in ("backlog_max_lag", "live_max_lag"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(f"admission.{name}: {value!r} must be a positive number of "
                                 "seconds")
        if self.live_max_lag < self.backlog_max_lag:
            raise ConfigError("admission.live_max_lag must not be shorter than "
                             "admission.backlog_max_lag: live data goes before backlog")
        if self.max_in_flight < 2:
            raise ConfigError(f"admission.max_in_flight: {self.max_in_flight} must be 2 or more")
        if self.retry_after_max < 2:
            raise ConfigError(f"admission.retry_after_max: {self.retry_after_max} must be 2 or "
                             "more seconds")


class LoopLag:
    """How late the event loop runs, from a task that wakes every :data:`TICK` seconds."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock
        self._recent: collections.deque[tuple[float, float]] = collections.deque()
        self._last_wake: float | None = None

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    async def run(self) -> None:
        """Measure until cancelled."""
        while True:
            asked = self._now()
            self._last_wake = asked
            await asyncio.sleep(TICK)
            self.record(asked, self._now())

    def record(self, asked: float, woke: float) -> None:
        """A wake-up asked for at ``asked + TICK`` happened at ``woke``."""
        self._last_wake = woke
        self._recent.append((woke, max(0.0, woke - asked - TICK)))
        while self._recent and self._recent[0][0] < woke - WINDOW:
            self._recent.popleft()

    def current(self) -> float:
        """The lag now: the recent average, or the stall in progress if longer."""
        recent = (sum(lag for _, lag in self._recent) / len(self._recent)
                  if self._recent else 0.0)
        if self._last_wake is None:
            return recent
        stalled = self._now() - self._last_wake - TICK
        return max(recent, stalled)


class Admission:
    """Counts pushes in progress and decides which may start (see the module's docstring)."""

    def __init__(self, lag: LoopLag, rng: random.Random | None = None) -> None:
        self.lag = lag
        self.in_flight = 0
        self._rng = rng or random.Random()  # noqa: S311 - spreading retries, not secrets

    def check(self, config: AdmissionConfig, backlog: bool) -> None:
        """Raise :class:`~collector.errors.Throttled` when this push must wait."""
        lag = self.lag.current()
        if backlog:
            over_lag = lag > config.backlog_max_lag
            over_count = self.in_flight >= config.max_in_flight // 2
        else:
            over_lag = lag > config.live_max_lag
            over_count = self.in_flight >= config.max_in_flight
        if not (over_lag or over_count):
            return
        kind = "backlog" if backlog else "live"
        why = (f"the collector is running {lag:.2f}s behind" if over_lag
               else f"{self.in_flight} pushes are in progress")
        wait = self._retry_after(lag, config)
        raise Throttled(f"{kind} push deferred: {why}; retry in {wait}s", wait)

    def _retry_after(self, lag: float, config: AdmissionConfig) -> int:
        ceiling = min(config.retry_after_max, max(2, math.ceil(10 * lag)))
        return self._rng.randint(1, ceiling)

    @contextlib.contextmanager
    def admitted(self) -> Iterator[None]:
        """Count one push in progress for the duration of the block."""
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

