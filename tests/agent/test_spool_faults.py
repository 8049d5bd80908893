"""Faults, process by process: an agent (``python -m tests.agent.spool_agent``: the real
Agent, spool and shippers, reports of a real ward's size) against two stand-in collectors
over HTTP (:mod:`tests.agent.receiver`, which deduplicates by seq as a collector must).

* ``kill -9`` at random points, twenty times, then a run until the spool is empty: every
  report the agent wrote reached each collector, and nothing else; a resend happens at most
  once per collector per kill and is dropped as a duplicate;
* a collector away for a while, then back: the newest report first, then the backlog oldest
  first at the catch-up pace, live data ahead of it, nothing lost or duplicated;
* one of two collectors away for the whole test: the other gets everything, the spool keeps
  everything for the absent one;
* a full disk (a 2 MiB tmpfs; a file-size limit where tmpfs cannot be mounted): the agent
  keeps running, drops the oldest, and counts exactly the reports and samples each collector
  did not get;
* garbage in the spool file between two runs: quarantined, reported, the rest delivered;
* and the spool file alone on a full disk, in one process: every write goes through, every
  row it dropped for room is reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agent.spool_file import Row, SpoolFile
from netmon.wire import BACKLOG_HEADER
from tests.agent.checks import assert_paced, read_spool
from tests.agent.receiver import OK, Answer, Receiver
from tests.peers.exposition import parse

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
INTERVAL = 0.02


def rows_of(spool: SpoolFile) -> list[Row]:
    return [Row(*r) for r in spool._conn.execute(
        "SELECT seq, created, samples, size, exporter, pending FROM reports ORDER BY seq")]


@dataclass
class Rig:
    """An agent's config, spool and logs, and the two collectors it delivers to."""

    folder: Path
    token_file: Path
    primary: Receiver
    backup: Receiver
    spool: Path
    shipping: str = ""
    grace: str = "3s"
    logs: list[Path] = field(default_factory=list)
    preexec: Callable[[], None] | None = None

    @property
    def config(self) -> Path:
        path = self.folder / "agent.yml"
        path.write_text(f"""\
agent_id: hn-bd-phucxa
token_file: {self.token_file}
collectors:
  - {{name: dc-primary, url: "{self.primary.url}", timeout: 2s}}
  - {{name: dc-backup, url: "{self.backup.url}", timeout: 2s}}
jitter: 0
shipping:
  backoff_base: 20ms
  backoff_max: 100ms
  grace: {self.grace}
  spool: {{path: "{self.spool}"}}
{self.shipping}""", encoding="utf-8")
        return path

    async def start(self, *args: str) -> asyncio.subprocess.Process:
        log = self.folder / f"agent-{len(self.logs):02d}.log"
        self.logs.append(log)
        with log.open("wb") as stderr:
            return await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.agent.spool_agent", str(self.config), *args,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, cwd=ROOT,
                preexec_fn=self.preexec)

    async def stop(self, proc: asyncio.subprocess.Process, timeout: float = 15) -> None:
        """SIGTERM, and the agent exits cleanly within ``timeout``."""
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout) == 0, self.log()

    async def drain(self, timeout: float = 30) -> str:
        """Run the agent without exporters until its spool is empty; its metrics."""
        metrics = self.folder / "metrics.txt"
        proc = await self.start("--drain", "--metrics-out", str(metrics))
        try:
            assert await asyncio.wait_for(proc.wait(), timeout) == 0, self.log()
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        return metrics.read_text()

    def log(self, which: int | None = None) -> str:
        paths = self.logs if which is None else [self.logs[which]]
        return "".join(p.read_text(errors="replace") for p in paths)

    def first_seq(self) -> int:
        """The first seq the spool gave out (its first "spool opened" line)."""
        found = re.search(r"spool opened .* next_seq=(\d+)", self.log())
        assert found, self.log()
        return int(found.group(1))


