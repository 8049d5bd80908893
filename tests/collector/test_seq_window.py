"""Report numbers arrive out of order (newest first, then the backlog): each is counted once."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from collector.store import SeqWindow


def test_newest_first_then_backlog_each_once() -> None:
    window = SeqWindow()
    accepted = []
    order = [100, *range(90, 100), 101, 100, 95, 102]  # live, backlog, live, two resends, live
    for seq in order:
        if not window.seen(seq):
            window.add(seq)
            accepted.append(seq)
    assert sorted(accepted) == [*range(90, 103)]
    assert len(accepted) == len(set(accepted))
    assert window.seen(90) and window.seen(102) and not window.seen(103)


def test_random_order_with_resends_and_a_bounded_set() -> None:
    rng = random.Random(7)
    seqs = list(range(1000, 3000))
    stream = seqs + rng.sample(seqs, 500)
    rng.shuffle(stream)
    window = SeqWindow(limit=20)
    accepted = [s for s in stream if not window.seen(s) and (window.add(s) or True)]
    assert len(accepted) == len(set(accepted)) <= len(seqs)
    assert len(window.starts) <= 20
    unbounded = SeqWindow(limit=10**6)
    exact = [s for s in stream if not unbounded.seen(s) and (unbounded.add(s) or True)]
    assert sorted(exact) == seqs
    assert (unbounded.starts, unbounded.ends) == ([1000], [2999])


def test_restart_forgets_old_numbers() -> None:
    window = SeqWindow()
    for seq in range(10, 20):
        window.add(seq)
    window.restart(3)
    assert window.seen(3) and not window.seen(4)


@given(st.sets(st.integers(0, 400), max_size=120), st.sets(st.integers(0, 400), max_size=60))
def test_ranges_round_trip_and_merge_as_persisted(first: set[int], second: set[int]) -> None:
    """What goes into the remote_write spool (``ranges()``) comes back as the same window,
    and merging two persisted windows holds exactly their union."""
    a, b = SeqWindow(), SeqWindow()
    for seq in first:
        a.add(seq)
    for seq in second:
        b.add(seq)
    again = SeqWindow.of(a.ranges())
    assert again.ranges() == a.ranges()
    merged = SeqWindow.of([*a.ranges(), *b.ranges()])
    assert {s for s in range(402) if merged.seen(s)} == first | second
    copy = a.copy()
    copy.add(401)
    assert not a.seen(401) or 401 in first
