"""Forwarding batches to a long-term store: spool on push, send in the background.

:meth:`Forwarder.submit` runs in the push handler: it encodes the batches into WriteRequests
and spools them (both in the spool's thread), and the push is acknowledged once they are
committed. :meth:`Forwarder.run` is the background loop (started by
:func:`collector.loops.remote_write_ctx`): oldest row first, one request at a time, each
retried with backoff until the store answers, so the store receives the samples in the order
the collector received them. Ingest never waits for the store, only for the local spool.

Counted in ``netmon_collector_remote_write_samples_total{result}``: ``sent`` (the store
answered 2xx), ``retried`` (a request failed and will be sent again: counted per attempt,
as Prometheus counts its own retries), ``rejected`` (the store refused them: 4xx but 429;
logged with the store's message), ``dropped`` (pushed out of the full spool, or out of
retries when ``retries`` is set). Trouble is logged once per episode (the first failure,
then the recovery with how many attempts failed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence

import aiohttp
import cramjam
from prometheus_client import Counter

from collector.clock import Clock
from collector.inventory import Identity
from collector.remote_write.config import RemoteWriteConfig
from collector.remote_write.errors import Rejected, Retryable, SpoolError
from collector.remote_write.sender import send
from collector.remote_write.series import LabelCache, encode_batches
from collector.remote_write.spool import Acked, Entry, Pending, Spool
from netmon.wire import Batch

log = logging.getLogger(__name__)

__all__ = ["Forwarder", "compress"]


def compress(body: bytes) -> bytes:
    """Snappy's block format, as remote_write wants it (not the framed stream)."""
    return bytes(cramjam.snappy.compress_raw(body))


