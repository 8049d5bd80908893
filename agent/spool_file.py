"""The spool's file: SQLite in WAL mode, every call blocking (run it in a worker thread).

    opened = SpoolFile.open(path, ["dc-primary", "dc-backup"])   # checks, quarantines, recovers
    spool_file.write(row, body, victims)    # delete victims + insert + last_seq: one transaction
    spool_file.ack(seq, bit)                # clear the collector's bit; a row no one needs goes
    spool_file.read(seq)                    # the body, checked against its CRC-32

Schema (``user_version`` 1)::

    meta(key, value)              'last_seq': the highest seq ever written (survives deletes)
    collectors(name, bit)         each configured collector's bit in ``pending``
    reports(seq PRIMARY KEY, created, samples, size, exporter, pending, crc, body)

``pending`` is a bit mask: the collectors that have not acknowledged the report yet. A report
is inserted with every configured collector's bit set; an acknowledgement clears one bit and
deletes the row when none is left, in one transaction. That is each collector's cursor, and
it allows acknowledgements out of order (the newest report goes out before the backlog).

Durability: ``journal_mode=WAL`` and ``synchronous=FULL``: a commit returns after the
write-ahead log is fsynced, so a written report and a recorded acknowledgement survive
``kill -9`` and power loss at any instant (SQLite's atomic commit; the WAL's frame checksums
discard a torn tail). ``locking_mode=EXCLUSIVE``: one agent per file (a second one is refused
at open, even in the same process), and no ``-shm`` file. The file is the reports plus some
per cent of b-tree pages, plus a WAL of at most about 256 KiB and the reserve (below).

Corruption is looked for at open: ``PRAGMA quick_check`` (every page's structure) and the
schema; garbage in a report's bytes that keeps the structure intact is caught by the
report's CRC-32 when it is read. A file that fails is renamed aside with its WAL
(``spool.db.corrupt-20261127T193000Z``), the rows that can still be read and pass their CRC
are copied into a fresh file, and the agent goes on. What SQLite cannot see: garbage in the
middle of the WAL ends the log there (its checksums cannot tell a torn write from damage), so
transactions after it are lost without an error.

A full disk (``SQLITE_FULL``, or ``SQLITE_IOERR_WRITE`` for a file-size limit) is handled
here. The WAL is checkpointed every 64 pages (256 KiB) and truncated to that after, and a
``-reserve`` file of 512 KiB is kept beside the spool: with the disk at 0 bytes free, a
checkpoint still needs to grow the file by up to the WAL's size, and even a delete needs
room in the WAL. On a full disk: checkpoint and truncate the WAL and try again; give the
reserve to the checkpoint and try again; then drop the oldest reports, a few at a time (their
pages are reused), until the write goes through or nothing is left. Every dropped row is
returned to the caller, which counts it. The reserve comes back after the next write that
has room for it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from exporters.errors import ConfigError

__all__ = ["MAX_COLLECTORS", "Opened", "Row", "SpoolFile", "Written"]

log = logging.getLogger(__name__)

T = TypeVar("T")

SCHEMA_VERSION = 1
#: ``pending`` is a signed 64-bit integer: one bit per collector.
MAX_COLLECTORS = 62
#: Room kept on disk for a full disk: twice what one checkpoint may add to the file.
RESERVE_BYTES = 512 * 1024
_WAL_PAGES = 64
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE collectors (name TEXT PRIMARY KEY, bit INTEGER NOT NULL UNIQUE) WITHOUT ROWID;
CREATE TABLE reports (
    seq INTEGER PRIMARY KEY, created REAL NOT NULL, samples INTEGER NOT NULL,
    size INTEGER NOT NULL, exporter TEXT NOT NULL, pending INTEGER NOT NULL,
    crc INTEGER NOT NULL, body BLOB NOT NULL);
"""
_TABLES = {"meta", "collectors", "reports"}
_SELECT_ROWS = ("SELECT seq, created, samples, size, exporter, pending FROM reports "
                "ORDER BY seq")
_SALVAGE = (
    "SELECT seq, created, samples, size, exporter, pending, crc, body FROM reports "
    "ORDER BY seq ASC",
    "SELECT seq, created, samples, size, exporter, pending, crc, body FROM reports "
    "ORDER BY seq DESC")


