"""The agent's spool: every report written to disk before it is sent, a cursor per collector.

    spool = await Spool.open(config.shipping.spool, ["dc-primary", "dc-backup"],
                             catchup_rate=1.0, metrics=metrics, agent_id="hn-bd-phucxa")
    await spool.put(report)                  # returns once the report is durable
    delivery = spool.delivery("dc-primary")  # the shipper's view: next(), kept(), done()
    await spool.close()

It implements :class:`agent.outbox.Outbox`. The file is SQLite (:mod:`agent.spool_file`), the
order of delivery each collector's :class:`~agent.spool_cursor.Cursor`; this module keeps
the spool's index in memory (seq, time, size, samples, which collectors still need it: the
bodies stay on disk), applies the bounds, counts what is dropped, and runs every file
operation in a worker thread, one at a time (the loop's default executor: bounded, shared by
every agent of the process; never on the event loop).

Why SQLite in WAL mode rather than append-only segment files with checksums, measured on
this machine (``python -m tests.agent.measure_spool [--cold]``: a ward router's real report,
5.4 kB gzipped; ext4 on a virtual disk whose fsync is cheap, about 0.2 ms)::

                                       SQLite, WAL, FULL        segments, CRC-32, fdatasync
    write one report, durable          0.21-0.28 ms median      0.25-0.31 ms median
                                       (p90 0.7-0.9 ms)         (p90 0.3-0.4 ms)
    acknowledge one, durable           0.14-0.20 ms median      (a cursor log of its own)
    open a full spool: 24,000          0.2 s warm, 3.0 s cold   0.1 s warm, 0.3 s cold
      reports, 124 MiB                 (quick_check reads       (one sequential read)
                                       every page)
    file over the reports' bytes       +13 %                    +0.3 %

Both are bound by the fsync (a few ms on a real SSD, more on an SD card); at a ward's pace
(a report every few seconds, an ack per collector) either costs well under 1 % of a core.
Segments open faster from a cold cache (3 s against 0.3 s, once per boot, and only with a
full spool) and waste less space. What decides is what the spool must do beside appending:
acknowledgements out of order (the newest report goes out before the backlog), a cursor per
collector, dropping the oldest by bytes and by age, and the sequence number, each change
atomic with the others. In SQLite each is one short transaction; with segments each would
need its own log, its own compaction and its own crash recovery, written and tested here.
SQLite also brings its own integrity check, torn-write protection of the WAL, and a file any
operator can open with ``sqlite3``.

The durability trade-off: ``synchronous=FULL`` costs one fsync per write and per
acknowledgement: three per report with two collectors, about 0.6 ms here and a few ms on a
real SSD, for a report every few seconds. ``synchronous=NORMAL`` would skip them and still
survive ``kill -9``, but not a power cut: the last commits before it would be lost (reports
written, acknowledgements recorded). A ward box loses power more often than it runs out of
disk bandwidth, so: FULL.

What is guaranteed:

* **Written before sent.** :meth:`put` returns once the report is committed; only then can a
  shipper see it.
* **Nothing acknowledged is resent twice.** An acknowledgement is committed before the shipper
  moves on. A crash between the collector's answer and that commit resends that one report
  once: at most one resend per collector per crash, which the collector drops as a duplicate
  by its seq (answered with its ack, counted once).
* **Sequence numbers continue** after the last one written, across restarts (the file keeps
  it even when every report was delivered).
* **Bounded**, by ``max_bytes`` (the reports' bytes) and ``max_age``: reaching a bound drops
  the oldest reports, and a full disk drops the oldest until the write fits. Each dropped
  report counts, for every collector that had not acknowledged it, in
  ``netmon_agent_reports_dropped_total`` and its samples in
  ``netmon_agent_spool_dropped_samples_total`` (reason ``max_bytes``, ``max_age``,
  ``disk_full``, ``corrupt``), with one log line when dropping starts and one when it stops
  (a minute without a drop). A report dropped while it is being sent is counted only if
  that send fails.
* **A corrupt file** is renamed aside, what can be read of it is kept, the agent goes on
  (``netmon_agent_spool_quarantined_total`` and a log line).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from agent.config import SpoolConfig
from agent.errors import ConfigError
from agent.metrics import AgentMetrics
from agent.outbox import SpoolStats
from agent.report import EncodedReport
from agent.spool_cursor import Cursor
from agent.spool_file import Corrupt, Opened, Row, SpoolFile, Written

__all__ = ["Spool", "SpoolDelivery"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Bodies of the newest reports kept in memory too, so live reports are sent without a read.
RECENT = 16
#: A dropping episode ends after this long without a drop (for that reason): a full disk
#: drops in bursts, a bound at every write, and each episode is one line when it starts and
#: one when it ends.
EPISODE_QUIET = 60.0


class Spool:
    """The durable outbox of one agent; see the module's doc."""

    def __init__(self, file: SpoolFile, opened: Opened, config: SpoolConfig,
                 catchup_rate: float, metrics: AgentMetrics, agent_id: str = "",
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.metrics = metrics
        self.agent_id = agent_id
        self._file = file
        self._clock = clock
        self._lock = asyncio.Lock()
        self._bits = dict(opened.bits)
        self._all = sum(1 << bit for bit in self._bits.values())
        self._rows: dict[int, Row] = {}
        self._bytes = 0
        self._recent: collections.OrderedDict[int, bytes] = collections.OrderedDict()
        self._cursors = {name: Cursor(name, bit, catchup_rate)
                         for name, bit in self._bits.items()}
        self._wake = {name: asyncio.Event() for name in self._bits}
        self._deliveries = {name: SpoolDelivery(self, name) for name in self._bits}
        #: (collector, seq) of reports dropped while in flight: reason, samples, counted
        #: only when the send fails.
        self._in_flight_drops: dict[tuple[str, int], tuple[str, int]] = {}
        #: reason -> [reports, samples, when the last was dropped]
        self._episodes: dict[str, list[float]] = {}
        self._ack_failing = False
        self._broken = False  # the file failed and could not be reopened yet
        self._idle = asyncio.Event()
        self._next_seq = opened.next_seq
        self._load(opened.rows)

    # --- open / close -------------------------------------------------------------------

    @classmethod
    async def open(cls, config: SpoolConfig, collectors: Sequence[str], *,
                   catchup_rate: float, metrics: AgentMetrics, agent_id: str = "",
                   clock: Callable[[], float] = time.time) -> Spool:
        """Open the spool file (in a worker thread), quarantining a corrupt one."""
        path = Path(config.path)
        started = time.monotonic()
        file, opened = await asyncio.to_thread(SpoolFile.open, path, list(collectors), clock)
        spool = cls(file, opened, config, catchup_rate, metrics, agent_id, clock)
        if opened.quarantined is not None:
            metrics.quarantined += 1
            log.error("spool file was corrupt, moved aside; the agent goes on with a fresh "
                      "spool agent=%s spool=%s quarantined=%s recovered_reports=%d problem=%s",
                      agent_id, path, opened.quarantined, opened.recovered, opened.problem)
        if opened.forgotten:
            log.warning("spool reports wanted only by collectors no longer configured were "
                        "dropped agent=%s spool=%s reports=%d", agent_id, path, opened.forgotten)
        log.info("spool opened agent=%s spool=%s reports=%d bytes=%d next_seq=%d "
                 "seconds=%.3f", agent_id, path, len(spool._rows), spool._bytes,
                 spool.next_seq, time.monotonic() - started)
        await spool._apply_bounds()
        return spool

    async def close(self) -> None:
        """Close the file once the operation running on it (if any) is finished. Reports
        dropped from the spool while in flight, whose send never finished, count as lost
        now (the collector may have had one of them: then it was counted once too often)."""
        for (collector, _), (reason, samples) in self._in_flight_drops.items():
            self.metrics.spool_drop(collector, reason, 1, samples)
        self._in_flight_drops.clear()
        async with self._lock:
            await asyncio.to_thread(self._file.close)

    # --- Outbox -------------------------------------------------------------------------

    @property
    def next_seq(self) -> int:
        return self._next_seq

    def delivery(self, collector: str) -> SpoolDelivery:
        return self._deliveries[collector]

    def depths(self) -> dict[str, int]:
        return {name: len(cursor) for name, cursor in self._cursors.items()}

    def stats(self) -> SpoolStats:
        now = self._clock()
        oldest = next(iter(self._rows.values()), None)
        ages = {name: max(0.0, now - self._rows[c.pending[0]].created) if c.pending else 0.0
                for name, c in self._cursors.items()}
        return SpoolStats(len(self._rows), self._bytes,
                          max(0.0, now - oldest.created) if oldest is not None else 0.0,
                          self.depths(), ages)

    async def wait_idle(self) -> None:
        await self._idle.wait()

    async def put(self, report: EncodedReport) -> None:
        """Write ``report`` for every collector (dropping the oldest at a bound); returns once
        it is durable, or once it is known that it could not be written (counted)."""
        self._next_seq = max(self._next_seq, report.seq + 1)
        if self._broken:
            await self._reopen(None)
        row = Row(report.seq, report.created, report.samples, len(report.body),
                  report.exporter, self._all)
        victims: list[tuple[Row, str]] = []

        def job() -> tuple[Callable[[], Written], Callable[[Written], None]]:
            victims.extend(self._victims(self._clock(), row.size))
            seqs = [victim.seq for victim, _ in victims]
            return (lambda: self._file.write(row, report.body, seqs),
                    lambda written: self._written(row, report.body, victims, written))

        try:
            await self._locked(job)
        except sqlite3.Error as exc:
            # not a full disk (handled below it): an I/O error, or corruption found now
            if not self._broken:
                log.error("spool write failed, report dropped; reopening the spool agent=%s "
                          "seq=%d error=%s: %s", self.agent_id, report.seq,
                          type(exc).__name__, exc)
            self._count_lost(row, "corrupt" if _is_corruption(exc) else "disk_full")
            await self._reopen(exc)

    # --- bounds -------------------------------------------------------------------------

    def _victims(self, now: float, incoming: int) -> list[tuple[Row, str]]:
        """The oldest reports to drop so that one more of ``incoming`` bytes, written at
        ``now``, keeps the spool within its bounds."""
        out: list[tuple[Row, str]] = []
        too_old = now - self.config.max_age
        size = self._bytes + incoming
        for row in self._rows.values():
            if row.created < too_old:
                out.append((row, "max_age"))
            elif size > self.config.max_bytes:
                out.append((row, "max_bytes"))
            else:
                break
            size -= row.size
        return out

    async def _apply_bounds(self) -> None:
        victims: list[tuple[Row, str]] = []

        def job() -> tuple[Callable[[], bool], Callable[[bool], None]]:
            victims.extend(self._victims(self._clock(), 0))
            seqs = [victim.seq for victim, _ in victims]

            def then(ok: bool) -> None:
                if ok:
                    for victim, reason in victims:
                        self._drop(victim, reason)
            return (lambda: self._file.delete(seqs) if seqs else True), then

        await self._locked(job)

    # --- what the thread found, applied on the loop (under the lock) ----------------------

    def _written(self, row: Row, body: bytes, victims: list[tuple[Row, str]],
                 written: Written) -> None:
        reasons: set[str] = set()
        if written.victims_deleted:
            for victim, reason in victims:
                self._drop(victim, reason)
                reasons.add(reason)
        for gone in written.deleted:
            if gone.seq in self._rows:
                self._drop(self._rows[gone.seq], "disk_full")
                reasons.add("disk_full")
        if written.written:
            self._add(row, body)
        else:
            self._count_lost(row, "disk_full")
            reasons.add("disk_full")
        self._episodes_end(reasons)

    def _add(self, row: Row, body: bytes) -> None:
        self._rows[row.seq] = row
        self._bytes += row.size
        self._recent[row.seq] = body
        while len(self._recent) > RECENT:
            self._recent.popitem(last=False)
        for name, cursor in self._cursors.items():
            cursor.add(row.seq)
            self._wake[name].set()
        self._idle.clear()

    def _load(self, rows: Iterable[Row]) -> None:
        """(Re)build the index from the rows on disk."""
        self._rows = {row.seq: row for row in rows}
        self._bytes = sum(row.size for row in self._rows.values())
        for name, cursor in self._cursors.items():
            bit = 1 << cursor.bit
            cursor.pending = [seq for seq, row in self._rows.items() if row.pending & bit]
            if cursor.pending:
                cursor.frontier = max(cursor.frontier, cursor.pending[-1])
            self._wake[name].set()
        self._update_idle()

    def _drop(self, row: Row, reason: str) -> None:
        """``row`` left the disk without being delivered to the collectors that still
        needed it: count it for each (or, if in flight there, when the send fails)."""
        self._forget(row)
        self._episode(row, reason)
        for name, cursor in self._cursors.items():
            if row.pending & (1 << cursor.bit) and cursor.remove(row.seq):
                if cursor.in_flight == row.seq:
                    self._in_flight_drops[name, row.seq] = (reason, row.samples)
                else:
                    self.metrics.spool_drop(name, reason, 1, row.samples)
        self._update_idle()

    def _count_lost(self, row: Row, reason: str) -> None:
        """A report that never made it to disk: lost for every collector."""
        self._episode(row, reason)
        for name in self._cursors:
            self.metrics.spool_drop(name, reason, 1, row.samples)

    def _episode(self, row: Row, reason: str) -> None:
        episode = self._episodes.get(reason)
        if episode is None:
            self._episodes[reason] = episode = [0, 0, 0.0]
            log.warning("spool dropping reports agent=%s reason=%s seq=%d max_bytes=%d "
                        "max_age=%gs", self.agent_id, reason, row.seq, self.config.max_bytes,
                        self.config.max_age)
        episode[0] += 1
        episode[1] += row.samples
        episode[2] = self._clock()

    def _episodes_end(self, active: set[str]) -> None:
        now = self._clock()
        for reason, (reports, samples, last) in list(self._episodes.items()):
            if reason not in active and now - last >= EPISODE_QUIET:
                del self._episodes[reason]
                log.warning("spool stopped dropping reports agent=%s reason=%s "
                            "dropped_reports=%d dropped_samples=%d", self.agent_id, reason,
                            reports, samples)

    def _forget(self, row: Row) -> None:
        if self._rows.pop(row.seq, None) is not None:
            self._bytes -= row.size
        self._recent.pop(row.seq, None)

    def _update_idle(self) -> None:
        if any(self._cursors.values()) or self._in_flight_drops:
            self._idle.clear()
        else:
            self._idle.set()

    # --- delivery -----------------------------------------------------------------------

    async def _next(self, collector: str) -> EncodedReport:
        cursor = self._cursors[collector]
        wake = self._wake[collector]
        loop = asyncio.get_running_loop()
        while True:
            seq, wait = cursor.choose(loop.time())
            if seq is None:
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await wake.wait()
                continue
            report = await self._read(seq)
            if report is not None:
                return dataclasses.replace(report, backlog=cursor.in_flight_backlog)
            self._release(collector, seq, delivered=False)

    async def _read(self, seq: int) -> EncodedReport | None:
        """The report ``seq`` from memory or disk; None when it is gone or corrupt (dropped
        and counted), or the file failed (after a pause: it is tried again)."""
        row = self._rows.get(seq)
        if row is None:
            return None
        body = self._recent.get(seq)
        if body is None:
            outcome: list[bytes | sqlite3.Error | None] = []

            def job() -> tuple[Callable[[], bytes | sqlite3.Error | None],
                               Callable[[bytes | sqlite3.Error | None], None]]:
                def read() -> bytes | sqlite3.Error | None:
                    try:
                        return self._file.read(seq)
                    except Corrupt as exc:
                        with contextlib.suppress(sqlite3.Error):
                            self._file.delete([seq])
                        return exc
                    except sqlite3.Error as exc:
                        return exc
                return read, outcome.append

            await self._locked(job)
            found = outcome[0] if outcome else None
            if found is None and seq not in self._rows:
                return None  # dropped (a bound) while waiting for the file: counted there
            if isinstance(found, Corrupt) or found is None:
                log.error("spool report unreadable, dropped agent=%s seq=%d error=%s",
                          self.agent_id, seq, found or "missing from the file")
                if seq in self._rows:
                    self._drop(self._rows[seq], "corrupt")
                return None
            if isinstance(found, sqlite3.Error):
                if not self._broken:
                    log.error("spool read failed, will retry agent=%s seq=%d error=%s: %s",
                              self.agent_id, seq, type(found).__name__, found)
                await asyncio.sleep(1.0)
                return None
            body = found
        return EncodedReport(row.seq, body, row.created, row.samples, row.exporter)

    async def _wait_newer(self, collector: str, timeout: float) -> bool:
        cursor, wake = self._cursors[collector], self._wake[collector]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not cursor.has_newer():
            left = deadline - loop.time()
            if left <= 0:
                return False
            wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await wake.wait()
        return True

    def _kept(self, collector: str, seq: int) -> bool:
        return seq in self._cursors[collector]

    async def _done(self, collector: str, report: EncodedReport, delivered: bool) -> None:
        cursor = self._cursors[collector]
        seq = report.seq
        if (collector, seq) in self._in_flight_drops or seq not in cursor:
            self._release(collector, seq, delivered)
            return
        bit = cursor.bit

        def job() -> tuple[Callable[[], bool], Callable[[bool], None]]:
            def then(ok: bool) -> None:
                if not ok and not self._ack_failing:
                    log.warning("spool could not record an acknowledgement (disk full): the "
                                "report may be sent once more after a restart, and the "
                                "collector drops it as a duplicate agent=%s collector=%s "
                                "seq=%d", self.agent_id, collector, seq)
                self._ack_failing = not ok
                self._acked(collector, seq)
            if seq not in self._rows:  # dropped while waiting for the lock
                return (lambda: True), lambda ok: self._release(collector, seq, delivered)
            return (lambda: self._file.ack(seq, bit)), then

        try:
            await self._locked(job)
        except sqlite3.Error as exc:
            log.error("spool could not record an acknowledgement agent=%s collector=%s seq=%d "
                      "error=%s: %s", self.agent_id, collector, seq, type(exc).__name__, exc)
            self._acked(collector, seq)
            await self._reopen(exc)

    def _acked(self, collector: str, seq: int) -> None:
        cursor = self._cursors[collector]
        cursor.remove(seq)
        cursor.release()
        row = self._rows.get(seq)
        if row is not None:
            row.pending &= ~(1 << cursor.bit)
            if not row.pending:
                self._forget(row)
        self._update_idle()

    def _release(self, collector: str, seq: int, delivered: bool) -> None:
        """The in-flight report is done without an acknowledgement to record: count it if it
        was dropped while in flight and did not get through."""
        cursor = self._cursors[collector]
        cursor.release()
        dropped = self._in_flight_drops.pop((collector, seq), None)
        if dropped is not None and not delivered:
            reason, samples = dropped
            self.metrics.spool_drop(collector, reason, 1, samples)
        self._update_idle()

    # --- running file operations ----------------------------------------------------------

    async def _locked(self, job: Callable[[], tuple[Callable[[], T], Callable[[T], None]]]
                      ) -> T:
        """Under the lock, ``job()`` (on the loop) says what to run in a worker thread and
        what to apply on the loop once it is done; the lock is held until both are, even if
        the caller is cancelled meanwhile."""
        await self._lock.acquire()
        try:
            work, then = job()
            future = asyncio.get_running_loop().run_in_executor(None, work)
        except BaseException:
            self._lock.release()
            raise

        def finish(done: asyncio.Future[T]) -> None:
            try:
                if not done.cancelled() and done.exception() is None:
                    then(done.result())
            finally:
                self._lock.release()

        future.add_done_callback(finish)
        return await asyncio.shield(future)

    async def _reopen(self, error: BaseException | None) -> None:
        """After an unexpected error from SQLite: reopen the file, which checks it (and
        quarantines it if it is corrupt), and rebuild the index from what is on disk. If
        that fails too, the agent goes on: each write tries again (each lost report
        counted), and the failure is logged once until it is over."""
        collectors = list(self._bits)
        async with self._lock:
            await asyncio.to_thread(self._file.close)
            try:
                file, opened = await asyncio.to_thread(
                    SpoolFile.open, self._file.path, collectors, self._clock)
            except (OSError, sqlite3.Error, ConfigError) as exc:
                if not self._broken:
                    log.critical("spool cannot be reopened; reports are counted as dropped "
                                 "until it can agent=%s spool=%s error=%s: %s", self.agent_id,
                                 self._file.path, type(exc).__name__, exc)
                self._broken = True
                return
            if self._broken:
                log.warning("spool reopened agent=%s spool=%s", self.agent_id, file.path)
            self._broken = False
            self._file = file
            if opened.quarantined is not None:
                self.metrics.quarantined += 1
                log.error("spool file was corrupt, moved aside agent=%s spool=%s "
                          "quarantined=%s recovered_reports=%d problem=%s after=%s",
                          self.agent_id, file.path, opened.quarantined, opened.recovered,
                          opened.problem, error)
            kept = {row.seq for row in opened.rows}
            for row in [r for seq, r in self._rows.items() if seq not in kept]:
                self._drop(row, "corrupt")
            self._next_seq = max(self._next_seq, opened.next_seq)
            in_flight = {name: c.in_flight for name, c in self._cursors.items()}
            self._load(opened.rows)
            for name, seq in in_flight.items():
                self._cursors[name].in_flight = seq


def _is_corruption(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_CORRUPT,
                                                      sqlite3.SQLITE_NOTADB)


class SpoolDelivery:
    """One collector's :class:`~agent.outbox.Delivery` from the spool."""

    def __init__(self, spool: Spool, collector: str) -> None:
        self._spool = spool
        self.collector = collector

    async def next(self) -> EncodedReport:
        return await self._spool._next(self.collector)

    def kept(self, report: EncodedReport) -> bool:
        return self._spool._kept(self.collector, report.seq)

    async def done(self, report: EncodedReport, delivered: bool) -> None:
        await self._spool._done(self.collector, report, delivered)

    async def requeue(self, report: EncodedReport) -> None:
        self._spool._release(self.collector, report.seq, delivered=False)

    async def wait_newer(self, timeout: float) -> bool:
        return await self._spool._wait_newer(self.collector, timeout)
