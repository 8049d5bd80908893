"""The collector's clocks, injected so staleness can be tested without sleeping."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Clock", "SystemClock"]


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds for intervals and ages (never jumps)."""
        ...

    def wall(self) -> float:
        """Unix time, for timestamps shown to people and Prometheus."""
        ...


@dataclass(frozen=True, slots=True)
class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()