@dataclass(slots=True)
class Row:
    """What the spool keeps in memory of a report (its body stays on disk); ``pending`` is
    kept up to date as collectors acknowledge it."""

    seq: int
    created: float
    samples: int
    size: int
    exporter: str
    pending: int


@dataclass(slots=True)
class Opened:
    """What :meth:`SpoolFile.open` found."""

    rows: list[Row]
    bits: dict[str, int]
    next_seq: int
    #: Set when the file was corrupt: where it went, why, how many reports were saved.
    quarantined: Path | None = None
    problem: str = ""
    recovered: int = 0
    #: Reports dropped at open because no configured collector wants them any more.
    forgotten: int = 0


@dataclass(slots=True)
class Written:
    """The outcome of :meth:`SpoolFile.write`: whether the report is on disk, and every row
    deleted to make room beyond the victims it was given."""

    written: bool
    deleted: list[Row] = field(default_factory=list)
    #: The victims were deleted (always, when ``written``; when not, maybe).
    victims_deleted: bool = False


class Corrupt(sqlite3.DatabaseError):
    """The file is not a sound spool; the message says what was found."""


def _full(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code == sqlite3.SQLITE_FULL or code == getattr(sqlite3, "SQLITE_IOERR_WRITE", 778)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _connect(path: Path | str, uri: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=0.5, isolation_level=None, check_same_thread=False,
                           uri=uri)
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        # a new file only (before its first page is written): free pages can go back to the
        # file system (see _shrink)
        conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()
        if mode is None or str(mode[0]).lower() != "wal":
            raise Corrupt(f"cannot switch the journal to WAL (got {mode!r})")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"PRAGMA wal_autocheckpoint={_WAL_PAGES}")
        conn.execute(f"PRAGMA journal_size_limit={_WAL_PAGES * 4096}")
    except BaseException:
        conn.close()
        raise
    return conn


