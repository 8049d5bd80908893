"""The spool in one process, on a real file: durability across reopen, cursors, sequence
numbers, bounds with exact counts, corruption found, quarantined and recovered."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from agent.config import SpoolConfig
from agent.errors import ConfigError
from agent.metrics import AgentMetrics
from agent.report import EncodedReport
from agent.spool import Spool
from agent.spool_file import SpoolFile

BOTH = ("dc-primary", "dc-backup")


def report(seq: int, size: int = 2000, samples: int = 10, created: float | None = None
           ) -> EncodedReport:
    """A report as the spool sees it: opaque bytes (random: they do not compress)."""
    return EncodedReport(seq, os.urandom(size), created if created is not None else time.time(),
                         samples, "host")


async def open_spool(path: Path, collectors: Sequence[str] = BOTH, *, rate: float = 1000.0,
                     clock: Callable[[], float] = time.time, **config: float
                     ) -> tuple[Spool, AgentMetrics]:
    metrics = AgentMetrics(list(collectors), ["host"])
    spool = await Spool.open(SpoolConfig(str(path), **config), collectors,  # type: ignore[arg-type]
                             catchup_rate=rate, metrics=metrics, agent_id="hn-test",
                             clock=clock)
    return spool, metrics


async def take(spool: Spool, collector: str, delivered: bool = True) -> int:
    delivery = spool.delivery(collector)
    got = await asyncio.wait_for(delivery.next(), 5)
    await delivery.done(got, delivered)
    return got.seq


def rows(path: Path) -> dict[int, int]:
    """seq -> pending mask, read straight from the file (the agent must be closed)."""
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT seq, pending FROM reports ORDER BY seq").fetchall())
    finally:
        conn.close()


def dropped(metrics: AgentMetrics, collector: str, reason: str) -> tuple[int, int]:
    return (metrics.dropped[collector, reason], metrics.dropped_samples[collector, reason])


# --- durability and cursors ---------------------------------------------------------------


async def test_reports_survive_a_reopen_and_each_collector_keeps_its_cursor(
        tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    spool, _ = await open_spool(path)
    first = spool.next_seq
    assert abs(first / 1000 - time.time()) < 60  # a fresh spool starts at the clock, in ms
    sent = [report(first + i) for i in range(4)]
    for item in sent:
        await spool.put(item)
    assert spool.depths() == {"dc-primary": 4, "dc-backup": 4}
    primary, got = spool.delivery("dc-primary"), []
    for _ in range(4):
        item = await asyncio.wait_for(primary.next(), 5)
        got.append((item.seq, item.backlog))     # sent as X-Netmon-Backlog: 1 when backlog
        await primary.done(item, True)
    assert got == [(first + 3, False), (first, True), (first + 1, True), (first + 2, True)]
    assert await take(spool, "dc-backup") == first + 3
    await spool.close()

    assert rows(path) == {first: 0b10, first + 1: 0b10, first + 2: 0b10}  # dc-backup's bit

    spool, _ = await open_spool(path)
    assert spool.depths() == {"dc-primary": 0, "dc-backup": 3}
    assert spool.next_seq == first + 4
    backlog = spool.delivery("dc-backup")
    again = await backlog.next()
    assert again.seq == first and again.body == sent[0].body  # the same bytes, from disk
    await backlog.done(again, True)
    assert [await take(spool, "dc-backup") for _ in range(2)] == [first + 1, first + 2]
    await asyncio.wait_for(spool.wait_idle(), 1)
    stats = spool.stats()
    assert (stats.reports, stats.bytes, stats.oldest_age) == (0, 0, 0.0)
    await spool.close()
    assert rows(path) == {}


async def test_the_sequence_continues_after_every_report_was_delivered(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    spool, _ = await open_spool(path, ["dc-primary"])
    seq = spool.next_seq
    await spool.put(report(seq))
    await take(spool, "dc-primary")
    await spool.close()
    spool, _ = await open_spool(path, ["dc-primary"], clock=lambda: 0.0)  # the clock is no help
    assert spool.next_seq == seq + 1
    await spool.close()


async def test_collectors_added_and_removed_between_runs(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    spool, _ = await open_spool(path, ["dc-primary", "dc-old"])
    seq = spool.next_seq
    for i in range(3):
        await spool.put(report(seq + i))
    await take(spool, "dc-primary")
    await spool.close()
    # dc-old is gone from the config: its backlog goes; dc-new starts with the next report
    spool, _ = await open_spool(path, ["dc-primary", "dc-new"])
    assert spool.depths() == {"dc-primary": 2, "dc-new": 0}
    await spool.put(report(seq + 3))
    assert spool.depths() == {"dc-primary": 3, "dc-new": 1}
    await spool.close()


async def test_one_agent_per_file(tmp_path: Path) -> None:
    spool, _ = await open_spool(tmp_path / "spool.db")
    try:
        with pytest.raises(ConfigError, match="in use by another agent"):
            await open_spool(tmp_path / "spool.db")
    finally:
        await spool.close()


async def test_an_unusable_path_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="cannot create its directory"):
        await open_spool(tmp_path / "file" / "spool.db")


# --- bounds -------------------------------------------------------------------------------


async def test_max_bytes_drops_the_oldest_and_counts_every_sample(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    now = [time.time()]
    spool, metrics = await open_spool(tmp_path / "spool.db", clock=lambda: now[0],
                                      max_bytes=2**20)
    seq = spool.next_seq
    with caplog.at_level(logging.WARNING, "agent.spool"):
        for i in range(15):                       # 15 x 100 kB in 1 MiB: the oldest 5 go
            await spool.put(report(seq + i, size=100_000, samples=7 + i))
        assert await take(spool, "dc-primary") == seq + 14
        assert await take(spool, "dc-primary") == seq + 5
        await spool.put(report(seq + 15, size=100_000, samples=100))  # seq+5 goes; primary
        await spool.put(report(seq + 16, size=1_000, samples=1))      # had it: not counted
        assert not any("stopped dropping" in r.message for r in caplog.records)
        now[0] += 60                                  # a minute without a drop: it is over
        await spool.put(report(seq + 17, size=1_000, samples=1))
    # seq..seq+4 went for both; seq+5 only for dc-backup (dc-primary had it already)
    assert dropped(metrics, "dc-primary", "max_bytes") == (5, 7 + 8 + 9 + 10 + 11)
    assert dropped(metrics, "dc-backup", "max_bytes") == (6, 7 + 8 + 9 + 10 + 11 + 12)
    assert spool.stats().bytes <= 2**20
    messages = [r.message for r in caplog.records]
    assert sum("spool dropping reports" in m for m in messages) == 1   # once per episode
    assert sum("spool stopped dropping" in m for m in messages) == 1
    assert "dropped_reports=6 dropped_samples=57" in messages[-1]
    await spool.close()


async def test_max_age_drops_what_is_too_old(tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    spool, metrics = await open_spool(tmp_path / "spool.db", clock=lambda: now[0],
                                      max_age=3600.0)
    seq = spool.next_seq
    for i in range(4):
        await spool.put(report(seq + i, samples=3, created=now[0] + i * 1000))
    now[0] += 5000                             # seq and seq+1 are now over an hour old
    await spool.put(report(seq + 4, samples=3, created=now[0]))
    assert dropped(metrics, "dc-primary", "max_age") == (2, 6)
    stats = spool.stats()
    assert stats.reports == 3 and stats.oldest_age == pytest.approx(3000)
    assert stats.backlog == {"dc-primary": 3, "dc-backup": 3}
    assert stats.backlog_age["dc-primary"] == pytest.approx(3000)
    await take(spool, "dc-primary")
    assert spool.stats().backlog_age["dc-primary"] == pytest.approx(3000)
    await spool.close()
    now[0] += 10_000                           # everything is too old when it opens again
    spool, metrics = await open_spool(tmp_path / "spool.db", clock=lambda: now[0],
                                      max_age=3600.0)
    assert spool.stats().reports == 0
    assert dropped(metrics, "dc-backup", "max_age") == (3, 9)
    await spool.close()


async def test_a_report_dropped_while_in_flight_counts_only_if_its_send_fails(
        tmp_path: Path) -> None:
    spool, metrics = await open_spool(tmp_path / "spool.db", max_bytes=2**20)
    seq = spool.next_seq
    for i in range(10):                                   # 10 x 100 kB: the spool is full
        await spool.put(report(seq + i, size=100_000, samples=5))
    primary, backup = spool.delivery("dc-primary"), spool.delivery("dc-backup")
    await primary.done(await primary.next(), True)        # seq + 9, the newest
    in_flight_p = await primary.next()                    # seq, the oldest of the backlog
    in_flight_b = await backup.next()                     # seq + 9
    assert (in_flight_p.seq, in_flight_b.seq) == (seq, seq + 9)
    await spool.put(report(seq + 10, size=100_000, samples=5))  # pushes seq out of the file
    assert not primary.kept(in_flight_p) and backup.kept(in_flight_b)
    assert dropped(metrics, "dc-backup", "max_bytes") == (1, 5)   # not in flight there
    assert dropped(metrics, "dc-primary", "max_bytes") == (0, 0)  # in flight: not yet
    await primary.done(in_flight_p, True)       # it got through after all: never counted
    assert dropped(metrics, "dc-primary", "max_bytes") == (0, 0)
    await primary.done(await primary.next(), True)        # seq + 10, new
    second = await primary.next()                         # seq + 1
    await spool.put(report(seq + 11, size=100_000, samples=5))  # pushes seq + 1 out
    assert second.seq == seq + 1 and not primary.kept(second)
    await primary.done(second, False)           # its send failed: lost, counted
    assert dropped(metrics, "dc-primary", "max_bytes") == (1, 5)
    assert dropped(metrics, "dc-backup", "max_bytes") == (2, 10)
    await backup.done(in_flight_b, True)
    await spool.close()


# --- corruption ---------------------------------------------------------------------------


async def fill(path: Path, count: int, size: int = 3000) -> tuple[int, dict[int, bytes]]:
    spool, _ = await open_spool(path)
    first = spool.next_seq
    bodies = {}
    for i in range(count):
        item = report(first + i, size=size)
        bodies[item.seq] = item.body
        await spool.put(item)
    await spool.close()
    return first, bodies


def quarantined(path: Path) -> list[Path]:
    return sorted(p for p in path.parent.iterdir() if ".corrupt-" in p.name)


async def reopen_after(path: Path, caplog: pytest.LogCaptureFixture
                       ) -> tuple[Spool, AgentMetrics, str]:
    with caplog.at_level(logging.ERROR, "agent.spool"):
        spool, metrics = await open_spool(path)
    errors = [r.message for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert metrics.quarantined == 1
    assert quarantined(path), list(path.parent.iterdir())
    return spool, metrics, errors[0]


async def delivered_bodies(spool: Spool, collector: str) -> dict[int, bytes]:
    out = {}
    delivery = spool.delivery(collector)
    while spool.depths()[collector]:
        got = await asyncio.wait_for(delivery.next(), 5)
        out[got.seq] = got.body
        await delivery.done(got, True)
    return out


async def test_garbage_over_the_header_is_quarantined_and_the_agent_goes_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "spool.db"
    first, _ = await fill(path, 20)
    with path.open("r+b") as f:
        f.write(os.urandom(100))
    spool, _, error = await reopen_after(path, caplog)
    assert "moved aside" in error and "quarantined=" in error
    assert spool.stats().reports == 0
    # the count was lost with the file: the clock again (above every earlier seq as long as
    # fewer than 1,000 reports a second were written; this test wrote them faster)
    assert spool.next_seq > first
    await spool.put(report(spool.next_seq))   # a fresh file that works
    assert spool.depths() == {"dc-primary": 1, "dc-backup": 1}
    await spool.close()
    assert rows(path)


async def test_a_damaged_page_is_quarantined_and_the_intact_reports_are_kept(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "spool.db"
    first, bodies = await fill(path, 200, size=3000)
    size = path.stat().st_size
    with path.open("r+b") as f:               # garbage over a few pages in the middle
        f.seek(size // 2 // 4096 * 4096)
        f.write(os.urandom(3 * 4096))
    spool, _, error = await reopen_after(path, caplog)
    recovered = spool.stats().reports
    assert 0 < recovered < 200, error
    assert f"recovered_reports={recovered}" in error
    assert spool.next_seq == first + 200      # the count survived in the damaged file
    got = await delivered_bodies(spool, "dc-primary")
    assert all(bodies[seq] == body for seq, body in got.items())  # nothing damaged is sent
    await spool.close()


async def test_a_truncated_file_is_quarantined_and_its_beginning_kept(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "spool.db"
    _, bodies = await fill(path, 200)
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 3)
    spool, _, _ = await reopen_after(path, caplog)
    got = await delivered_bodies(spool, "dc-backup")
    assert all(bodies[seq] == body for seq, body in got.items())
    await spool.close()


async def test_a_report_damaged_inside_its_bytes_is_dropped_and_counted(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "spool.db"
    first, bodies = await fill(path, 5, size=20_000)
    data = path.read_bytes()
    victim = bodies[first + 2]
    at = data.index(victim[5000:5100])          # inside an overflow page: structure intact
    with path.open("r+b") as f:
        f.seek(at)
        f.write(b"\0" * 64)
    with caplog.at_level(logging.ERROR, "agent.spool"):
        spool, metrics = await open_spool(path)
        assert metrics.quarantined == 0        # quick_check cannot see it
        got = await delivered_bodies(spool, "dc-primary")
    assert sorted(got) == [first, first + 1, first + 3, first + 4]
    assert dropped(metrics, "dc-primary", "corrupt") == (1, 10)
    assert dropped(metrics, "dc-backup", "corrupt") == (1, 10)
    assert spool.depths() == {"dc-primary": 0, "dc-backup": 4}
    assert any("unreadable" in r.message for r in caplog.records)
    await spool.close()


async def test_a_file_that_is_not_a_spool_is_set_aside(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "spool.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE other (x)")
    conn.commit()
    conn.close()
    spool, _, error = await reopen_after(path, caplog)
    assert "not a netmon spool" in error
    await spool.close()


async def test_an_io_error_while_running_reopens_the_spool_and_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    spool, metrics = await open_spool(tmp_path / "spool.db")
    seq = spool.next_seq
    for i in range(3):
        await spool.put(report(seq + i, samples=4))
    real_write, real_open = SpoolFile.write, SpoolFile.open
    failures = {"write": 1, "open": 1}

    def write(self: SpoolFile, *args: Any) -> Any:
        if failures["write"]:
            failures["write"] -= 1
            raise sqlite3.OperationalError("disk I/O error")
        return real_write(self, *args)

    def reopen(*args: Any) -> Any:
        if failures["open"]:
            failures["open"] -= 1
            raise OSError(5, "Input/output error")
        return real_open(*args)

    monkeypatch.setattr(SpoolFile, "write", write)
    monkeypatch.setattr(SpoolFile, "open", reopen)
    with caplog.at_level(logging.WARNING, "agent.spool"):
        await spool.put(report(seq + 3, samples=4))  # fails; the reopen fails too
        await spool.put(report(seq + 4, samples=4))  # reopens first, then is written
    assert dropped(metrics, "dc-primary", "disk_full") == (1, 4)
    assert [r.levelname for r in caplog.records].count("CRITICAL") == 1
    assert any("spool reopened" in r.message for r in caplog.records)
    assert spool.depths() == {"dc-primary": 4, "dc-backup": 4}
    got = [await take(spool, "dc-primary") for _ in range(4)]
    assert sorted(got) == [seq, seq + 1, seq + 2, seq + 4]
    await spool.close()
