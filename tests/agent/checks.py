"""Checks shared by the agent's tests."""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from agent.spool_cursor import BURST


def assert_paced(times: list[float], rate: float, burst: int = BURST) -> None:
    """No stretch of a catch-up (arrival times, in order) went faster than the cursor's
    token bucket allows: ``burst`` at once, then ``rate`` a second."""
    for i, j in itertools.combinations(range(len(times)), 2):
        allowed = burst + rate * (times[j] - times[i]) + 0.2  # 0.2: timer slack
        assert j - i + 1 <= allowed, (i, j, times[j] - times[i])


@dataclass
class Spooled:
    """The spool file as a test reads it, once the agent has stopped."""

    last_seq: int
    pending: dict[int, int]            # seq -> bit mask of the collectors still owed it
    bits: dict[str, int]

    def owed(self, collector: str) -> set[int]:
        bit = 1 << self.bits[collector]
        return {seq for seq, mask in self.pending.items() if mask & bit}


def read_spool(path: Path) -> Spooled:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")  # as the agent: no -shm (the disk is full)
    try:
        last = conn.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()[0]
        pending = dict(conn.execute("SELECT seq, pending FROM reports").fetchall())
        bits = dict(conn.execute("SELECT name, bit FROM collectors").fetchall())
    finally:
        conn.close()
    return Spooled(int(last), pending, bits)
