"""A collector with its trap receiver wired in as the app factory will do it, and net-snmp's
``snmptrap``/``snmpinform`` as senders (started with asyncio, stopped by PID)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from collector.app import create_app
from collector.config_load import ConfigSource
from collector.server import RUNNER_OPTIONS
from collector.traps import TrapsConfig
from collector.traps.context import TRAPS
from collector.traps.service import Traps
from tests.collector.conftest import Collector, FakeClock
from tests.collector.helpers import parse_metrics

#: linkDown/linkUp and the IF-MIB columns they carry (net-snmp has no MIBs here: numeric).
LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
LINK_UP = "1.3.6.1.6.3.1.1.5.4"
IF_INDEX = "1.3.6.1.2.1.2.2.1.1"
IF_ADMIN_STATUS = "1.3.6.1.2.1.2.2.1.7"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"


def link_varbinds(if_index: int, oper: int, admin: int = 1) -> list[str]:
    return [f"{IF_INDEX}.{if_index}", "i", str(if_index),
            f"{IF_ADMIN_STATUS}.{if_index}", "i", str(admin),
            f"{IF_OPER_STATUS}.{if_index}", "i", str(oper)]


@dataclass
class TrapCollector:
    collector: Collector
    traps: Traps

    @property
    def port(self) -> int:
        return self.traps.address[1]

    @property
    def target(self) -> str:
        return f"udp:127.0.0.1:{self.port}"

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return parse_metrics(await self.collector.text("/metrics"))

    async def value(self, name: str, **labels: str) -> float:
        """The sum of ``name``'s series whose labels include ``labels``."""
        return sum(v for (n, pairs), v in (await self.metrics()).items()
                   if n == name and set(labels.items()) <= set(pairs))


MakeTrapCollector = Callable[[TrapsConfig], AbstractAsyncContextManager[TrapCollector]]


@pytest.fixture
def make_trap_collector(clock: FakeClock, inventory_file: Path, config_file: Path
                        ) -> MakeTrapCollector:
    @contextlib.asynccontextmanager
    async def make(config: TrapsConfig) -> AsyncIterator[TrapCollector]:
        source = ConfigSource(config_file)
        app = create_app(dataclasses.replace(source.load(), traps=config), source, clock)
        traps = app[TRAPS]                  # wired by create_app, as for the process
        server = TestServer(app)
        try:
            await server.start_server(**RUNNER_OPTIONS)
        except BaseException:
            await server.close()
            raise
        async with TestClient(server) as client:
            yield TrapCollector(Collector(client, clock, inventory_file, config_file, app),
                                traps)
    return make


@dataclass(frozen=True)
class NetSnmp:
    """net-snmp's command-line senders, isolated from the machine's configuration."""

    env: dict[str, str]

    async def run(self, command: str, *args: str, timeout: float = 10.0
                  ) -> tuple[int, str]:
        binary = shutil.which(command)
        if binary is None:
            pytest.fail(f"{command} not found: install Debian's 'snmp' package (.ci/setup)")
        proc = await asyncio.create_subprocess_exec(
            binary, *args, env=self.env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, 9)
            await proc.wait()
            raise
        assert proc.returncode is not None
        return proc.returncode, out.decode(errors="replace")


@pytest.fixture
def net_snmp(tmp_path: Path) -> NetSnmp:
    home = tmp_path / "net-snmp"
    home.mkdir()
    return NetSnmp({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
                    "SNMP_PERSISTENT_DIR": str(home), "SNMPCONFPATH": str(home),
                    "MIBS": "", "MIBDIRS": str(home)})
