"""The running agent: one task per exporter, one shipper per collector, a clean stop.

    agent = Agent(config, stack, session)     # stack: SnmpStack; session: aiohttp, or None
    await agent.run(stop)                     # until stop is set, then a graceful shutdown
    result = await agent.once()               # run every exporter once, no shipping

Many agents in one process (the demo) share the process's resources, one ``SnmpStack`` (one
UDP socket) and one ``aiohttp.ClientSession`` (one connection pool):
:func:`run_agents` does exactly that.

Each exporter has its own task, so a slow SNMP target delays nobody: the task sleeps until its
next tick (:mod:`netmon.schedule`), runs the exporter through the harness, cut at the tick plus
the job's timeout (at most the interval, so a run never reaches into the next one), turns the
run into a report (:mod:`agent.report`) and writes it to the spool (:mod:`agent.spool`)
before anything is sent; ticks that came while the run was going are skipped and counted.
Each collector has its own shipper (:mod:`agent.shipper`) reading its own cursor into the
spool, so a dead collector delays no other. The spool is opened when the agent starts (in a
worker thread: it may check and recover the file), and numbers the reports on from the last
one it holds.

Shutdown, when ``stop`` is set (SIGTERM, SIGINT): no new run starts; runs in flight get until
the grace deadline (``shipping.grace``, default 5 s) to finish and be written, then are
cancelled; the shippers get what is left of the grace to deliver what is spooled, then stop:
at once when idle or waiting to retry, after its answer when a push is with the collector
(up to the collector's ``timeout``: a push cancelled there would be sent again at the next
start); what is left stays in the spool for the next start. The spool is closed, and the
session if the agent made it. The owner of the ``SnmpStack`` closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp

from agent.config import AGENT_BATCH, AgentConfig
from agent.errors import ConfigError
from agent.jobs import Job, build_jobs
from agent.metrics import AgentMetrics
from agent.outbox import Outbox
from agent.report import SequenceCounter, encode, exporter_batch
from agent.shipper import Shipper
from agent.spool import Spool
from exporters.exposition import render
from exporters.harness import ExporterRun, all_families, run_exporter
from exporters.snmp.client import SnmpStack
from netmon.schedule import Ticker, phase

if TYPE_CHECKING:
    from exporters.cli import CliPool
from netmon.wire import batch

__all__ = ["Agent", "OnceResult", "new_session", "run_agents"]

log = logging.getLogger(__name__)


def new_session(connections: int = 100) -> aiohttp.ClientSession:
    """The process's one client session (call inside the running loop). Per-request timeouts
    come from each collector's config; ``connections`` bounds the whole pool."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, ttl_dns_cache=300),
        timeout=aiohttp.ClientTimeout(total=None), raise_for_status=False)


@dataclass(frozen=True, slots=True)
class OnceResult:
    """What ``--once`` prints, and whether every exporter succeeded."""

    exposition: bytes
    runs: tuple[ExporterRun, ...]

    @property
    def ok(self) -> bool:
        return all(run.success for run in self.runs)


