"""Alerts to Alertmanager: a bounded queue and one sender task (never blocks a trap).

A trap's alerts go into a queue (``traps.alertmanager.queue`` alerts; when it is full they
are dropped and counted). The sender posts what is queued, up to 64 alerts a request, to
``<url>/api/v2/alerts``; a network error, timeout or 5xx is retried three times with a
growing pause (0.5, 1, 2 s), anything else is ``failed`` (logged with Alertmanager's answer).
One URL: for an Alertmanager cluster, point it at a load balancer in front of the members
(Prometheus instead posts to every member; netmon does not, yet).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Final

import aiohttp

from collector.traps.config import AlertmanagerConfig
from collector.traps.metrics import TrapMetrics

log = logging.getLogger(__name__)

__all__ = ["BACKOFF", "AlertSender"]

_BATCH: Final = 64
#: Pauses before the retries of one request.
BACKOFF: Final = (0.5, 1.0, 2.0)


class AlertSender:
    def __init__(self, config: AlertmanagerConfig, metrics: TrapMetrics,
                 backoff: tuple[float, ...] = BACKOFF) -> None:
        self.config = config
        self.metrics = metrics
        self.backoff = backoff
        self.url = f"{config.url}/api/v2/alerts"
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(config.queue)
        self._full_logged = False
        self._sending = 0                   # alerts of the request in progress

    def submit(self, alerts: list[dict[str, Any]]) -> None:
        for alert in alerts:
            try:
                self.queue.put_nowait(alert)
            except asyncio.QueueFull:
                self.metrics.alerts["dropped"] += 1
                if not self._full_logged:
                    self._full_logged = True
                    log.warning("alert queue full: alerts dropped url=%s queue=%d", self.url,
                                self.config.queue)
            else:
                self._full_logged = False

    async def run(self, session: aiohttp.ClientSession) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < _BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            self._sending = len(batch)
            await self._post(session, batch)
            self._sending = 0

    async def stop(self, task: asyncio.Task[None]) -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        pending = self.queue.qsize() + self._sending
        self._sending = 0
        if pending:
            self.metrics.alerts["dropped"] += pending
            log.warning("alerts not sent at stop url=%s alerts=%d", self.url, pending)

    async def _post(self, session: aiohttp.ClientSession, batch: list[dict[str, Any]]) -> None:
        timeout = aiohttp.ClientTimeout(total=self.config.timeout)
        problem = ""
        for attempt, pause in enumerate((0.0, *self.backoff)):
            if pause:
                await asyncio.sleep(pause)
            try:
                async with session.post(self.url, json=batch, timeout=timeout) as response:
                    if response.status < 300:
                        self.metrics.alerts["sent"] += len(batch)
                        return
                    problem = f"HTTP {response.status}: {(await response.text())[:200]}"
                    if response.status < 500:
                        break
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            log.debug("alert post failed, attempt %d url=%s: %s", attempt + 1, self.url,
                      problem)
        self.metrics.alerts["failed"] += len(batch)
        log.warning("alerts not delivered to Alertmanager url=%s alerts=%d: %s", self.url,
                    len(batch), problem)
