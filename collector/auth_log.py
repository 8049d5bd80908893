"""Failed authentications in the log: once per source address per interval, never a token.

Every failure is counted (``netmon_collector_auth_failures_total{reason}``: ``missing``,
``unknown``, ``expired``); the log gets one line per source address per :data:`INTERVAL`,
saying how many failures were not logged since, so a scanner or a misconfigured agent
retrying every second cannot flood the log (or the disk), and the address to look at is
always there. The line holds the source address, the reason and the collector's message
(which never contains the token or its hash: :mod:`collector.ingest` builds it from the
reason only).

Addresses are remembered for :data:`INTERVAL`; at most :data:`MAX_SOURCES` of them (a scan
from many addresses then logs each address at most once per interval and keeps memory
bounded: the oldest entries are dropped first).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

__all__ = ["INTERVAL", "MAX_SOURCES", "AuthFailureLog"]

#: Seconds between two log lines about the same source address.
INTERVAL: Final = 60.0
MAX_SOURCES: Final = 10_000

log = logging.getLogger(__name__)


class AuthFailureLog:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        #: source -> (when it was last logged, failures not logged since)
        self._seen: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def failed(self, source: str, reason: str, message: str) -> bool:
        """Record a failure; log it unless ``source`` was logged in the last interval.
        Returns whether a line was written."""
        now = self._clock()
        last = self._seen.get(source)
        if last is not None and now - last[0] < INTERVAL:
            self._seen[source] = (last[0], last[1] + 1)
            return False
        suppressed = last[1] if last is not None else 0
        self._seen[source] = (now, 0)
        self._seen.move_to_end(source)
        while len(self._seen) > MAX_SOURCES:
            self._seen.popitem(last=False)
        log.warning("push refused: authentication failed reason=%s source=%s error=%s%s",
                    reason, source, message,
                    f" (and {suppressed} more from this source in the last "
                    f"{INTERVAL:.0f}s, not logged)" if suppressed else "")
        return True
