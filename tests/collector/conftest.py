"""The collector app on aiohttp's test server (real HTTP on loopback), with a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from collector.app import create_app
from collector.config import CollectorConfig
from collector.config_load import ConfigSource
from collector.inventory_write import dump_inventory
from collector.server import RUNNER_OPTIONS
from collector.state import LIVE
from collector.store import Store
from netmon import wire
from tests.collector.helpers import AGENT, Pusher, headers, small_inventory
from tests.collector.process import collector_process, process_inventory  # noqa: F401
from tests.peers.exposition import Exposition, parse


@dataclass
class FakeClock:
    now: float = 1000.0
    wall_offset: float = 1_795_000_000.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + self.wall_offset

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Collector:
    client: TestClient[object, object]
    clock: FakeClock
    inventory_path: Path
    config_path: Path
    app: web.Application

    @property
    def store(self) -> Store:
        store = self.app[LIVE].store
        assert store is not None
        return store

    async def push(self, body: bytes, agent_id: str | None = AGENT,
                   **header_args: str | None) -> ClientResponse:
        return await self.client.post(wire.PUSH_PATH, data=body,
                                      headers=headers(agent_id, **header_args))  # type: ignore[arg-type]

    async def text(self, path: str, status: int = 200) -> str:
        response = await self.client.get(path)
        text = await response.text()
        assert response.status == status, text
        return text

    async def scope(self, path: str = "/scopes/wan/metrics") -> Exposition:
        return parse(await self.text(path))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def inventory_file(tmp_path: Path) -> Path:
    path = tmp_path / "inventory.yml"
    path.write_text(dump_inventory(small_inventory()), encoding="utf-8")
    return path


@pytest.fixture
def config_file(tmp_path: Path, inventory_file: Path) -> Path:
    path = tmp_path / "collector.yml"
    path.write_text(f"inventory: {inventory_file.name}\nstaleness_intervals: 3\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def make_collector(clock: FakeClock, inventory_file: Path, config_file: Path
                   ) -> Callable[..., AsyncIterator[Collector]]:
    async def make(**config: object) -> AsyncIterator[Collector]:
        source = ConfigSource(config_file)
        base = source.load()
        app = create_app(CollectorConfig(**{**_fields(base), **config}), source, clock)
        server = TestServer(app)
        await server.start_server(**RUNNER_OPTIONS)  # TestServer() would drop them
        async with TestClient(server) as client:
            yield Collector(client, clock, inventory_file, config_file, app)
    return make


def _fields(config: CollectorConfig) -> dict[str, object]:
    return {name: getattr(config, name) for name in CollectorConfig.__dataclass_fields__}


@pytest.fixture
async def collector(make_collector: Callable[..., AsyncIterator[Collector]]
                    ) -> AsyncIterator[Collector]:
    async for c in make_collector():
        yield c


@pytest.fixture
def pusher() -> Pusher:
    return Pusher()
