"""A collector's cursor: the newest report first, then the backlog oldest first, paced."""

from __future__ import annotations

import pytest

from agent.spool_cursor import Cursor


def drain(cursor: Cursor, now: float) -> list[int]:
    """Hand out and finish everything that may go at ``now``."""
    out = []
    while True:
        seq, _ = cursor.choose(now)
        if seq is None:
            return out
        out.append(seq)
        cursor.remove(seq)
        cursor.release()


def test_new_reports_go_at_once_in_order() -> None:
    cursor = Cursor("dc-primary", 0, rate=2.0)
    for seq in (10, 11, 12):
        cursor.add(seq)
        assert drain(cursor, 0.0) == [seq]
    assert cursor.choose(0.0) == (None, None)  # nothing left: wait for the next add


def test_after_an_outage_the_newest_goes_first_then_the_backlog_oldest_first_paced() -> None:
    cursor = Cursor("dc-primary", 0, rate=2.0, burst=2)
    for seq in range(1, 9):     # eight reports piled up while the collector was away
        cursor.add(seq)
    assert drain(cursor, 100.0) == [8, 1, 2]      # the newest; then a burst of the backlog
    assert cursor.choose(100.1) == (None, pytest.approx(0.4))  # then one per 1/rate seconds
    assert drain(cursor, 100.5) == [3]
    cursor.add(9)                                 # live data comes in during the catch-up:
    assert drain(cursor, 100.6) == [9]            # it does not wait for the backlog's turn
    assert drain(cursor, 101.0) == [4]
    assert drain(cursor, 101.5) == [5]
    assert drain(cursor, 102.0) == [6]
    assert drain(cursor, 102.5) == [7]
    assert not cursor
    cursor.add(10)
    cursor.add(11)                                # two at once after a quiet spell: the
    assert drain(cursor, 200.0) == [11, 10]       # refilled burst takes the older at once


def test_reports_found_at_start_are_backlog() -> None:
    cursor = Cursor("dc-backup", 1, rate=1.0, pending=[5, 3, 4], burst=1)
    assert cursor.pending == [3, 4, 5]
    cursor.add(9)                                 # the first report of this run: live
    assert drain(cursor, 0.0) == [9, 3]
    assert cursor.choose(0.5) == (None, pytest.approx(0.5))
    assert drain(cursor, 1.0) == [4]


def test_a_failed_report_stays_pending_and_is_not_handed_out_twice() -> None:
    cursor = Cursor("dc-primary", 0, rate=1.0)
    cursor.add(1)
    assert cursor.choose(0.0) == (1, None)
    with pytest.raises(RuntimeError, match="still in flight"):
        cursor.choose(0.0)
    assert 1 in cursor and len(cursor) == 1
    cursor.release()   # given up without an acknowledgement: the caller decides to remove


def test_an_older_seq_is_kept_in_order_and_the_rate_is_checked() -> None:
    cursor = Cursor("dc-primary", 0, rate=1.0)
    for seq in (5, 9, 7, 9):
        cursor.add(seq)
    assert cursor.pending == [5, 7, 9]
    assert not cursor.remove(4) and cursor.remove(5)
    with pytest.raises(ValueError, match="rate"):
        Cursor("x", 0, rate=0.0)