class Forwarder:
    def __init__(self, config: RemoteWriteConfig, dc: str, clock: Clock,
                 samples: Counter) -> None:
        self.config = config
        self.clock = clock
        self.constant = config.constant_labels(dc)
        self.samples = samples           # netmon_collector_remote_write_samples_total
        self.spool = Spool(config.spool, clock)
        #: Encoded label sets from one report of an agent to the next; only the spool's one
        #: thread touches it (``make`` below runs there).
        self.labels = LabelCache()
        self._wake = asyncio.Event()
        self._failing = 0                # failed attempts in the current episode
        self._rejected = 0               # rejected requests since the last good one
        self._full = False               # the spool dropped data in the current episode
        self._stopping = False
        self._sending = False            # a request is with the store, or its answer is
        #                                  being recorded in the spool (stop() waits for it)

    # --- the push side -----------------------------------------------------------------------

    async def submit(self, batches: Sequence[Batch], identity: Identity,
                     acked: Acked | None = None) -> None:
        """Encode and spool ``batches`` of the agent ``identity`` (with what was
        acknowledged from it, ``acked``, in the same transaction); raises SpoolError."""
        fixed = identity.labels()
        max_samples = self.config.max_samples_per_send

        def make() -> list[Pending]:
            return [Pending(compress(f.body), f.samples, f.oldest_ts)
                    for f in encode_batches(batches, fixed, self.constant, max_samples,
                                            self.labels)]

        dropped = await self.spool.put(make, acked)
        self._wake.set()
        if dropped:
            self.samples.labels("dropped").inc(dropped)
            if not self._full:
                log.error("remote_write spool full (max_bytes=%d): dropping the oldest pending "
                          "samples (first drop: %d samples) url=%s", self.config.spool.max_bytes,
                          dropped, self.config.url)
            self._full = True
        elif self._full and self.spool.pending_bytes < self.config.spool.max_bytes * 0.9:
            log.info("remote_write spool below its bound again url=%s", self.config.url)
            self._full = False

    # --- gauges ------------------------------------------------------------------------------

    def lag(self) -> float:
        """Seconds since the oldest pending row was spooled (0 when nothing is pending)."""
        oldest = self.spool.oldest_enqueued()
        return 0.0 if oldest is None else max(0.0, self.clock.wall() - oldest)

    # --- the background loop -----------------------------------------------------------------

    async def run(self, session: aiohttp.ClientSession) -> None:
        while not self._stopping:
            entry = self.spool.head()
            if entry is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                await self._deliver(session, entry)
            except SpoolError as exc:
                log.error("remote_write: %s; trying again in %.0fs", exc,
                          self.config.backoff_max)
                await asyncio.sleep(self.config.backoff_max)
            except Exception:  # a bug must not stop forwarding for good: logged, retried
                log.exception("remote_write: unexpected error; trying again in %.0fs",
                              self.config.backoff_max)
                await asyncio.sleep(self.config.backoff_max)

    async def _deliver(self, session: aiohttp.ClientSession, entry: Entry) -> None:
        body = await self.spool.body(entry)
        if body is None:  # gone from the file: the index was wrong; forget the row
            await self.spool.remove(entry)
            return
        self.spool.in_flight = entry.id
        try:
            await self._send(session, entry, body)
        finally:
            self.spool.in_flight = None

    async def _send(self, session: aiohttp.ClientSession, entry: Entry, body: bytes) -> None:
        config = self.config
        attempts = 0
        while True:
            self._sending = True
            try:
                await send(session, config.url, body, config.timeout, dict(config.headers))
            except Retryable as exc:
                self._sending = False
                attempts += 1
                self.samples.labels("retried").inc(entry.samples)
                if self._failing == 0:
                    log.warning("remote_write failed, retrying with backoff url=%s error=%s",
                                config.url, exc)
                self._failing += 1
                if config.retries is not None and attempts > config.retries:
                    self.samples.labels("dropped").inc(entry.samples)
                    log.error("remote_write: %d samples dropped after %d retries url=%s "
                              "error=%s", entry.samples, config.retries, config.url, exc)
                    await self.spool.remove(entry)
                    return
                if self._stopping:
                    return                       # kept in the spool for the next start
                await asyncio.sleep(self._backoff(attempts, exc.retry_after))
                continue
            except Rejected as exc:
                self.samples.labels("rejected").inc(entry.samples)
                if self._rejected == 0:
                    log.warning("remote_write: the store rejected %d samples (not retried) "
                                "url=%s error=%s", entry.samples, config.url, exc)
                self._rejected += 1
                self._recovered()
                await self._answered(entry)
                return
            self.samples.labels("sent").inc(entry.samples)
            if self._rejected:
                log.info("remote_write: %d requests were rejected before this one was "
                         "accepted url=%s", self._rejected, config.url)
                self._rejected = 0
            self._recovered()
            await self._answered(entry)
            return

    async def _answered(self, entry: Entry) -> None:
        """The store answered ``entry`` for good: out of the spool, and only then may stop()
        go on (a stop between the answer and this delete sent it again at the next start:
        a sample stored twice, found by tests/system/test_nothing_lost.py)."""
        try:
            await self.spool.remove(entry)
        finally:
            self._sending = False

    def _recovered(self) -> None:
        if self._failing:
            log.info("remote_write: the store answers again after %d failed attempts url=%s",
                     self._failing, self.config.url)
            self._failing = 0

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential with jitter: half of ``base * 2**(attempt-1)`` (capped), plus a random
        part of the other half; a store's ``Retry-After`` wins (up to ``backoff_max``)."""
        config = self.config
        if retry_after is not None:
            return min(retry_after, config.backoff_max)
        ceiling = min(config.backoff_max, config.backoff_base * 2.0 ** min(attempt - 1, 32))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not secrets

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Stop the loop. A request the store is answering is let finish (up to its timeout)
        and its answer recorded: cancelling it would leave samples the store may already
        have stored in the spool, to be sent again at the next start (twice in a store that
        keeps duplicates, as VictoriaMetrics does without ``-dedup.minScrapeInterval``)."""
        self._stopping = True
        self._wake.set()
        if self._sending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), self.config.timeout + 1.0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self.spool.close()