class Agent:
    """One agent: its exporters on their schedules and a shipper per collector."""

    def __init__(self, config: AgentConfig, stack: SnmpStack | None,
                 session: aiohttp.ClientSession | None = None, *,
                 jobs: Sequence[Job] | None = None, outbox: Outbox | None = None,
                 cli_pool: CliPool | None = None) -> None:
        self.config = config
        #: CLI sessions' threads: the caller's, or the agent's own (closed when it stops).
        self._own_cli_pool: CliPool | None = None
        if cli_pool is None and jobs is None and config.cli is not None and config.cli.devices:
            from exporters.cli import CliPool

            cli_pool = self._own_cli_pool = CliPool(config.cli.workers)
        self.jobs = list(jobs) if jobs is not None else build_jobs(config, stack, cli_pool)
        names = [job.name for job in self.jobs]
        if AGENT_BATCH in names or len(set(names)) != len(names):
            raise ConfigError(f"agent {config.agent_id}: exporter names must be unique and not "
                              f"{AGENT_BATCH!r}: {names}")
        collectors = [c.name for c in config.collectors]
        self.metrics = AgentMetrics(collectors, names)
        #: The spool, opened by :meth:`run` unless one is given (None until then).
        self.outbox: Outbox | None = outbox
        self.sequence = SequenceCounter(outbox.next_seq if outbox is not None else None)
        self._session = session
        #: The agent batch's interval: the longest it goes without being refreshed.
        self._agent_interval = min((job.interval for job in self.jobs), default=60.0)

    # --- once ---------------------------------------------------------------------------------

    async def once(self) -> OnceResult:
        """Run every exporter once, concurrently; the exposition of everything a report
        would carry (exporters' families, the harness's, the agent's own)."""
        runs = await asyncio.gather(*(run_exporter(job.exporter, job.timeout)
                                      for job in self.jobs))
        for run in runs:
            self.metrics.ran(run.exporter)
        families = all_families(runs) + self.metrics.families(
            self.outbox.stats() if self.outbox is not None else None)
        return OnceResult(render(families), tuple(runs))

    def close(self) -> None:
        """Release what the agent made for itself (the CLI thread pool); run() does it when
        it ends, a caller of once() when it is done."""
        if self._own_cli_pool is not None:
            self._own_cli_pool.close()
            self._own_cli_pool = None

    # --- run ----------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set, then shut down gracefully (see the module's doc)."""
        config = self.config
        if config.collectors and config.token is None:
            raise ConfigError(f"agent {config.agent_id}: collectors are configured but no "
                              "token was read (token_file)")
        loop = asyncio.get_running_loop()
        opened = False
        if self.outbox is None and config.collectors:
            self.outbox = await Spool.open(
                config.shipping.spool, [c.name for c in config.collectors],
                catchup_rate=config.shipping.catchup_rate, metrics=self.metrics,
                agent_id=config.agent_id)
            self.sequence = SequenceCounter(self.outbox.next_seq)
            opened = True
        outbox = self.outbox
        session, owned = self._session, False
        shippers: list[asyncio.Task[None]] = []
        shipping: list[Shipper] = []
        runners: list[asyncio.Task[None]] = []
        try:
            if config.collectors:
                if session is None:
                    session, owned = new_session(), True
                assert outbox is not None and config.token is not None
                for collector in config.collectors:
                    shipper = Shipper(collector, outbox.delivery(collector.name),
                                      session, config.token, config.shipping, self.metrics,
                                      agent_id=config.agent_id)
                    shipping.append(shipper)
                    shippers.append(asyncio.create_task(
                        shipper.run(), name=f"ship {config.agent_id} -> {collector.name}"))
            runners = [asyncio.create_task(self._schedule(job, stop),
                                           name=f"run {config.agent_id} {job.name}")
                       for job in self.jobs]
            for task in (*shippers, *runners):
                task.add_done_callback(_log_crash)
            log.info("agent started agent=%s exporters=%s collectors=%s", config.agent_id,
                     ",".join(job.name for job in self.jobs) or "none",
                     ",".join(c.name for c in config.collectors) or "none")
            await stop.wait()
            deadline = loop.time() + config.shipping.grace
            await _finish(runners, deadline - loop.time())
            if shippers and outbox is not None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout_at(deadline):
                        await outbox.wait_idle()
            await _stop_shippers(shipping, shippers)
            left = outbox.depths() if outbox is not None else {}
            if any(left.values()):
                log.warning("agent stopped with undelivered reports, kept in the spool "
                            "agent=%s backlog=%s", config.agent_id,
                            ",".join(f"{c}:{n}" for c, n in left.items()))
            log.info("agent stopped agent=%s", config.agent_id)
        finally:
            await _finish([*runners, *shippers], 0)
            if opened and outbox is not None:
                await outbox.close()
                self.outbox = None
            if owned and session is not None:
                await session.close()
            self.close()

    async def _schedule(self, job: Job, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        ticker = Ticker.start(job.interval,
                              phase(self.config.agent_id, job.name, job.interval,
                                    self.config.jitter), loop.time(), time.time())
        late = 0  # skipped ticks in the current episode, for one log line per episode
        while True:
            delay = ticker.due - loop.time()
            if stop.is_set() or (delay > 0 and await _stopped_within(stop, delay)):
                return
            await self.run_job(job, ticker.due + job.timeout)
            skipped = ticker.advance(loop.time())
            if skipped:
                self.metrics.add_skipped(job.name, skipped)
                if not late:
                    log.warning("exporter run outlasted its interval, skipping ticks agent=%s "
                                "exporter=%s interval=%gs skipped=%d", self.config.agent_id,
                                job.name, job.interval, skipped)
                late += skipped
            elif late:
                log.info("exporter back on schedule agent=%s exporter=%s skipped=%d",
                         self.config.agent_id, job.name, late)
                late = 0

    async def run_job(self, job: Job, deadline: float | None = None) -> None:
        """One run of ``job``, its report encoded and spooled for every collector. The run is
        cut at ``deadline`` (the loop's clock; default: ``job.timeout`` from now): its tick
        plus its timeout, so a run that starts late does not eat into the next tick."""
        ts = time.time()
        self.metrics.ran(job.name)
        timeout = job.timeout
        if deadline is not None:
            timeout = max(deadline - asyncio.get_running_loop().time(), job.timeout / 10)
        run = await run_exporter(job.exporter, timeout)
        try:
            now = time.time()
            stats = self.outbox.stats() if self.outbox is not None else None
            batches = (exporter_batch(run, ts, job.interval),
                       batch(AGENT_BATCH, now, self._agent_interval,
                             self.metrics.families(stats)))
            report = encode(self.sequence.next(), batches, now)
        except (ValueError, TypeError) as exc:  # a family the wire format cannot carry
            log.error("report not built agent=%s exporter=%s error=%s: %s",
                      self.config.agent_id, job.name, type(exc).__name__, exc)
            return
        if self.config.collectors and self.outbox is not None:
            await self.outbox.put(report)


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    try:
        async with asyncio.timeout(seconds):
            await stop.wait()
    except TimeoutError:
        return False
    return True


async def _stop_shippers(shippers: Sequence[Shipper],
                         tasks: Sequence[asyncio.Task[None]]) -> None:
    """Stop the shippers: those with a push in flight after its answer is recorded (up to
    their collector's timeout), the others at once."""
    waiting = [task for shipper, task in zip(shippers, tasks, strict=True)
               if not task.done() and shipper.stop_after_push()]
    idle = [task for task in tasks if task not in waiting]
    timeout = max((s.collector.timeout for s in shippers), default=0.0) + 1.0
    await asyncio.gather(_finish(idle, 0), _finish(waiting, timeout))


async def _finish(tasks: Sequence[asyncio.Task[None]], timeout: float) -> None:
    """Let ``tasks`` end within ``timeout`` seconds, then cancel what is left and wait until
    they are all done. Their failures were logged when they happened (:func:`_log_crash`)."""
    if not tasks:
        return
    if timeout > 0:
        await asyncio.wait(tasks, timeout=timeout)
    for task in tasks:
        task.cancel()  # no-op for a finished task
    await asyncio.wait(tasks)


def _log_crash(task: asyncio.Task[None]) -> None:
    """Done-callback: a task that died of an exception is a bug; say so at once, loudly."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("agent task failed task=%s error=%s: %s", task.get_name(),
                  type(exc).__name__, exc, exc_info=exc)


async def run_agents(configs: Sequence[AgentConfig], stop: asyncio.Event, *,
                     connections: int = 100) -> None:
    """Run several agents in this process, sharing one ``SnmpStack`` and one
    ``ClientSession``, until ``stop`` is set; each shuts down as :meth:`Agent.run` does."""
    stack = SnmpStack()
    try:
        async with new_session(connections) as session:
            agents = [Agent(config, stack, session) for config in configs]
            await asyncio.gather(*(agent.run(stop) for agent in agents))
    finally:
        stack.close()
