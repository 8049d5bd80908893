"""Simulated devices for the poller: the light responder (in this event loop, one UDP port
per device) serving the ward router's data, and collectors whose inventory polls them."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from collector.app import create_app
from collector.config import CollectorConfig
from collector.inventory import Device, Inventory
from collector.inventory_write import dump_inventory
from collector.polling.config import SnmpSettings
from collector.polling.poller import Poller
from collector.server import RUNNER_OPTIONS
from netmon.commands import netmon_modules_path
from tests.collector.helpers import small_inventory
from tests.peers.process import free_udp_port
from tests.peers.snmp import WARD_ROUTER
from tests.peers.snmp_responder import Device as SimDevice
from tests.peers.snmp_responder import Records, serve

COMMUNITY = "hn-wan-ro"
AUTH = "hn_wan"

StartDevices = Callable[..., Awaitable[list[SimDevice]]]


@pytest.fixture(scope="session")
def ward_records() -> Records:
    return Records.from_snmprec(WARD_ROUTER.read_text(encoding="utf-8"))


@pytest.fixture
async def simulated(ward_records: Records) -> AsyncIterator[StartDevices]:
    """``await simulated(n, delay=0.0)``: ``n`` ward routers on loopback, each its own port
    and its own copy of the data (a test may change one); closed after the test."""
    transports = []

    async def start(count: int, delay: float = 0.0) -> list[SimDevice]:
        devices = [SimDevice(ward_records.copy(), COMMUNITY.encode(), delay)
                   for _ in range(count)]
        transports.extend(await serve(devices))
        return devices

    yield start
    for transport in transports:
        transport.close()


@pytest.fixture
def snmp_files(tmp_path: Path) -> tuple[Path, ...]:
    """netmon's own modules, an auth with the simulated routers' community, and ``live``
    for snmpsim's ``ward-router-live``."""
    auths = tmp_path / "wan-auths.yml"
    auths.write_text(f"auths:\n  {AUTH}:\n    community: {COMMUNITY}\n    version: 2\n"
                     "  live:\n    community: ward-router-live\n    version: 2\n"
                     "modules: {}\n", encoding="utf-8")
    auths.chmod(0o600)  # it holds a community (exporters/snmp/secret_fields.py)
    return netmon_modules_path(), auths


def dead_address() -> str:
    """A loopback port where nothing listens: requests go unanswered."""
    return f"127.0.0.1:{free_udp_port()}"


def device(name: str, site: str, address: str, modules: tuple[str, ...] = ("system", "if_mib"),
           **options: object) -> Device:
    return Device(name, site, "ward-router", address, modules, AUTH, **options)  # type: ignore[arg-type]


def with_devices(devices: tuple[Device, ...], inventory: Inventory | None = None) -> Inventory:
    return dataclasses.replace(inventory or small_inventory(), devices=devices)


def write_inventory(path: Path, inventory: Inventory) -> Path:
    path.write_text(dump_inventory(inventory), encoding="utf-8")
    return path


@pytest.fixture
async def make_poller(tmp_path: Path, snmp_files: tuple[Path, ...]) -> AsyncIterator[
        Callable[..., Awaitable[Poller]]]:
    """A poller on its own (no app, no schedule unless asked): ``await make_poller(devices,
    schedule=False, **snmp_settings)``; its store is ``poller.live.store``."""
    made: list[Poller] = []
    followers: list[asyncio.Task[None]] = []

    async def make(devices: tuple[Device, ...], schedule: bool = False,
                   **settings: object) -> Poller:
        inventory = with_devices(devices)
        config = CollectorConfig(inventory=write_inventory(tmp_path / "inv.yml", inventory),
                                 snmp=SnmpSettings(files=snmp_files, **settings))  # type: ignore[arg-type]
        poller = await Poller.standalone(config, inventory, schedule)
        made.append(poller)
        if schedule:  # and follow reloads, as the app's snmp_ctx does
            followers.append(asyncio.create_task(poller.run()))
        return poller

    yield make
    for task in followers:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for poller in made:
        await poller.wait_stopped()
        poller.snmp.close()


# --- a whole collector, and a slow path to a real agent ----------------------------------


@contextlib.asynccontextmanager
async def collector_app(config: CollectorConfig) -> AsyncIterator[TestClient[Any, Any]]:
    """The collector app (real clock) on aiohttp's test server, on loopback."""
    app = create_app(config)
    server = TestServer(app)
    await server.start_server(**RUNNER_OPTIONS)
    async with TestClient(server) as client:
        yield client


class DelayProxy(asyncio.DatagramProtocol):
    """A UDP relay on loopback that holds every answer of ``upstream`` for ``delay``
    seconds: a slow link to a real agent. One client (the collector's one SNMP socket)."""

    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream, self.delay = upstream, delay
        self.client: tuple[str, int] | None = None
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        if addr == self.upstream:
            if self.client is not None:
                asyncio.get_running_loop().call_later(self.delay, self._reply, data,
                                                      self.client)
        else:
            self.client = addr
            self.transport.sendto(data, self.upstream)

    def _reply(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])


@pytest.fixture
async def delay_proxy() -> AsyncIterator[Callable[[str, int, float], Awaitable[DelayProxy]]]:
    made: list[DelayProxy] = []

    async def start(host: str, port: int, delay: float) -> DelayProxy:
        loop = asyncio.get_running_loop()
        _, proxy = await loop.create_datagram_endpoint(
            lambda: DelayProxy((host, port), delay), local_addr=("127.0.0.1", 0))
        made.append(proxy)
        return proxy

    yield start
    for proxy in made:
        if proxy.transport is not None:
            proxy.transport.close()