@contextlib.asynccontextmanager
async def rig(tmp_path: Path, token_file: Path, *, primary_up: bool = True,
              backup_up: bool = True, backup: Answer = OK,
              spool: Path | None = None) -> AsyncIterator[Rig]:
    primary, standby = Receiver(), Receiver(default=backup)
    if primary_up:
        await primary.start()
    if backup_up:
        await standby.start()
    try:
        yield Rig(tmp_path, token_file, primary, standby, spool or tmp_path / "spool.db")
    finally:
        await primary.stop()
        await standby.stop()


def exposition_value(text: str, name: str, **labels: str) -> float:
    for key, value in parse(text).series(name).items():
        if set(labels.items()) <= key:
            return value
    raise KeyError(f"{name}{labels}")


def assert_exactly(receiver: Receiver, written: set[int], kills: int = 0) -> None:
    """Every written report accepted once; resends only as duplicates, at most one per
    kill."""
    got = receiver.seqs()
    assert got == written, (f"missing {sorted(written - got)[:10]}, "
                            f"unexpected {sorted(got - written)[:10]}")
    assert len(receiver.duplicates) <= kills, len(receiver.duplicates)
    assert all(p.report is not None for p in receiver.pushes)  # nothing arrived damaged


# --- kill -9 --------------------------------------------------------------------------------


async def test_kill_9_at_random_points_loses_and_duplicates_nothing(
        tmp_path: Path, token_file: Path) -> None:
    started = time.monotonic()
    rng = random.Random(int(os.environ.get("NETMON_FAULT_SEED", "20261127")))
    async with rig(tmp_path, token_file, backup=Answer(delay=0.01)) as r:
        r.shipping = "  catchup_rate: 100\n"

        async def flap() -> None:  # the backup collector comes and goes: backlogs to catch up
            while True:
                r.backup.default = Answer(503) if r.backup.default.status == 200 else OK
                await asyncio.sleep(rng.uniform(0.1, 0.4))

        flapping = asyncio.create_task(flap())
        kills = 20
        try:
            for n in range(kills):
                before = len(r.primary.pushes)
                proc = await r.start("--interval", str(INTERVAL))
                if n % 4 == 1:  # anywhere: while the spool opens, checks, writes or sends
                    await asyncio.sleep(rng.uniform(0.05, 1.0))
                else:           # while it writes and sends, for sure
                    await r.primary.wait_pushes(before + 1, timeout=20)
                    await asyncio.sleep(rng.uniform(0.0, 0.5))
                proc.kill()
                await proc.wait()
        finally:
            flapping.cancel()
        r.backup.default = OK
        await r.drain()
        assert "Traceback" not in r.log()
        spooled = read_spool(r.spool)
        assert spooled.pending == {}
        written = set(range(r.first_seq(), spooled.last_seq + 1))
        assert len(written) > 80
        assert_exactly(r.primary, written, kills)
        assert_exactly(r.backup, written, kills)
    assert time.monotonic() - started < 60


# --- a collector away -----------------------------------------------------------------------


