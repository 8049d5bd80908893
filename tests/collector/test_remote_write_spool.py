"""The remote_write spool: order, bound, a kill -9 of the process that wrote it, a corrupt
file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from collector.clock import SystemClock
from collector.remote_write.config import SpoolConfig
from collector.remote_write.errors import SpoolError
from collector.remote_write.spool import Pending, Spool, SpoolFile


def rows(n: int, size: int = 1000, first: int = 0) -> list[Pending]:
    return [Pending(bytes([i % 256]) * size, 10 + i, 1000.0 + i) for i in range(first, first + n)]


async def test_oldest_first_and_counts(tmp_path: Path) -> None:
    spool = Spool(SpoolConfig(tmp_path / "s.sqlite"), SystemClock())
    await spool.open()
    assert await spool.put(lambda: rows(3)) == 0
    assert (spool.pending_samples, spool.pending_bytes) == (10 + 11 + 12, 3000)
    head = spool.head()
    assert head is not None and head.samples == 10
    assert await spool.body(head) == b"\x00" * 1000
    await spool.remove(head)
    second = spool.head()
    assert second is not None and second.samples == 11
    assert (spool.pending_samples, spool.pending_bytes) == (23, 2000)
    await spool.close()


async def test_past_max_bytes_the_oldest_go_but_never_the_one_in_flight(tmp_path: Path
                                                                        ) -> None:
    spool = Spool(SpoolConfig(tmp_path / "s.sqlite", max_bytes=3500), SystemClock())
    await spool.open()
    await spool.put(lambda: rows(3))
    head = spool.head()
    assert head is not None
    spool.in_flight = head.id
    dropped = await spool.put(lambda: rows(1, first=3))     # 4000 bytes: one must go
    assert dropped == 11                                    # the second oldest
    assert [e.samples for e in spool.index.values()] == [10, 12, 13]
    spool.in_flight = None
    assert await spool.put(lambda: rows(1, first=4)) == 10       # now the oldest goes
    assert spool.pending_bytes <= 3500
    await spool.close()


def test_committed_rows_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from collector.remote_write.spool import Pending, SpoolFile
        spool = SpoolFile(Path({str(path)!r}))
        for i in range(50):
            spool.put(1000.0, [Pending(b"x" * 5000, 7, 1.0)])
        spool.delete([1, 2])
        print("written", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False, cwd=Path(__file__).parents[2])
    assert done.returncode == -9 and done.stdout == "written\n", done.stderr
    assert Path(f"{path}-wal").exists()                    # never checkpointed
    spool = SpoolFile(path)
    entries = spool.entries()
    assert [e.id for e in entries] == list(range(3, 51))
    assert all(e.samples == 7 and e.size == 5000 for e in entries)
    spool.close()


def test_a_corrupt_spool_is_quarantined(tmp_path: Path, caplog: pytest.LogCaptureFixture
                                        ) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(os.urandom(8192))
    spool = SpoolFile(path)
    assert spool.entries() == []
    spool.close()
    quarantined = list(tmp_path.glob("s.sqlite.corrupt-*"))
    assert len(quarantined) == 1 and quarantined[0].stat().st_size == 8192
    assert "moved to" in caplog.text


async def test_in_memory_spool_warns_what_it_loses(caplog: pytest.LogCaptureFixture) -> None:
    spool = Spool(SpoolConfig(None), SystemClock())
    await spool.open()
    await spool.put(lambda: rows(2))
    await spool.close()
    assert "21 pending samples lost" in caplog.text


async def test_one_spool_file_one_collector(tmp_path: Path) -> None:
    first = Spool(SpoolConfig(tmp_path / "s.sqlite"), SystemClock())
    await first.open()
    second = Spool(SpoolConfig(tmp_path / "s.sqlite"), SystemClock())
    with pytest.raises(SpoolError, match="in use by another collector"):
        await second.open()
    await second.close()
    await first.close()
    await second.open()          # free again
    await second.close()
