"""What the collector and agent benchmarks share: realistic reports, a fleet on disk, a real
collector process, and what ``/proc`` says about a process.

Not a benchmark itself (``python bench/ingest.py``, ``bench/exposition.py``,
``bench/agent_footprint.py`` are). Reports are built as a ward agent builds them
(:func:`agent.report.exporter_batch` and the agent batch), from the captured walk of a real
ward router (``tests/exporters/snmp/golden``, netmon's five modules) and from this host's
exporter, so their size and shape are what a collector really receives.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import statistics
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from prometheus_client import Metric  # noqa: E402

from agent.metrics import AgentMetrics  # noqa: E402
from agent.report import exporter_batch  # noqa: E402
from collector.inventory import Inventory  # noqa: E402
from collector.inventory_hanoi import (  # noqa: E402
    build_hanoi,
    default_wards_path,
    parse_wards,
    read_wards,
)
from collector.inventory_write import dump_inventory  # noqa: E402
from collector.tokens import TokenDir  # noqa: E402
from exporters.harness import ExporterRun  # noqa: E402
from exporters.host import HostConfig, HostExporter  # noqa: E402
from exporters.snmp.config_load import load_snmp_config  # noqa: E402
from exporters.snmp.mapping import CompiledModule, map_pdus  # noqa: E402
from exporters.target_labels import TargetLabels  # noqa: E402
from netmon import wire  # noqa: E402
from netmon.commands import netmon_modules_path  # noqa: E402
from tests.exporters.snmp.test_golden import GOLDEN, MODULES, read_walk  # noqa: E402
from tests.peers.process import PeerProcess, free_tcp_port  # noqa: E402

__all__ = ["CLOCK_TICKS", "COLLECTOR_NAME", "INTERVAL", "MODULES", "ROOT", "Fleet", "ProcUsage",
           "ProcWatch", "SeqBody", "agent_families", "collector_process", "host_families",
           "mb", "median", "percentile", "proc_cpu_seconds", "proc_memory", "router_families",
           "table", "task_cpu_ns", "ward_batches", "workdir", "write_fleet"]

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
INTERVAL = 15.0
COLLECTOR_NAME = "dc-primary"
ROUTER_EXPORTER = "snmp:ward-router"
ROUTER_TARGET = "10.1.2.1"


# --- /proc ---------------------------------------------------------------------------------

def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (its threads included, its children not)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def task_cpu_ns(pid: int) -> dict[int, int]:
    """CPU nanoseconds of each live thread of ``pid`` (``/proc/<pid>/task/*/schedstat``):
    precise where ``/proc/<pid>/stat`` counts clock ticks (10 ms), but a thread that exits
    takes its time with it."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            out[int(task.name)] = int((task / "schedstat").read_text().split()[0])
    return out


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of ``pid``, in bytes (0 once it has exited)."""
    out = {"VmRSS": 0, "VmHWM": 0}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


def _uss_pss(pid: int) -> tuple[int | None, int | None]:
    try:
        import psutil
        info = psutil.Process(pid).memory_full_info()
    except (ImportError, OSError):
        return None, None
    return getattr(info, "uss", None), getattr(info, "pss", None)


@dataclass(frozen=True)
class ProcUsage:
    """What one process used over a measured window."""

    name: str
    cpu_s: float          # CPU seconds in the window (see ProcWatch)
    wall_s: float
    rss_end: int          # bytes
    rss_peak_window: int  # largest RSS sampled in the window
    rss_hwm: int          # the kernel's peak RSS over the process's life
    uss: int | None
    pss: int | None

    @property
    def cpu_per_min(self) -> float:
        return self.cpu_s * 60 / self.wall_s


class ProcWatch:
    """CPU and memory of a set of processes between :meth:`start` and :meth:`stop`; call
    :meth:`sample` now and then (every second) to catch the peak RSS of the window.

    CPU is the sum over the process's threads of their schedstat run time (nanoseconds) when
    every thread alive at the start is still alive at the end (threads born in the window
    count whole); otherwise utime + stime from ``/proc/<pid>/stat`` (10 ms ticks, but exited
    threads included)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = dict(pids)
        self._cpu0: dict[str, float] = {}
        self._tasks0: dict[str, dict[int, int]] = {}
        self._peak: dict[str, int] = {}
        self._t0 = 0.0

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._cpu0 = {name: proc_cpu_seconds(pid) for name, pid in self.pids.items()}
        self._tasks0 = {name: task_cpu_ns(pid) for name, pid in self.pids.items()}
        self._peak = dict.fromkeys(self.pids, 0)
        self.sample()

    def _cpu(self, name: str, pid: int) -> float:
        ticks = proc_cpu_seconds(pid) - self._cpu0[name]
        before, after = self._tasks0[name], task_cpu_ns(pid)
        if not after or not before.keys() <= after.keys():
            return ticks
        return sum(ns - before.get(tid, 0) for tid, ns in after.items()) / 1e9

    def sample(self) -> None:
        for name, pid in self.pids.items():
            self._peak[name] = max(self._peak[name], proc_memory(pid)["VmRSS"])

    def stop(self) -> dict[str, ProcUsage]:
        self.sample()
        wall = time.monotonic() - self._t0
        out = {}
        for name, pid in self.pids.items():
            memory = proc_memory(pid)
            uss, pss = _uss_pss(pid)
            out[name] = ProcUsage(name, self._cpu(name, pid), wall,
                                  memory["VmRSS"], self._peak[name], memory["VmHWM"], uss, pss)
        return out


# --- reports -------------------------------------------------------------------------------

class _Static:
    """An exporter that returns families it was given (to reuse the agent's wrappers)."""

    def __init__(self, name: str, families: list[Metric]) -> None:
        self._name, self._families = name, families

    @property
    def name(self) -> str:
        return self._name

    async def collect(self) -> list[Metric]:
        return self._families


def router_families(target: str = ROUTER_TARGET) -> list[Metric]:
    """A ward router's families: netmon's five modules mapped from the captured walk, with
    ``instance=<target>`` on every series as the agent adds it."""
    walk = read_walk(GOLDEN / "ward-router.walk")
    config = load_snmp_config([netmon_modules_path()])
    families: list[Metric] = []
    for module in MODULES:
        families += map_pdus(CompiledModule.build(config.modules[module]), walk)
    labelled = TargetLabels(_Static(ROUTER_EXPORTER, families), {"instance": target})
    return asyncio.run(labelled.collect())


def host_families() -> list[Metric]:
    """This machine's host exporter output (node_exporter's names), collected once."""
    return asyncio.run(HostExporter(HostConfig()).collect())


def agent_families(exporters: Sequence[str]) -> list[Metric]:
    """The agent batch's families of an agent with these exporters and one collector."""
    metrics = AgentMetrics([COLLECTOR_NAME], exporters)
    for name in exporters:
        metrics.runs[name] = 240
    metrics.delivered(COLLECTOR_NAME, 6000, time.time())
    try:
        return metrics.families()   # agent.metrics with the spool (issue 4)
    except TypeError:               # before it: the queue depth per collector
        return metrics.families({COLLECTOR_NAME: 0})  # type: ignore[arg-type]


def ward_batches(with_host: bool, now: float | None = None) -> tuple[wire.Batch, ...]:
    """The batches of one push of a ward agent: its router's (from the golden walk), this
    host's when ``with_host``, and the agent batch; built as :mod:`agent.runtime` builds them."""
    now = time.time() if now is None else now
    exporters = [ROUTER_EXPORTER] + (["host"] if with_host else [])
    batches = [exporter_batch(ExporterRun(ROUTER_EXPORTER, 0.41, True, router_families()),
                              now, INTERVAL)]
    if with_host:
        batches.append(exporter_batch(ExporterRun("host", 0.012, True, host_families()),
                                      now, INTERVAL))
    batches.append(wire.batch("agent", now, INTERVAL, agent_families(exporters)))
    return tuple(batches)


_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


def _deflate(data: bytes, mode: int) -> bytes:
    engine = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return engine.compress(data) + engine.flush(mode)


class SeqBody:
    """A report's gzip body for any ``seq`` and time, without gzipping the whole report again.

    The JSON document is cut around the values of ``seq``, ``sent`` and every batch's ``ts``;
    the fixed parts between them are deflated once, each ending on a full flush (no
    back-reference crosses a cut), and a push only deflates the new values and computes the
    CRC: about 50 us instead of 1.5 ms, so a load generator can give 5,790 agents increasing
    sequence numbers and current timestamps (a collector does not serve a batch collected
    long ago) without competing with the collector for CPU. The result is a valid gzip
    member that :func:`netmon.wire.decode_report` reads exactly as it reads
    ``encode_report``'s (checked in ``__init__``).
    """

    _CUTS = re.compile(rb'"(seq|sent|ts)":(-?[0-9][0-9.eE+-]*)')

    def __init__(self, doc: bytes) -> None:
        if not doc.startswith(b'{"v":1,"seq":'):
            raise RuntimeError("the report does not start with v and seq: update SeqBody")
        self.doc = doc
        self._fixed: list[bytes] = []       # raw text between the values
        self._kinds: list[bytes] = []       # b"seq", b"sent" or b"ts", one per value
        at = 0
        for match in self._CUTS.finditer(doc):
            self._fixed.append(doc[at:match.start(2)])
            self._kinds.append(match.group(1))
            at = match.end(2)
        self._fixed.append(doc[at:])
        self._fixed_z = [_deflate(part, zlib.Z_FULL_FLUSH) for part in self._fixed[:-1]]
        self._fixed_z.append(_deflate(self._fixed[-1], zlib.Z_FINISH))
        self._fixed_len = sum(map(len, self._fixed))
        now = time.time()
        check = wire.decode_report(self.body(123456789, now))
        if check.seq != 123456789 or check.sent != now or any(
                b.ts != round(now - 0.4, 3) for b in check.batches):
            raise RuntimeError("SeqBody produced a body the collector would read differently")
        self.samples = check.sample_count()
        self.size = len(self.body(1_700_000_000_000, now))

    @classmethod
    def of(cls, batches: Sequence[wire.Batch]) -> SeqBody:
        """From the batches of a report, as :func:`netmon.wire.encode_report` writes it."""
        report = wire.Report(1, time.time(), tuple(batches))
        return cls(zlib.decompress(wire.encode_report(report), 16 + zlib.MAX_WBITS))

    def body(self, seq: int, now: float) -> bytes:
        """The gzipped report numbered ``seq``, sent at ``now``, its batches collected 0.4 s
        before (Unix seconds)."""
        values = {b"seq": str(seq).encode(), b"sent": repr(now).encode(),
                  b"ts": repr(round(now - 0.4, 3)).encode()}
        parts = [_GZIP_HEADER]
        crc = 0
        length = self._fixed_len
        for fixed, fixed_z, kind in zip(self._fixed, self._fixed_z, self._kinds,
                                        strict=False):
            value = values[kind]
            crc = zlib.crc32(value, zlib.crc32(fixed, crc))
            length += len(value)
            parts += (fixed_z, _deflate(value, zlib.Z_FULL_FLUSH))
        crc = zlib.crc32(self._fixed[-1], crc)
        parts += (self._fixed_z[-1], struct.pack("<II", crc, length & 0xFFFFFFFF))
        return b"".join(parts)


# --- a fleet and its collector --------------------------------------------------------------

@dataclass(frozen=True)
class Fleet:
    """An inventory on disk with a token per agent."""

    workdir: Path
    inventory: Inventory
    inventory_path: Path
    tokens: dict[str, str]          # agent id -> token

    @property
    def ward_agents(self) -> list[str]:
        sites = {s.id: s for s in self.inventory.sites}
        return [a.id for a in self.inventory.agents if sites[a.site].kind == "ward"]


def write_fleet(workdir: Path, sites: int, dc_hosts: int = 2) -> Fleet:
    """Hanoi's inventory for ``sites`` ward sites (beyond the 526 wards of the file, the sites
    are generated, ``generated: true``, as ``netmon inventory --sites N`` makes them), with a
    token file per agent (:class:`collector.tokens.TokenDir`)."""
    tokens_dir = TokenDir(workdir / "tokens")
    rows = parse_wards(read_wards(default_wards_path()), "hanoi_wards.csv")
    inventory = build_hanoi(rows, tokens_dir.hashes, sites=sites, dc_hosts=dc_hosts)
    path = workdir / "inventory.yml"
    path.write_text(dump_inventory(inventory, f"netmon bench inventory: {sites} sites"),
                    encoding="utf-8")
    tokens = {a.id: tokens_dir.file(a.id).read_text(encoding="utf-8").strip()
              for a in inventory.agents}
    return Fleet(workdir, inventory, path, tokens)


def _http_ok(url: str) -> bool:
    async def get() -> bool:
        try:
            async with aiohttp.ClientSession() as session, session.get(
                    url, timeout=aiohttp.ClientTimeout(total=1)) as response:
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False
    return asyncio.run(get())


@contextlib.contextmanager
def collector_process(fleet: Fleet, log_level: str = "info", timeout: float = 60.0,
                      extra: str = "") -> Iterator[tuple[PeerProcess, str]]:
    """``python -m netmon collector`` serving ``fleet`` on a free loopback port, until it
    answers ``/-/ready``; stopped by its PID on exit. Yields the process and its base URL.
    ``extra`` is more collector.yml (e.g. ``remote_write:``)."""
    port = free_tcp_port()
    config = fleet.workdir / "collector.yml"
    config.write_text(f"listen: 127.0.0.1:{port}\ninventory: {fleet.inventory_path.name}\n"
                      f"dc: primary\n{extra}", encoding="utf-8")
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "netmon", "--log.level", log_level, "collector",
            "--config", str(config)]
    peer = PeerProcess(argv, "collector", cwd=ROOT)
    try:
        peer.wait_ready(lambda: _http_ok(url + "/-/ready"), timeout)
        yield peer, url
    finally:
        peer.stop()


def workdir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix=f"netmon-bench-{prefix}-")


# --- figures -------------------------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) by the nearest-rank method; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def mb(value: int | None) -> str:
    return "-" if value is None else f"{value / 1e6:.1f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], indent: str = "  ") -> str:
    """Rows right-aligned under their headers (the first column left-aligned)."""
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:],
                                                                         strict=True)]
        lines.append(indent + "  ".join(parts).rstrip())
    return "\n".join(lines)
