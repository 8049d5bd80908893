"""At most one log line per key and interval: a flood of refused datagrams must not flood
the log (the counters still count every one)."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

__all__ = ["LogLimit"]


class LogLimit:
    """``allow(key)`` is true once per ``interval`` seconds per key; memory is bounded
    (past ``max_keys`` keys the oldest are forgotten)."""

    def __init__(self, interval: float = 60.0, max_keys: int = 1024,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.max_keys = max_keys
        self.clock = clock
        self._last: dict[Hashable, float] = {}

    def allow(self, key: Hashable) -> bool:
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            return False
        self._last.pop(key, None)
        self._last[key] = now
        while len(self._last) > self.max_keys:
            del self._last[next(iter(self._last))]
        return True
