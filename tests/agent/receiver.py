"""A small real collector stand-in for the agent's tests: an aiohttp app on a loopback port.

It decodes every push with :func:`netmon.wire.decode_report` (the collector's own way in),
records the report, the headers and when it arrived, and answers as it is told: ``ok`` (200
with ``{"ack": seq}``), an HTTP status (``500``, ``429``, ``400``, ``401``...), ``bad_ack``, or
``ok`` after a delay (``slow``). Answers are taken in order from :meth:`Receiver.plan`, then
:attr:`Receiver.default`. The real collector is tested against the agent end to end elsewhere.

Like the collector, it deduplicates by seq, per token: a report whose seq it has already
acknowledged is acknowledged again (``"duplicate": true``) and counted once. Unlike the
collector of today it remembers every seq, not only the highest, because the agent sends the
newest report before the backlog: :attr:`accepted` is the set of seqs it took, per token,
and :attr:`duplicates` every resend it dropped.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from netmon.wire import BACKLOG_HEADER, PUSH_PATH, Report, ReportError, decode_report
from tests.peers.process import free_tcp_port


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay: float = 0.0
    bad_ack: bool = False
    retry_after: str | None = None
    error: str = ""


OK = Answer()


@dataclass
class Push:
    """One request as the receiver saw it."""

    arrived: float                 # time.monotonic()
    wall: float                    # time.time(), to compare with the report's own times
    headers: dict[str, str]
    body: bytes
    report: Report | None          # None when it did not decode
    answer: Answer


@dataclass
class Receiver:
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_tcp_port)
    default: Answer = OK
    #: When set, the answer to every backlog push (``X-Netmon-Backlog: 1``), as a busy
    #: collector defers catch-up; the plan and the default answer the others.
    backlog_answer: Answer | None = None
    pushes: list[Push] = field(default_factory=list)
    #: token -> seqs acknowledged (each once), and the pushes that were duplicates of them.
    accepted: dict[str, set[int]] = field(default_factory=dict)
    duplicates: list[Push] = field(default_factory=list)
    _plan: collections.deque[Answer] = field(default_factory=collections.deque)
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def plan(self, *answers: Answer) -> None:
        self._plan.extend(answers)

    def pushes_accepted(self) -> list[Push]:
        """Pushes whose report was acknowledged for the first time, in the order they
        arrived."""
        dups = {id(p) for p in self.duplicates}
        return [p for p in self.pushes if p.report is not None and p.answer.status == 200
                and not p.answer.bad_ack and id(p) not in dups]

    @property
    def reports(self) -> list[Report]:
        """Reports that were acknowledged (each once), in the order they arrived."""
        return [p.report for p in self.pushes_accepted() if p.report is not None]

    def seqs(self, token: str | None = None) -> set[int]:
        """Every seq acknowledged (for one token, or all of them)."""
        if token is not None:
            return set(self.accepted.get(token, set()))
        return set().union(*self.accepted.values())

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(PUSH_PATH, self._push)
        # auto_decompress off: the body is gunzipped by decode_report, which refuses bombs
        # (aiohttp's own decompression would inflate whatever arrives).
        self._runner = web.AppRunner(app, access_log=None, auto_decompress=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Report]:
        """Wait until ``count`` reports were acknowledged."""
        async with asyncio.timeout(timeout):
            while len(self.reports) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.reports

    async def wait_pushes(self, count: int, timeout: float = 10.0) -> list[Push]:
        async with asyncio.timeout(timeout):
            while len(self.pushes) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.pushes

    async def wait_until(self, done: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``done()`` holds, checking after each push."""
        async with asyncio.timeout(timeout):
            while not done():
                self._arrived.clear()
                await self._arrived.wait()

    async def _push(self, request: web.Request) -> web.Response:
        arrived, wall = time.monotonic(), time.time()
        body = await request.read()
        if self.backlog_answer is not None and request.headers.get(BACKLOG_HEADER) == "1":
            answer = self.backlog_answer
        else:
            answer = self._plan.popleft() if self._plan else self.default
        try:
            report: Report | None = decode_report(body)
        except ReportError as exc:
            report = None
            answer = Answer(400, error=str(exc))
        push = Push(arrived, wall, dict(request.headers), body, report, answer)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        self.pushes.append(push)
        self._arrived.set()
        if answer.status != 200:
            headers = {"Retry-After": answer.retry_after} if answer.retry_after else {}
            return web.json_response({"error": answer.error or f"told to answer "
                                      f"{answer.status}"}, status=answer.status,
                                     headers=headers)
        assert report is not None
        if answer.bad_ack:
            return web.json_response({"ack": report.seq + 1})
        seen = self.accepted.setdefault(push.headers.get("Authorization", ""), set())
        if report.seq in seen:
            self.duplicates.append(push)
            return web.json_response({"ack": report.seq, "duplicate": True})
        seen.add(report.seq)
        return web.json_response({"ack": report.seq, "samples": report.sample_count()})