async def test_a_collector_back_after_an_outage_gets_the_newest_then_the_backlog_paced(
        tmp_path: Path, token_file: Path) -> None:
    rate = 20.0
    async with rig(tmp_path, token_file, backup_up=False) as r:
        r.shipping = f"  catchup_rate: {rate:g}\n"
        proc = await r.start("--interval", "0.1")
        try:
            await r.primary.wait_for(15, timeout=20)       # 1.5 s of outage for the backup
            await r.backup.start()
            back = time.time()
            await r.backup.wait_until(                     # it catches up
                lambda: len(r.backup.seqs()) >= len(r.primary.seqs()) - 1, timeout=20)
            await asyncio.sleep(0.3)
        finally:
            await r.stop(proc)
        spooled = read_spool(r.spool)
        assert spooled.pending == {}
        written = set(range(r.first_seq(), spooled.last_seq + 1))
        assert_exactly(r.primary, written)
        assert_exactly(r.backup, written)

        pushes = r.backup.pushes_accepted()
        order = [p.report.seq for p in pushes if p.report is not None]
        retried, newest = order[0], order[1]
        assert retried == min(written)                  # in flight when it went away
        backlog = [p for p in pushes[2:] if p.report is not None and p.report.seq < newest]
        live = [p for p in pushes[2:] if p.report is not None and p.report.seq > newest]
        assert [p.report.seq for p in backlog if p.report] == list(range(retried + 1, newest))
        assert len(backlog) >= 10
        assert_paced([p.arrived for p in backlog], rate)
        during = [p for p in live if p.arrived <= backlog[-1].arrived]
        assert during                                   # live data went on during catch-up,
        delays = [p.wall - p.report.sent for p in during if p.report]
        assert max(delays) < 1.0, delays                # not starved
        assert backlog[0].wall - back < 1.0
        # the collector can tell the backlog apart, to defer it first when it is busy (a live
        # report overtaken by a newer one before it was sent becomes backlog too)
        assert all(p.headers.get(BACKLOG_HEADER) == "1" for p in backlog)
        assert any(BACKLOG_HEADER not in p.headers for p in live)


async def test_one_collector_away_for_the_whole_test(tmp_path: Path, token_file: Path) -> None:
    async with rig(tmp_path, token_file, backup_up=False) as r:
        r.shipping, r.grace = "  catchup_rate: 50\n", "0.3s"
        proc = await r.start("--interval", "0.05")
        try:
            await r.primary.wait_for(30, timeout=20)
        finally:
            await r.stop(proc)
        spooled = read_spool(r.spool)
        written = set(range(r.first_seq(), spooled.last_seq + 1))
        # the present one got everything but what the grace at the stop left it (the newest,
        # kept in the spool for the next start); the absent one is owed everything
        left = spooled.owed("dc-primary")
        assert len(left) <= 3 and all(seq > max(r.primary.seqs()) - 3 for seq in left)
        assert_exactly(r.primary, written - left)
        assert spooled.owed("dc-backup") == written
        assert "agent stopped with undelivered reports, kept in the spool" in r.log()


# --- a full disk ----------------------------------------------------------------------------


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "2m") -> Iterator[Callable[[], None] | None]:
    """A tmpfs of ``size`` at ``folder`` (unmounted after), or, where mounting is not
    allowed, a pre-exec hook that limits the size of every file the agent writes."""
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(folder)], capture_output=True, check=False).returncode == 0
    if mounted:
        try:
            yield None
        finally:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        return

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2**20, 2**20))

    yield limit


async def test_a_full_disk_drops_the_oldest_and_counts_exactly(
        tmp_path: Path, token_file: Path) -> None:
    with small_disk(tmp_path / "disk") as preexec:
        async with rig(tmp_path, token_file, primary_up=False, backup_up=False,
                       spool=tmp_path / "disk" / "spool.db") as r:
            r.preexec = preexec
            r.shipping = "  catchup_rate: 500\n"
            first_run = tmp_path / "first-run-metrics.txt"
            proc = await r.start("--interval", "0.01", "--metrics-out", str(first_run))
            try:
                async with asyncio.timeout(30):             # the disk fills up
                    while "reason=disk_full" not in r.log():
                        assert proc.returncode is None, r.log()
                        await asyncio.sleep(0.1)
                await asyncio.sleep(0.5)                     # and stays full for a while
                assert proc.returncode is None               # never crashed
                await r.primary.start()
                await r.backup.start()
                await asyncio.sleep(0.5)
            finally:
                proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(proc.wait(), 20) == 0, r.log()
            drained = await r.drain()                        # anything left, delivered
            first = r.first_seq()
            spooled = read_spool(r.spool)
        assert spooled.pending == {}
    assert "Traceback" not in r.log()
    written = set(range(first, spooled.last_seq + 1))
    counted = first_run.read_text()
    per_report = {p.report.sample_count() for p in r.primary.pushes_accepted() if p.report}
    assert len(per_report) == 1                               # every report the same size
    samples = per_report.pop()
    for receiver, collector in ((r.primary, "dc-primary"), (r.backup, "dc-backup")):
        missing = written - receiver.seqs()
        assert missing and receiver.seqs()
        assert max(missing) < max(receiver.seqs())           # the oldest went
        dropped = (exposition_value(counted, "netmon_agent_reports_dropped_total",
                                    collector=collector, reason="disk_full"),
                   exposition_value(counted, "netmon_agent_spool_dropped_samples_total",
                                    collector=collector, reason="disk_full"))
        assert dropped == (len(missing), len(missing) * samples), (collector, dropped)
        assert exposition_value(drained, "netmon_agent_reports_dropped_total",
                                collector=collector, reason="disk_full") == 0
        assert not receiver.duplicates


