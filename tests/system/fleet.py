"""Two data centres and a ward site, as real processes, for the "nothing lost" fault tests.

* a ward site: a network namespace (:mod:`tests.peers.netns`) with one link to each data
  centre, so either path can be cut silently;
* in each data centre, on the host side of its link: a collector (``python -m collector``)
  that forwards every batch (``remote_write.forward: all``) to that data centre's long-term
  store, a real VictoriaMetrics, through its own remote_write spool on disk;
* ward agents inside the namespace (``python -m tests.agent.spool_agent``: the real agent,
  spool and shippers, with a ward router's families every run), each with its own token
  from the inventory and its own spool, delivering to both collectors.

The truth a test asserts against: each agent numbers its reports (``seq``) and puts one
``sysUpTime`` sample in each, so the reports it wrote, from the first ``seq`` it logged to
the last one in its spool, are the samples each store must hold for it: no fewer (lost), no
more (duplicated). VictoriaMetrics runs without deduplication, so a sample stored twice is
counted twice.
"""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.agent.checks import Spooled, read_spool
from tests.collector.helpers import parse_metrics
from tests.collector.process import Running, collector_cmd, start_collector
from tests.peers.netns import WanSite
from tests.peers.process import PeerProcess, free_tcp_port
from tests.peers.victoria_metrics import VictoriaMetrics

ROOT = Path(__file__).resolve().parents[2]
DCS = ("primary", "backup")
#: Each report carries one sample of this series.
COUNTED = "sysUpTime"
#: VictoriaMetrics hides the last 30 s from queries and caches results by default.
VM_ARGS = ("-search.latencyOffset=0s", "-search.disableCache")