class SpoolFile:
    """The open SQLite file. Not thread-safe: one caller at a time (:mod:`agent.spool`
    serialises every call)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._reserve = Path(f"{path}-reserve")

    # --- open -----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, collectors: Sequence[str],
             clock: Callable[[], float] = time.time) -> tuple[SpoolFile, Opened]:
        """Open (or create) the spool at ``path`` for ``collectors``; a corrupt file is
        quarantined and what can be read of it recovered. Raises
        :class:`~exporters.errors.ConfigError` when the file cannot be used at all (no
        permission, another agent holds it)."""
        if len(collectors) > MAX_COLLECTORS:
            raise ConfigError(f"at most {MAX_COLLECTORS} collectors per agent "
                              f"(got {len(collectors)})")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"spool {path}: cannot create its directory: "
                              f"{exc.strerror or exc}") from None
        quarantined: Path | None = None
        problem = ""
        salvage: _Salvage | None = None
        try:
            conn = cls._open_sound(path)
        except Corrupt as exc:
            problem = str(exc)
            try:
                quarantined = _quarantine(path, clock())
            except OSError as err:
                raise ConfigError(f"spool {path} is corrupt ({problem}) and cannot be set "
                                  f"aside: {err.strerror or err}") from None
            salvage = _salvage(quarantined)
            conn = cls._open_sound(path)  # a fresh file: no longer corrupt
        spool = cls(path, conn)
        try:
            bits = spool._bind(collectors)
            forgotten = spool._forget_unbound()
            recovered = spool._restore(salvage, bits) if salvage is not None else 0
            rows = [Row(*r) for r in conn.execute(_SELECT_ROWS)]
            known = [seq for seq in (spool._last_seq(), salvage and salvage.last_seq,
                                     rows[-1].seq if rows else None) if seq]
            # After the last seq ever written. A fresh file (or one whose count was lost) starts
            # at the wall clock in ms, above an earlier file's seqs as long as that one wrote
            # fewer than 1,000 reports a second on average.
            next_seq = max(known) + 1 if known else 0
            if not known or (salvage is not None and salvage.last_seq is None):
                next_seq = max(next_seq, int(clock() * 1000))
            if spool._last_seq() != next_seq - 1:  # the count is on disk from the start
                spool._with_room(functools.partial(_set_last_seq, seq=next_seq - 1))
            spool._make_reserve()
        except BaseException:
            spool.close()
            raise
        return spool, Opened(rows, bits, next_seq, quarantined, problem, recovered, forgotten)

    @staticmethod
    def _open_sound(path: Path) -> sqlite3.Connection:
        fresh = not path.exists()
        try:
            conn = _connect(path)
            try:
                _check(conn)
            except BaseException:
                conn.close()
                raise
        except Corrupt:
            raise
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise ConfigError(f"spool {path} is in use by another agent: give each agent "
                                  "its own shipping.spool.path") from None
            if "unable to open" in str(exc) or "readonly" in str(exc):
                raise ConfigError(f"spool {path}: cannot open it ({exc}); check the path and "
                                  "its permissions") from None
            raise Corrupt(f"{type(exc).__name__}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise Corrupt(f"{type(exc).__name__}: {exc}") from None
        if fresh:
            _fsync_dir(path.parent)
        return conn

    def _bind(self, collectors: Sequence[str]) -> dict[str, int]:
        """Give each configured collector its bit; forget those no longer configured."""
        known = dict(self._conn.execute("SELECT name, bit FROM collectors").fetchall())
        gone = {name: bit for name, bit in known.items() if name not in collectors}
        bits = {name: bit for name, bit in known.items() if name not in gone}
        new = []
        for name in collectors:
            if name not in bits:
                bits[name] = min(set(range(MAX_COLLECTORS)) - set(bits.values()))
                new.append(name)

        def record(conn: sqlite3.Connection) -> None:
            for name, bit in gone.items():
                conn.execute("UPDATE reports SET pending = pending & ~? WHERE pending & ?",
                             (1 << bit, 1 << bit))
                conn.execute("DELETE FROM collectors WHERE name = ?", (name,))
            for name in new:
                conn.execute("INSERT INTO collectors (name, bit) VALUES (?, ?)",
                             (name, bits[name]))

        if gone or new:
            ok, _ = self._with_room(record)
            if not ok:
                raise ConfigError(f"spool {self.path}: the disk is full, the collectors "
                                  "cannot be recorded; free some space")
            for name in gone:
                log.info("collector no longer configured, its backlog is dropped "
                         "spool=%s collector=%s", self.path, name)
        return bits

    def _forget_unbound(self) -> int:
        ok, count = self._with_room(
            lambda conn: conn.execute("DELETE FROM reports WHERE pending = 0").rowcount)
        return (count or 0) if ok else 0

    def _last_seq(self) -> int | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
        return int(row[0]) if row is not None else None

    def _restore(self, salvage: _Salvage, bits: dict[str, int]) -> int:
        """Copy the salvaged rows in, each collector's bit moved to its bit in this file."""
        restored = 0
        try:
            with self._transaction() as conn:
                for row, crc, body in salvage.rows:
                    mask = 0
                    for name, old_bit in salvage.bits.items():
                        if row.pending & (1 << old_bit) and name in bits:
                            mask |= 1 << bits[name]
                    if not mask:
                        continue
                    conn.execute("INSERT OR IGNORE INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 (row.seq, row.created, row.samples, row.size, row.exporter,
                                  mask, crc, body))
                    restored += 1
                if salvage.last_seq is not None:
                    _set_last_seq(conn, salvage.last_seq)
        except sqlite3.Error as exc:
            log.error("reports read from the corrupt spool could not be written back "
                      "spool=%s error=%s", self.path, exc)
            return 0
        return restored

    # --- the reserve --------------------------------------------------------------------

    def _make_reserve(self) -> bool:
        if self._reserve.exists():
            return True
        try:
            fd = os.open(self._reserve, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.posix_fallocate(fd, 0, RESERVE_BYTES)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError:
            with contextlib.suppress(OSError):
                self._reserve.unlink()
            return False
        return True

    def _release_reserve(self) -> bool:
        try:
            self._reserve.unlink()
        except FileNotFoundError:
            return False
        return True

    # --- writes -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _checkpoint(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _spend_reserve(self) -> None:
        """Give the reserve's room to the checkpoint that could not grow the file."""
        self._release_reserve()
        self._checkpoint()

    def _with_room(self, write: Callable[[sqlite3.Connection], T]) -> tuple[bool, T | None]:
        """Run ``write`` in a transaction; on a full disk, checkpoint and truncate the WAL
        and try again, then give up the reserve for that checkpoint and try again. (False,
        None) when it still does not fit."""
        for step in (None, self._checkpoint, self._spend_reserve):
            if step is not None:
                step()
            try:
                with self._transaction() as conn:
                    return True, write(conn)
            except sqlite3.OperationalError as exc:
                if not _full(exc):
                    raise
        return False, None

    def write(self, row: Row, body: bytes, victims: Sequence[int]) -> Written:
        """Delete ``victims`` (reports the bounds give up) and insert the report, in one
        transaction. On a full disk, drop the oldest reports until it fits, then until the
        reserve fits again."""
        crc = zlib.crc32(body)

        def insert(conn: sqlite3.Connection, victims: Sequence[int]) -> None:
            _delete(conn, victims)
            conn.execute("INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (row.seq, row.created, row.samples, row.size, row.exporter,
                          row.pending, crc, body))
            _set_last_seq(conn, row.seq)

        result = Written(False)
        ok, _ = self._with_room(lambda conn: insert(conn, victims))
        if ok:
            result.written = result.victims_deleted = True
        elif victims:
            ok, _ = self._with_room(functools.partial(_delete, seqs=victims))
            result.victims_deleted = ok
        while ok and not result.written:
            ok, _ = self._with_room(lambda conn: insert(conn, ()))
            if ok:
                result.written = True
            elif self._drop_oldest(len(body), result, keep=row.seq):
                self._checkpoint()
                ok = True
        if not self._reserve.exists():
            self._restore_reserve(result, keep=row.seq)
        return result

    def _drop_oldest(self, size: int, result: Written, keep: int) -> bool:
        """Delete the oldest reports whose bytes make ``size`` (at least one, never
        ``keep``); False when there is none left or even that did not fit."""
        room: list[Row] = []
        total = 0
        for values in self._conn.execute(_SELECT_ROWS):
            if values[0] == keep:
                continue
            room.append(Row(*values))
            total += room[-1].size
            if total >= size:
                break
        if not room:
            return False
        ok, _ = self._with_room(functools.partial(_delete, seqs=[r.seq for r in room]))
        if ok:
            result.deleted += room
        return ok

    def _restore_reserve(self, result: Written, keep: int) -> None:
        """After the reserve was spent: give room back to the file system (dropping the
        oldest reports, then shrinking the file) until the reserve fits again."""
        for _ in range(64):
            self._checkpoint()
            self._shrink()
            if self._make_reserve():
                return
            if not self._drop_oldest(RESERVE_BYTES // 4, result, keep):
                return

    def _shrink(self) -> None:
        """Return free pages to the file system, a few at a time (each step needs room in
        the WAL for the pages it moves, and gives back more than that)."""
        for _ in range(256):
            free = self._conn.execute("PRAGMA freelist_count").fetchone()[0]
            if not free:
                return
            try:
                self._conn.execute(f"PRAGMA incremental_vacuum({min(free, 32)})").fetchall()
            except sqlite3.OperationalError as exc:
                if not _full(exc):
                    raise
                return
            finally:
                self._checkpoint()

    def delete(self, seqs: Sequence[int]) -> bool:
        """Delete reports (bounds reached without a write). False when the disk is full."""
        ok, _ = self._with_room(functools.partial(_delete, seqs=seqs))
        return ok

    def ack(self, seq: int, bit: int) -> bool:
        """Record durably that the collector with ``bit`` is done with report ``seq``; the
        report goes when no collector needs it. False when even that did not fit on disk."""
        def clear(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE reports SET pending = pending & ~? WHERE seq = ?",
                         (1 << bit, seq))
            conn.execute("DELETE FROM reports WHERE seq = ? AND pending = 0", (seq,))

        ok, _ = self._with_room(clear)
        return ok

    # --- reads --------------------------------------------------------------------------

    def read(self, seq: int) -> bytes | None:
        """The report's bytes; None when it is gone; raises :class:`Corrupt` when they do
        not match their CRC-32 (or SQLite finds the page damaged)."""
        try:
            found = self._conn.execute("SELECT crc, body FROM reports WHERE seq = ?",
                                       (seq,)).fetchone()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and not _corruption(exc):
                raise
            raise Corrupt(f"report {seq}: {exc}") from None
        if found is None:
            return None
        crc, body = found
        if zlib.crc32(body) != crc:
            raise Corrupt(f"report {seq}: its bytes do not match their CRC-32")
        return bytes(body)

    def file_bytes(self) -> int:
        """The file and its WAL, as they are on disk."""
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += os.stat(f"{self.path}{suffix}").st_size
        return total

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()
        with contextlib.suppress(OSError):
            self._reserve.unlink()


# --- helpers --------------------------------------------------------------------------------


def _corruption(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _delete(conn: sqlite3.Connection, seqs: Sequence[int]) -> None:
    conn.executemany("DELETE FROM reports WHERE seq = ?", [(seq,) for seq in seqs])


def _set_last_seq(conn: sqlite3.Connection, seq: int) -> None:
    """Raise the highest seq ever written to ``seq`` (never lower it)."""
    conn.execute("INSERT INTO meta (key, value) VALUES ('last_seq', ?) ON CONFLICT (key) "
                 "DO UPDATE SET value = max(value, excluded.value)", (seq,))


def _check(conn: sqlite3.Connection) -> None:
    """Raise :class:`Corrupt` unless ``conn`` is a sound spool (or an empty file, which
    becomes one)."""
    try:
        problems = [str(r[0]) for r in conn.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            raise Corrupt("quick_check: " + "; ".join(problems))
        tables = {str(r[0]) for r in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table'")}
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if not tables and version == 0:
            conn.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}"
                               f"PRAGMA user_version={SCHEMA_VERSION};COMMIT;")
            return
        if tables != _TABLES or version != SCHEMA_VERSION:
            raise Corrupt(f"not a netmon spool (tables {sorted(tables)}, version {version})")
        conn.execute("BEGIN IMMEDIATE")  # takes the exclusive lock now, and keeps it
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise
        raise Corrupt(f"{type(exc).__name__}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, Corrupt):
            raise
        raise Corrupt(f"{type(exc).__name__}: {exc}") from None


def _quarantine(path: Path, now: float) -> Path:
    """Rename the file and its WAL aside; return the new name of the file."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    for suffix in ("-wal", "-shm", ""):
        source = Path(f"{path}{suffix}")
        if source.exists():
            source.rename(f"{target}{suffix}")
    _fsync_dir(path.parent)
    return target


@dataclass(slots=True)
class _Salvage:
    rows: list[tuple[Row, int, bytes]]
    bits: dict[str, int]
    last_seq: int | None


def _salvage(path: Path) -> _Salvage:
    """Read what can be read from a quarantined file: every row whose bytes pass their
    CRC-32, scanning from the oldest until an error and from the newest back to it."""
    found: dict[int, tuple[Row, int, bytes]] = {}
    bits: dict[str, int] = {}
    last_seq: int | None = None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                               check_same_thread=False)
    except sqlite3.Error:
        return _Salvage([], {}, None)
    try:
        with contextlib.suppress(sqlite3.Error):
            bits = {str(n): int(b) for n, b in conn.execute("SELECT name, bit FROM collectors")}
        with contextlib.suppress(sqlite3.Error, TypeError, ValueError):
            row = conn.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
            last_seq = int(row[0]) if row is not None else None
        for query in _SALVAGE:
            with contextlib.suppress(sqlite3.Error):
                for values in conn.execute(query):
                    seq = int(values[0])
                    if seq in found:
                        break
                    crc, body = values[6], values[7]
                    if isinstance(body, bytes) and zlib.crc32(body) == crc \
                            and len(body) == values[3]:
                        found[seq] = (Row(*values[:6]), int(crc), body)
    finally:
        conn.close()
        with contextlib.suppress(OSError):
            Path(f"{path}-shm").unlink()
    return _Salvage([found[s] for s in sorted(found)], bits, last_seq)