# --- corruption -----------------------------------------------------------------------------


async def test_garbage_in_the_spool_between_runs(tmp_path: Path, token_file: Path) -> None:
    async with rig(tmp_path, token_file, primary_up=False, backup_up=False) as r:
        r.shipping, r.grace = "  catchup_rate: 200\n", "0.2s"
        proc = await r.start("--interval", "0.02")
        await asyncio.sleep(1.5)                        # both collectors away: all spooled
        await r.stop(proc)
        before = read_spool(r.spool)
        assert len(before.pending) > 30
        size = r.spool.stat().st_size
        with r.spool.open("r+b") as f:                 # garbage over pages in the middle
            f.seek(size // 2 // 4096 * 4096)
            f.write(os.urandom(2 * 4096))
        await r.primary.start()
        await r.backup.start()
        text = await r.drain()
        log = r.log(-1)
        assert "spool file was corrupt, moved aside" in log, log
        assert list(r.folder.glob("spool.db.corrupt-*"))
        assert exposition_value(text, "netmon_agent_spool_quarantined_total") == 1
        recovered = int(re.search(r"recovered_reports=(\d+)", log).group(1))  # type: ignore[union-attr]
        assert 0 < recovered < len(before.pending)
        for receiver in (r.primary, r.backup):
            assert len(receiver.seqs()) == recovered   # what was intact, delivered
            assert receiver.seqs() <= set(before.pending)
            assert all(p.report is not None for p in receiver.pushes)
        after = read_spool(r.spool)
        assert after.pending == {} and after.last_seq >= before.last_seq


def test_the_spool_file_on_a_full_disk_keeps_writing_and_reports_every_row_it_dropped(
        tmp_path: Path) -> None:
    """In one process, the file alone: 600 reports of 6 kB into 2 MiB. Every write goes
    through; what made room is returned, exactly; acknowledgements still get written."""
    with small_disk(tmp_path / "disk") as preexec:
        if preexec is not None:   # a file-size limit in this process would stop pytest
            pytest.fail("this test needs to mount a tmpfs (root, as .ci/run runs): the "
                        "process test covers the file-size limit where that is not allowed")
        spool, opened = SpoolFile.open(tmp_path / "disk" / "spool.db", ["a", "b"])
        try:
            first = opened.next_seq
            dropped: list[int] = []
            for i in range(600):
                body = os.urandom(6000)
                written = spool.write(Row(first + i, time.time(), 10, len(body), "x", 0b11),
                                      body, ())
                assert written.written, i
                dropped += [row.seq for row in written.deleted]
            kept = [row.seq for row in rows_of(spool)]
            assert sorted(dropped + kept) == list(range(first, first + 600))  # exactly
            assert 100 < len(kept) < 350 and kept[-1] == first + 599      # the newest kept
            for seq in kept[-50:]:
                assert spool.ack(seq, 0) and spool.ack(seq, 1)
            assert len(rows_of(spool)) == len(kept) - 50
        finally:
            spool.close()
