"""What the spool costs, and what the alternative would: the figures in agent/spool.py.

    python -m tests.agent.measure_spool [--dir DIR] [--writes 300] [--reports 24000]

With a ward router's real report (tests.collector.measure.ward_report: about 1,000 samples,
5.4 kB gzipped), in ``DIR`` (default: a temporary folder under /var/tmp, on disk):

* SQLite as the spool uses it (WAL, synchronous=FULL): one durable write per report, one
  durable acknowledgement per report and collector (milliseconds, median and 90th percentile);
* append-only segment files with a CRC-32 per record, ``fdatasync`` after each: the same
  writes;
* opening a full spool (``--reports``, default 24,000 reports, about 128 MiB): SQLite's
  ``quick_check`` plus loading the index, against reading every segment record and checking
  its CRC; and the file's size against the reports' bytes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import tempfile
import time
import zlib
from pathlib import Path

from agent.spool_file import Row, SpoolFile
from tests.collector.measure import ward_report


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    return (f"median {statistics.median(ordered) * 1000:.2f} ms, "
            f"p90 {ordered[int(len(ordered) * 0.9)] * 1000:.2f} ms")


def sqlite_writes(folder: Path, body: bytes, count: int) -> tuple[list[float], list[float]]:
    spool, opened = SpoolFile.open(folder / "spool.db", ["dc-primary", "dc-backup"])
    writes, acks = [], []
    seq = opened.next_seq
    for i in range(count):
        started = time.perf_counter()
        spool.write(Row(seq + i, time.time(), 1030, len(body), "snmp", 0b11), body, ())
        writes.append(time.perf_counter() - started)
        started = time.perf_counter()
        spool.ack(seq + i, 0)
        acks.append(time.perf_counter() - started)
    spool.close()
    return writes, acks


def segment_writes(folder: Path, body: bytes, count: int) -> list[float]:
    writes = []
    fd = os.open(folder / "segment-000001", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for i in range(count):
            started = time.perf_counter()
            record = struct.pack("<QII", i, len(body), zlib.crc32(body)) + body
            os.write(fd, record)
            os.fdatasync(fd)
            writes.append(time.perf_counter() - started)
    finally:
        os.close(fd)
    return writes


def fill_sqlite(folder: Path, body: bytes, count: int) -> Path:
    """A full spool, written in large transactions (only its reading is measured)."""
    path = folder / "full.db"
    spool, opened = SpoolFile.open(path, ["dc-primary", "dc-backup"])
    conn = spool._conn
    crc = zlib.crc32(body)
    now = time.time()
    for start in range(0, count, 2000):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            (opened.next_seq + i, now, 1030, len(body), "snmp", 0b11, crc, body)
            for i in range(start, min(count, start + 2000))])
        conn.execute("COMMIT")
    spool.close()
    return path


def fill_segments(folder: Path, body: bytes, count: int) -> list[Path]:
    paths = []
    per_segment = 2000  # about 10 MiB each
    for n, start in enumerate(range(0, count, per_segment)):
        path = folder / f"full-{n:06d}.seg"
        with path.open("wb") as f:
            for i in range(start, min(count, start + per_segment)):
                f.write(struct.pack("<QII", i, len(body), zlib.crc32(body)) + body)
        paths.append(path)
    return paths


def scan_segments(paths: list[Path]) -> int:
    records = 0
    for path in paths:
        data = path.read_bytes()
        at = 0
        while at + 16 <= len(data):
            _, size, crc = struct.unpack_from("<QII", data, at)
            payload = data[at + 16:at + 16 + size]
            if zlib.crc32(payload) != crc:
                break
            records += 1
            at += 16 + size
    return records


def drop_caches() -> None:
    """Read from the disk, not the page cache, when we may (root)."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        print("  (page cache not dropped: not root; open times are warm)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--reports", type=int, default=24_000)
    parser.add_argument("--cold", action="store_true",
                        help="drop the page cache before each open (root; disturbs others)")
    args = parser.parse_args()
    body = ward_report()
    print(f"report: {len(body)} bytes gzipped")
    with tempfile.TemporaryDirectory(dir=args.dir or "/var/tmp") as tmp:
        folder = Path(tmp)
        writes, acks = sqlite_writes(folder, body, args.writes)
        print(f"SQLite WAL FULL  write: {_ms(writes)}; ack: {_ms(acks)}")
        print(f"segments + CRC   write: {_ms(segment_writes(folder, body, args.writes))}")

        path = fill_sqlite(folder, body, args.reports)
        reports_bytes = args.reports * len(body)
        size = path.stat().st_size
        print(f"SQLite file: {size / 2**20:.1f} MiB for {reports_bytes / 2**20:.1f} MiB of "
              f"reports ({size / reports_bytes - 1:+.1%})")
        if args.cold:
            drop_caches()
        started = time.perf_counter()
        spool, opened = SpoolFile.open(path, ["dc-primary", "dc-backup"])
        elapsed = time.perf_counter() - started
        spool.close()
        print(f"SQLite open (quick_check + index of {len(opened.rows)} reports): "
              f"{elapsed:.2f} s{' cold' if args.cold else ''}")
        started = time.perf_counter()
        spool, opened = SpoolFile.open(path, ["dc-primary", "dc-backup"])
        print(f"SQLite open, warm: {time.perf_counter() - started:.2f} s")
        spool.close()

        segments = fill_segments(folder, body, args.reports)
        if args.cold:
            drop_caches()
        started = time.perf_counter()
        records = scan_segments(segments)
        elapsed = time.perf_counter() - started
        print(f"segments scan (CRC of {records} records): {elapsed:.2f} s"
              f"{' cold' if args.cold else ''}")
        started = time.perf_counter()
        scan_segments(segments)
        print(f"segments scan, warm: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
