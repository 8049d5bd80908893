"""A remote_write receiver for the in-process tests: decodes every request with the
independent decoder, records the series it accepted, and answers what the test scripts
(statuses queued in ``answers``; 204 once they run out)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.collector.remote_write_decode import Series, decode_body
from tests.peers.process import free_tcp_port


@dataclass
class Receiver:
    port: int
    answers: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    accepted: list[Series] = field(default_factory=list)
    requests: int = 0
    headers_seen: list[dict[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1/write"

    def answer(self, status: int, text: str = "", **headers: str) -> None:
        self.answers.append((status, text, headers))

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.headers_seen.append(dict(request.headers))
        series = decode_body(await request.read())
        if self.answers:
            status, text, headers = self.answers.pop(0)
            if status >= 300:
                return web.Response(status=status, text=text, headers=headers)
        self.accepted.extend(series)
        return web.Response(status=204)

    async def wait_for(self, samples: int, timeout: float = 10.0) -> list[Series]:
        deadline = asyncio.get_running_loop().time() + timeout
        while sum(len(s.samples) for s in self.accepted) < samples:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{len(self.accepted)} series received, wanted {samples}")
            await asyncio.sleep(0.01)
        return self.accepted


@contextlib.asynccontextmanager
async def receiving(receiver: Receiver | None = None) -> AsyncIterator[Receiver]:
    """Serve ``receiver`` (a new one on a free port if None) until the block ends."""
    receiver = receiver or Receiver(free_tcp_port())
    app = web.Application()
    app.router.add_post("/api/v1/write", receiver.handle)
    server = TestServer(app, port=receiver.port)
    await server.start_server()
    try:
        yield receiver
    finally:
        await server.close()