def make_inventory(folder: Path, sites: int = 12) -> Path:
    inventory = folder / "inventory.yml"
    proc = subprocess.run(collector_cmd("inventory", "hanoi", "--sites", str(sites),
                                        "--dc-hosts", "1", "--out", str(inventory),
                                        "--tokens-dir", str(folder / "tokens")),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return inventory


def ward_agents(inventory: Path) -> list[str]:
    """The inventory's ward agents (not the data-centre hosts), by name."""
    names = sorted(p.stem for p in (inventory.parent / "tokens").glob("*.token"))
    return [n for n in names if "-dc-" not in n]


@dataclass
class DataCentre:
    """One DC: its store, and its collector (stopped and started by the tests)."""

    name: str
    folder: Path
    inventory: Path
    host: str
    store: VictoriaMetrics
    port: int = field(default_factory=free_tcp_port)
    collector: Running | None = None
    _stack: contextlib.ExitStack | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Running:
        assert self.collector is None, f"collector {self.name} is running"
        extra = (f"dc: {self.name}\nremote_write:\n  url: {self.store.write_url}\n"
                 f"  forward: all\n  timeout: 2\n  backoff_base: 0.05\n  backoff_max: 0.5\n"
                 f"  spool: {{path: rw-{self.name}.sqlite}}\n")
        stack = contextlib.ExitStack()
        self.collector = stack.enter_context(start_collector(
            self.folder, self.inventory, extra, f"collector-{self.name}", self.port,
            self.host))
        self._stack = stack
        return self.collector

    def stop(self) -> None:
        """SIGTERM (an upgrade's restart), and wait for it to exit (its spool is on disk)."""
        assert self._stack is not None
        self._stack.close()
        self.collector = self._stack = None

    def kill(self) -> None:
        """SIGKILL: a crash or a power cut (nothing is flushed, nothing is answered)."""
        assert self.collector is not None and self._stack is not None
        self.collector.process.proc.send_signal(signal.SIGKILL)
        self.collector.process.proc.wait(timeout=10)
        self._stack.close()
        self.collector = self._stack = None

    def metric(self, name: str, **labels: str) -> float:
        assert self.collector is not None
        status, body = self.collector.get("/metrics")
        assert status == 200, body
        return parse_metrics(body.decode()).get((name, tuple(sorted(labels.items()))), 0.0)

    def wait_forwarded(self, timeout: float = 60.0) -> None:
        """Until the collector's remote_write spool is empty, then make it searchable."""
        deadline = time.monotonic() + timeout
        while self.metric("netmon_collector_remote_write_pending_samples") > 0:
            assert time.monotonic() < deadline, self.collector.process.output()[-3000:] \
                if self.collector else "collector stopped"
            time.sleep(0.1)
        self.store.flush()

    # --- what the store holds --------------------------------------------------------------

    def timestamps(self, agent: str) -> list[int]:
        """Every stored ``sysUpTime`` sample's timestamp (ms) for ``agent``, duplicates kept."""
        out: list[int] = []
        for series in self.store.export(f'{COUNTED}{{agent="{agent}"}}', 0, time.time() + 60):
            out += series["timestamps"]
        return sorted(out)

    def count_over_time(self, agent: str, start: float, end: float) -> int:
        """The store's own answer: ``count_over_time`` over ``(start, end]``."""
        seconds = max(1, round((end - start) * 1000))
        result = self.store.query(
            f'sum(count_over_time({COUNTED}{{agent="{agent}"}}[{seconds}ms]))', at=end)
        return int(float(result[0]["value"][1])) if result else 0


@dataclass
class WardAgent:
    """One agent process in the ward's namespace, started, stopped and killed by PID."""

    agent_id: str
    folder: Path
    site: WanSite
    dcs: tuple[DataCentre, ...]
    interval: float = 0.2
    catchup_rate: float = 20.0
    logs: list[str] = field(default_factory=list)
    process: PeerProcess | None = None

    @property
    def spool(self) -> Path:
        return self.folder / f"{self.agent_id}.spool.db"

    def config(self) -> Path:
        path = self.folder / f"{self.agent_id}.yml"
        collectors = "".join(f'  - {{name: dc-{dc.name}, url: "{dc.url}", timeout: 2s}}\n'
                             for dc in self.dcs)
        path.write_text(f"""\
agent_id: {self.agent_id}
token_file: {self.dcs[0].inventory.parent / "tokens" / f"{self.agent_id}.token"}
collectors:
{collectors}jitter: 0
shipping:
  backoff_base: 50ms
  backoff_max: 500ms
  catchup_rate: {self.catchup_rate:g}
  grace: 2s
  spool: {{path: "{self.spool}"}}
""", encoding="utf-8")
        return path

    def start(self, *args: str) -> PeerProcess:
        assert self.process is None or self.process.proc.poll() is not None
        argv = self.site.command([sys.executable, "-m", "tests.agent.spool_agent",
                                  str(self.config()), "--interval", str(self.interval),
                                  *args])
        self.process = PeerProcess(argv, f"agent-{self.agent_id}", cwd=ROOT)
        return self.process

    def _finish(self) -> None:
        assert self.process is not None
        self.logs.append(self.process.output())
        self.process.stop()

    def stop(self) -> None:
        """SIGTERM; it must exit cleanly (what it could not deliver stays in its spool)."""
        assert self.process is not None
        self.process.proc.send_signal(signal.SIGTERM)
        code = self.process.proc.wait(timeout=20)
        self._finish()
        assert code == 0, self.log()

    def kill(self) -> None:
        assert self.process is not None
        self.process.proc.send_signal(signal.SIGKILL)
        self.process.proc.wait(timeout=10)
        self._finish()

    def drain(self, timeout: float = 120.0) -> None:
        """Run without exporters until every collector has every spooled report."""
        proc = self.start("--drain")
        try:
            code = proc.proc.wait(timeout=timeout)
        finally:
            self._finish()
        assert code == 0, self.log()

    def log(self) -> str:
        current = self.process.output() if self.process and self.process.proc.poll() is None \
            else ""
        return "".join(self.logs) + current

    def written(self) -> int:
        """Reports written so far (the agent must be stopped): first seq to the last one."""
        found = re.search(r"spool opened .* next_seq=(\d+)", self.log())
        assert found, self.log()[-3000:]
        return read_spool(self.spool).last_seq - int(found.group(1)) + 1

    def spooled(self) -> Spooled:
        return read_spool(self.spool)


@contextlib.contextmanager
def stopping(agents: list[WardAgent]) -> Iterator[list[WardAgent]]:
    """Stop (by PID) every agent still running when the block ends, even on failure."""
    try:
        yield agents
    finally:
        for agent in agents:
            if agent.process is not None and agent.process.proc.poll() is None:
                agent.process.stop()
