"""The collector's own spool of pending remote writes: SQLite in WAL mode, in one thread.

Each row is one request body, ready to send: a snappy-compressed WriteRequest of at most
``max_samples_per_send`` samples, with when it was spooled and how many samples it holds.
Rows go out oldest first and are deleted when the store has answered (2xx, or a rejection).

* **Why SQLite** (rather than a bounded queue in memory spilled to files): a committed row
  survives ``kill -9`` of the collector, and the push that carried it is acknowledged only
  after that commit, so an agent never drops a report whose late samples only the
  collector held. WAL with ``synchronous=NORMAL``: a commit is a write to the WAL, not an
  fsync (power loss can cost the last commits; a crash of the process cannot). One
  thread owns the connection; nothing touches SQLite on the event loop. ``path`` unset
  keeps the spool in memory (gone when the collector stops: a warning says how much).
* **Bounded.** ``max_bytes`` caps the bodies' bytes (the file is somewhat larger: pages,
  the WAL until its checkpoint). Spooling past it drops the oldest rows (never the one being
  sent); the caller counts their samples as ``dropped``. A ward router's report is about
  1,000 samples: 276 kB of protobuf, 22 kB spooled.
* **One process per spool**: an exclusive ``flock`` on ``<path>.lock`` (two collectors on
  one file would send every row twice).
* **A corrupt file** (not a database, or a foreign schema) is renamed ``<path>.corrupt-<unix
  time>`` and a new spool is started: logged as an error, with the file kept for inspection.
* The index of rows (id, time, samples, bytes) lives on the loop, so the depth, the lag
  and the next row are known without a query.
* **What was acknowledged.** With the rows of a push, in the same transaction, goes the
  agent's set of acknowledged report numbers (as ranges) and its newest batch time
  (:class:`Acked`): a collector killed after the commit and before its answer reached the
  agent finds, at its next start, that the report it is sent again was already spooled, and
  answers it as a duplicate instead of forwarding its samples a second time.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

from collector.clock import Clock
from collector.remote_write.config import SpoolConfig
from collector.remote_write.errors import SpoolError

log = logging.getLogger(__name__)

__all__ = ["Acked", "Entry", "Pending", "Spool", "SpoolFile"]

_SCHEMA_VERSION: Final = 1
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Pending:
    """A request body to spool."""

    body: bytes           # snappy-compressed WriteRequest
    samples: int
    oldest_ts: float      # the oldest sample's time (Unix seconds), for log lines


@dataclass(frozen=True, slots=True)
class Acked:
    """An agent's acknowledged report numbers, as ``[(first, last), ...]`` ranges, and the
    time of the newest batch accepted from it (agent clock)."""

    agent: str
    ranges: tuple[tuple[int, int], ...]
    newest_ts: float


@dataclass(frozen=True, slots=True)
class Entry:
    """A spooled row, as the loop knows it."""

    id: int
    enqueued: float       # Unix time it was spooled
    samples: int
    size: int


class SpoolFile:
    """The SQLite side: every method runs in the spool's one thread."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock: int | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = _lock(path)
        try:
            self.db = self._connect()
        except sqlite3.OperationalError:  # cannot open, read-only...: not a corrupt file
            self._unlock()
            raise
        except sqlite3.DatabaseError as exc:
            if path is None:
                raise
            quarantine = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
            path.rename(quarantine)
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            log.error("remote_write spool is not readable (%s): moved to %s, starting an empty "
                      "spool path=%s", exc, quarantine, path)
            self.db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        target = ":memory:" if self.path is None else str(self.path)
        db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        try:
            if self.path is not None:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            if version == 0 and not tables:
                db.execute("CREATE TABLE pending (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "enqueued REAL NOT NULL, oldest_ts REAL NOT NULL, "
                           "samples INTEGER NOT NULL, body BLOB NOT NULL)")
                db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
            elif version != _SCHEMA_VERSION or "pending" not in tables:
                raise sqlite3.DatabaseError(f"schema version {version}, tables "
                                            f"{sorted(tables)}: not a netmon spool")
            db.execute("CREATE TABLE IF NOT EXISTS acked (agent TEXT PRIMARY KEY, "
                       "ranges TEXT NOT NULL, newest_ts REAL NOT NULL)")
            db.execute("SELECT count(*) FROM pending").fetchone()  # reads every page header
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def entries(self) -> list[Entry]:
        rows = self.db.execute("SELECT id, enqueued, samples, length(body) FROM pending "
                               "ORDER BY id")
        return [Entry(*row) for row in rows]

    def acked(self) -> list[Acked]:
        out = []
        for agent, ranges, newest in self.db.execute("SELECT agent, ranges, newest_ts "
                                                     "FROM acked"):
            try:
                pairs = tuple((int(a), int(b)) for a, b in json.loads(ranges))
            except (ValueError, TypeError):
                log.error("remote_write spool: unreadable acknowledged ranges of agent=%s, "
                          "ignored", agent)
                continue
            out.append(Acked(agent, pairs, float(newest)))
        return out

    def put(self, enqueued: float, items: Sequence[Pending],
            acked: Acked | None = None) -> list[Entry]:
        out = []
        self.db.execute("BEGIN")
        try:
            for item in items:
                cursor = self.db.execute(
                    "INSERT INTO pending (enqueued, oldest_ts, samples, body) VALUES "
                    "(?, ?, ?, ?)", (enqueued, item.oldest_ts, item.samples, item.body))
                assert cursor.lastrowid is not None
                out.append(Entry(cursor.lastrowid, enqueued, item.samples, len(item.body)))
            if acked is not None:
                self.db.execute("INSERT OR REPLACE INTO acked (agent, ranges, newest_ts) "
                                "VALUES (?, ?, ?)", (acked.agent, json.dumps(acked.ranges),
                                                     acked.newest_ts))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return out

    def body(self, entry_id: int) -> bytes | None:
        row = self.db.execute("SELECT body FROM pending WHERE id = ?", (entry_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def delete(self, ids: Sequence[int]) -> None:
        self.db.executemany("DELETE FROM pending WHERE id = ?", [(i,) for i in ids])

    def close(self) -> None:
        self.db.close()
        self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)      # releases the flock
            self._lock = None


def _lock(path: Path) -> int:
    """An exclusive lock on ``<path>.lock``: two collectors on one spool would send every
    row twice."""
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise OSError(f"{path} is in use by another collector process") from None
    return fd


class Spool:
    """The loop side: the index, the bound, and the thread that owns the file."""

    def __init__(self, config: SpoolConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.index: OrderedDict[int, Entry] = OrderedDict()
        self.pending_samples = 0
        self.pending_bytes = 0
        self.in_flight: int | None = None
        #: Acknowledged report numbers found at open (see :class:`Acked`).
        self.acked: list[Acked] = []
        self._executor: ThreadPoolExecutor | None = None
        self._file: SpoolFile | None = None

    async def _call(self, fn: Callable[..., _T], *args: object) -> _T:
        if self._executor is None:
            raise SpoolError("the remote_write spool is closed")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        except (sqlite3.Error, OSError) as exc:
            raise SpoolError(f"remote_write spool {self.config.path or '(memory)'}: {exc}"
                             ) from exc

    async def open(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="netmon-remote-write-spool")
        self._file = await self._call(SpoolFile, self.config.path)
        for entry in await self._call(self._file.entries):
            self._add(entry)
        self.acked = await self._call(self._file.acked)
        if self.index:
            log.info("remote_write spool reopened with %d samples (%d bytes) pending path=%s",
                     self.pending_samples, self.pending_bytes, self.config.path)
        elif self.config.path is None:
            log.warning("remote_write spool is in memory: what is pending when the collector "
                        "stops is lost (set remote_write.spool.path)")

    async def close(self) -> None:
        if self._executor is None:
            return
        if self._file is not None:
            await self._call(self._file.close)
        self._executor.shutdown(wait=True)
        self._executor = None
        if self.config.path is None and self.pending_samples:
            log.warning("remote_write spool in memory: %d pending samples lost at stop",
                        self.pending_samples)

    def _add(self, entry: Entry) -> None:
        self.index[entry.id] = entry
        self.pending_samples += entry.samples
        self.pending_bytes += entry.size

    def _forget(self, entry_id: int) -> Entry | None:
        entry = self.index.pop(entry_id, None)
        if entry is not None:
            self.pending_samples -= entry.samples
            self.pending_bytes -= entry.size
        return entry

    async def put(self, make: Callable[[], Sequence[Pending]],
                  acked: Acked | None = None) -> int:
        """Spool what ``make()`` returns (it runs in the spool's thread: encode there), and
        ``acked`` in the same transaction; returns the samples dropped to stay within
        ``max_bytes`` (oldest first)."""
        file = self._file
        if file is None:
            raise SpoolError("the remote_write spool is not open")
        enqueued = self.clock.wall()

        def work() -> list[Entry]:
            return file.put(enqueued, make(), acked)

        for entry in await self._call(work):
            self._add(entry)
        victims: list[Entry] = []
        excess = self.pending_bytes - self.config.max_bytes
        for entry in self.index.values():
            if excess <= 0:
                break
            if entry.id != self.in_flight:
                victims.append(entry)
                excess -= entry.size
        if not victims:
            return 0
        try:
            await self._call(file.delete, [v.id for v in victims])
        except SpoolError as exc:  # over the bound until the next put: the rows are safe
            log.error("remote_write spool: cannot drop the oldest rows: %s", exc)
            return 0
        return sum(e.samples for v in victims if (e := self._forget(v.id)) is not None)

    def head(self) -> Entry | None:
        return next(iter(self.index.values()), None)

    def oldest_enqueued(self) -> float | None:
        entry = self.head()
        return None if entry is None else entry.enqueued

    async def body(self, entry: Entry) -> bytes | None:
        if self._file is None:
            raise SpoolError("the remote_write spool is not open")
        return await self._call(self._file.body, entry.id)

    async def remove(self, entry: Entry) -> None:
        if self._file is None:
            raise SpoolError("the remote_write spool is not open")
        await self._call(self._file.delete, [entry.id])
        self._forget(entry.id)
