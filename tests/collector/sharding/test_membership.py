"""Membership: the first answer decides, then fall/rise hysteresis; checks against real HTTP
servers on loopback (a ready one, a 503, a closed port, one too slow to answer)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from collector.sharding.config import Member, ShardingConfig
from collector.sharding.membership import Membership
from collector.sharding.rendezvous import owner
from netmon.web.client import TlsClientConfig
from tests.peers.process import free_tcp_port
from tests.security.certs import TestCA

A, B, C = "dc1-a", "dc1-b", "dc1-c"


def membership(**options: object) -> Membership:
    members = tuple(Member(n, f"http://127.0.0.1:{9000 + i}") for i, n in enumerate((A, B, C)))
    return Membership(ShardingConfig(members, A, **options))  # type: ignore[arg-type]


def test_the_first_answer_decides_then_fall_and_rise_count() -> None:
    m = membership(fall=3, rise=2)
    assert m.alive() == (A,)
    assert m.record(B, True) and m.record(C, False, "refused")
    assert m.alive() == (A, B)
    version = m.version
    assert not m.record(B, False, "timeout") and not m.record(B, False, "timeout")
    assert m.alive() == (A, B) and m.version == version      # two losses move nothing
    assert m.record(B, False, "timeout")
    assert m.alive() == (A,) and m.version == version + 1
    assert not m.record(C, True)
    assert not m.record(C, False, "refused")                 # a failure resets the streak
    assert not m.record(C, True)
    assert m.record(C, True)
    assert m.alive() == (A, C) and m.changes == 3


def test_a_member_polls_nothing_before_the_warm_up_ends() -> None:
    m = membership()
    devices = [f"hn-{i:05d}-r1" for i in range(60)]
    assert not any(m.owns(d) for d in devices)
    version = m.version
    m.start_polling()
    assert m.version == version + 1
    assert all(m.owns(d) for d in devices)                   # alone: every device
    m.record(B, True)
    m.record(C, True)
    mine = [d for d in devices if m.owns(d)]
    assert mine == [d for d in devices if owner(d, (A, B, C)) == A]
    assert 0 < len(mine) < len(devices)


def test_warm_up_and_failover_bounds_follow_the_settings() -> None:
    config = ShardingConfig(interval=2.0, timeout=1.0, fall=3, rise=2)
    assert config.warm_up == 6.0
    assert config.failover_bound == 7.0


@pytest.fixture
async def ready_servers() -> AsyncIterator[dict[str, str]]:
    """URLs of: a ready member, a member answering 503, one answering after 2 s, and a port
    where nothing listens."""
    async def ok(_: web.Request) -> web.Response:
        return web.Response(text="ready")

    async def starting(_: web.Request) -> web.Response:
        return web.json_response({"error": "starting"}, status=503)

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(text="ready")

    runners = []
    urls = {}
    for name, handler in (("ok", ok), ("starting", starting), ("slow", slow)):
        app = web.Application()
        app.router.add_get("/-/ready", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_tcp_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        urls[name] = f"http://127.0.0.1:{port}"
    urls["closed"] = f"http://127.0.0.1:{free_tcp_port()}"
    yield urls
    for runner in runners:
        await runner.cleanup()


async def test_checks_of_real_members(ready_servers: dict[str, str]) -> None:
    members = tuple(Member(n, u) for n, u in ready_servers.items())
    me = Member("me", "http://127.0.0.1:1")
    m = Membership(ShardingConfig((me, *members), "me", interval=1.0, timeout=0.5))
    async with aiohttp.ClientSession() as session:
        results = {mb.name: await m.check(session, mb) for mb in members}
        assert results["ok"] == (True, "")
        assert results["starting"] == (False, f"HTTP 503 from {ready_servers['starting']}/-/ready")
        assert results["slow"] == (False, "no answer within 0.5s")
        ok, error = results["closed"]
        assert not ok and error.startswith("ClientConnectorError")
        await m.check_all(session)
    assert m.alive() == ("me", "ok")
    assert m.states["closed"].last_error.startswith("ClientConnectorError")


async def test_https_members_are_verified_with_the_configured_ca(tmp_path: Path) -> None:
    """A member behind TLS: checked with ``sharding.tls.ca_file``; without it the check
    fails on verification (the system's CAs do not know the test CA)."""
    ca = TestCA.create(tmp_path)
    server = ca.issue("dc1-b", ips=("127.0.0.1",))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(server.cert, server.key)
    async def ready(_: web.Request) -> web.Response:
        return web.Response(text="ready")

    app = web.Application()
    app.router.add_get("/-/ready", ready)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_tcp_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()
    try:
        members = (Member("dc1-a", "https://127.0.0.1:1"),
                   Member("dc1-b", f"https://127.0.0.1:{port}"))
        trusting = Membership(ShardingConfig(members, "dc1-a",
                                             tls=TlsClientConfig(ca_file=str(ca.cert))))
        default = Membership(ShardingConfig(members, "dc1-a"))
        async with aiohttp.ClientSession() as session:
            assert await trusting.check(session, members[1]) == (True, "")
            ok, error = await default.check(session, members[1])
        assert not ok and "certificate verify failed" in error
    finally:
        await runner.cleanup()
