"""POST /api/v1/push over real HTTP: what is stored, what is refused, and how precisely."""

from __future__ import annotations

import asyncio
import gzip
import os
import zlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from collector import ingest
from collector.app import create_app
from collector.config_load import ConfigSource
from collector.ingest import OFFLOAD_BYTES
from netmon import wire
from netmon.wire import Limits
from tests.collector.conftest import Collector
from tests.collector.helpers import (
    AGENT,
    OTHER,
    Pusher,
    family,
    headers,
    parse_metrics,
    router_families,
    token,
)


def labels_of(exposition_series: dict[frozenset[tuple[str, str]], float]
              ) -> list[dict[str, str]]:
    return [dict(k) for k in exposition_series]


async def test_push_round_trip_keeps_vietnamese_labels(collector: Collector,
                                                       pusher: Pusher) -> None:
    response = await collector.push(pusher.body())
    assert response.status == 200
    assert await response.json() == {"ack": 1, "samples": 5}
    scope = await collector.scope()
    location = labels_of(scope.series("sysLocation"))
    assert location == [{"sysLocation": "Phường Phúc Xá, Quận Ba Đình, Hà Nội",
                         "agent": AGENT, "site": "00001", "district": "Quận Ba Đình",
                         "ward": "Phường Phúc Xá", "role": "ward-router"}]
    octets = scope.series("ifHCInOctets")
    assert sorted(octets.values()) == [1001.0, 1002.0]
    assert scope.types["ifHCInOctets"] == "counter"
    assert scope.helps["ifHCInOctets"] == "The total number of octets received on the interface"


async def test_duplicate_seq_is_acknowledged_and_not_counted(collector: Collector,
                                                             pusher: Pusher) -> None:
    body = pusher.body(router_families(octets=1000))
    assert (await collector.push(body)).status == 200
    again = await collector.push(body)
    assert await again.json() == {"ack": 1, "duplicate": True}
    # A resend of seq 1 with other values changes nothing either.
    stale = pusher.body(router_families(octets=5), seq=1, ts=pusher.ts - 10)
    assert await (await collector.push(stale)).json() == {"ack": 1, "duplicate": True}
    scope = await collector.scope()
    assert sorted(scope.series("ifHCInOctets").values()) == [1001.0, 1002.0]
    metrics = parse_metrics(await collector.text("/metrics"))
    assert metrics[("netmon_agent_reports_total", (("agent", AGENT),
                                                  ("result", "accepted")))] == 1
    assert metrics[("netmon_agent_reports_total", (("agent", AGENT),
                                                  ("result", "duplicate")))] == 2
    assert metrics[("netmon_collector_ingest_samples_total", ())] == 5


async def test_a_restarted_sequence_with_newer_data_is_accepted(collector: Collector,
                                                                pusher: Pusher) -> None:
    for _ in range(3):
        assert (await collector.push(pusher.body())).status == 200
    fresh = pusher.body(router_families(octets=7), seq=1)   # newer ts, seq starts again
    assert await (await collector.push(fresh)).json() == {"ack": 1, "samples": 5}
    assert sorted((await collector.scope()).series("ifHCInOctets").values()) == [8.0, 9.0]


async def test_a_batch_replaces_that_exporters_previous_batch(collector: Collector,
                                                              pusher: Pusher) -> None:
    await collector.push(pusher.body())
    host = [family("node_load1", "gauge", [({}, 0.5)])]
    await collector.push(pusher.body(host, exporter="host"))
    scope = await collector.scope()
    assert scope.series("node_load1") and scope.series("ifHCInOctets")
    only_eth0 = [family("ifHCInOctets", "counter", [({"ifIndex": "1", "ifName": "eth0"}, 9)])]
    await collector.push(pusher.body(only_eth0))
    scope = await collector.scope()
    assert list(scope.series("ifHCInOctets").values()) == [9.0]
    assert not scope.series("ifOperStatus")            # gone with the replaced batch
    assert scope.series("node_load1")                  # the other exporter's batch stays


async def test_identity_labels_in_a_report_become_exported(collector: Collector,
                                                           pusher: Pusher) -> None:
    """Agent A's token with a body that names agent B's identity: stored as A's."""
    forged = [family("ifHCInOctets", "counter", [(
        {"agent": OTHER, "site": "00037", "district": "Quận Hoàn Kiếm",
         "ward": "Phường Phúc Tân", "role": "dc-host", "dc": "primary",
         "exported_dc": "taken", "ifName": "eth0"}, 1)])]
    assert (await collector.push(pusher.body(forged))).status == 200
    ((labels, _),) = (await collector.scope()).series("ifHCInOctets").items()
    assert dict(labels) == {
        "agent": AGENT, "site": "00001", "district": "Quận Ba Đình", "ward": "Phường Phúc Xá",
        "role": "ward-router", "ifName": "eth0",
        "exported_agent": OTHER, "exported_site": "00037",
        "exported_district": "Quận Hoàn Kiếm", "exported_ward": "Phường Phúc Tân",
        "exported_role": "dc-host", "exported_exported_dc": "primary",
        "exported_dc": "taken"}
    assert (await collector.text(f"/scopes/wan/metrics?agent={OTHER}", 503))


async def test_unknown_or_missing_token_is_401_and_counted(collector: Collector,
                                                           pusher: Pusher,
                                                           caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    response = await collector.client.post(wire.PUSH_PATH, data=pusher.body(), headers={
        "Authorization": "Bearer not-a-token-of-anyone", "Content-Type": wire.CONTENT_TYPE,
        "Content-Encoding": "gzip"})
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert await response.json() == {"error": "unknown token"}
    missing = await collector.push(pusher.body(), agent_id=None)
    assert missing.status == 401
    assert "Bearer" in (await missing.json())["error"]
    metrics = parse_metrics(await collector.text("/metrics"))
    assert metrics[("netmon_collector_auth_failures_total", (("reason", "unknown"),))] == 1
    assert metrics[("netmon_collector_auth_failures_total", (("reason", "missing"),))] == 1
    assert metrics[("netmon_collector_reports_rejected_total",
                    (("reason", "unauthorized"),))] == 2
    assert "not-a-token-of-anyone" not in caplog.text
    assert "source=127.0.0.1" in caplog.text
    assert not (await collector.scope()).values


def _bomb() -> bytes:
    return gzip.compress(b" " * 20_000_000, 9)


def _truncated(pusher: Pusher) -> bytes:
    body = pusher.body()
    return body[: len(body) // 2]


def _not_json() -> bytes:
    return gzip.compress(b'{"v": 1, "seq": 3, "batches": [')


def _bad_label(pusher: Pusher) -> bytes:
    doc = orjson.loads(gzip.decompress(pusher.body()))
    doc["batches"][0]["families"][0]["labels"][1] = "if-name"
    return gzip.compress(orjson.dumps(doc))


BAD_BODIES: dict[str, tuple[Callable[[Pusher], bytes], dict[str, str | None], int, str]] = {
    "gzip bomb": (lambda p: _bomb(), {}, 413, "inflates past"),
    "truncated gzip": (_truncated, {}, 400, "truncated"),
    "not gzip": (lambda p: b"hello, collector", {}, 400, "not valid gzip"),
    "truncated json": (lambda p: _not_json(), {}, 400, "not JSON"),
    "bad label name": (_bad_label, {}, 400,
                       "batches[0].families[0].labels[1]: 'if-name' is not a valid label name"),
    "wrong content type": (lambda p: p.body(), {"content_type": "text/plain"}, 415,
                           "Content-Type must be"),
    "wrong version": (lambda p: p.body(),
                      {"content_type": "application/x-netmon-report+json; version=2"}, 415,
                      "version '2'"),
    "wrong encoding": (lambda p: p.body(), {"encoding": "br"}, 415, "Content-Encoding"),
    "gzip sent as identity": (lambda p: p.body(), {"encoding": None}, 400, "not JSON"),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_bad_bodies_get_a_precise_4xx_and_harm_nobody(collector: Collector,
                                                            case: str) -> None:
    other, mine = Pusher(), Pusher()
    assert (await collector.push(other.body(), agent_id=OTHER)).status == 200
    assert (await collector.push(mine.body())).status == 200
    make, header_args, status, message = BAD_BODIES[case]
    response = await collector.push(make(mine), **header_args)
    answer = await response.json()
    assert response.status == status, answer
    assert message in answer["error"]
    # the collector is unharmed, both agents' data intact, the bad push not counted
    assert await collector.text("/-/healthy")
    scope = await collector.scope()
    assert {dict(k)["agent"] for k in scope.series("ifHCInOctets")} == {AGENT, OTHER}
    metrics = parse_metrics(await collector.text("/metrics"))
    assert metrics[("netmon_agent_reports_total", (("agent", AGENT), ("result", "rejected")))] \
        == 1
    assert metrics[("netmon_collector_ingest_samples_total", ())] == 10
    assert (await collector.push(mine.body())).status == 200


async def test_identity_encoding_is_accepted(collector: Collector, pusher: Pusher) -> None:
    raw = zlib.decompress(pusher.body(), 16 + zlib.MAX_WBITS)
    assert (await collector.push(raw, encoding=None)).status == 200
    assert (await collector.push(pusher.body(), encoding="identity")).status == 400


async def test_size_limits_are_413(make_collector: Callable[..., AsyncIterator[Collector]],
                                   pusher: Pusher) -> None:
    async for collector in make_collector(limits=Limits(max_compressed_bytes=2048,
                                                        max_samples=6)):
        many = [family(name, "gauge", [({"i": str(i)}, i) for i in range(4)])
                for name in ("x", "y")]
        response = await collector.push(pusher.body(many))
        assert response.status == 413
        assert "the report has more than 6 samples" in (await response.json())["error"]
        big = [family("x", "gauge", [({"i": os.urandom(400).hex()}, i) for i in range(5)])]
        noise = pusher.body(big)
        assert len(noise) > 2048
        response = await collector.push(noise)
        assert response.status == 413
        assert "exceeds 2048" in (await response.json())["error"]

        async def chunked() -> AsyncIterator[bytes]:   # no Content-Length: cut while reading
            for _ in range(10):
                yield b"x" * 1000

        response = await collector.client.post(wire.PUSH_PATH, data=chunked(),
                                               headers={"Authorization": f"Bearer {token(AGENT)}",
                                                        "Content-Type": wire.CONTENT_TYPE,
                                                        "Content-Encoding": "gzip"})
        assert response.status == 413
        assert (await collector.push(pusher.body())).status == 200
        metrics = parse_metrics(await collector.text("/metrics"))
        assert metrics[("netmon_collector_reports_rejected_total",
                        (("reason", "too_large"),))] == 3


async def test_a_large_report_is_decoded_off_the_loop(collector: Collector, pusher: Pusher,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    to_thread = asyncio.to_thread

    async def spy(fn: Callable[..., object], /, *args: object) -> object:
        threads.append(getattr(fn, "__name__", "?"))
        return await to_thread(fn, *args)

    monkeypatch.setattr(ingest.asyncio, "to_thread", spy)
    assert (await collector.push(pusher.body())).status == 200
    assert threads == []                                   # a ward router's report: inline
    rows = [({"ifIndex": str(i), "ifAlias": f"uplink {i} " + "x" * (i % 97)}, float(i))
            for i in range(30_000)]
    body = pusher.body([family("ifHCInOctets", "counter", rows)])
    assert len(body) > OFFLOAD_BYTES
    response = await collector.push(body)
    assert await response.json() == {"ack": 2, "samples": 30_000}
    assert threads == ["prepare"]
    scope = await collector.scope()
    assert len(scope.series("ifHCInOctets")) == 30_000


async def test_conflicting_types_keep_the_first(collector: Collector) -> None:
    gauge = [family("temperature_celsius", "gauge", [({"sensor": "a"}, 20)])]
    counter = [family("temperature_celsius", "counter", [({"sensor": "a"}, 21)])]
    assert (await collector.push(Pusher().body(gauge))).status == 200
    response = await collector.push(Pusher().body(counter), agent_id=OTHER)
    assert await response.json() == {"ack": 1, "samples": 0, "conflicts": 1}
    scope = await collector.scope()
    assert scope.types["temperature_celsius"] == "gauge"
    assert [dict(k)["agent"] for k in scope.series("temperature_celsius")] == [AGENT]


async def test_a_server_that_inflates_bodies_itself_still_works(
        config_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    """aiohttp's default (auto_decompress=True) inflates gzip before the handler: served,
    bounded by the same cap, and the operator told once."""
    app = create_app(ConfigSource(config_file).load(), None)
    async with TestClient(TestServer(app)) as client:
        for _ in range(2):
            response = await client.post(wire.PUSH_PATH, data=Pusher().body(),
                                         headers=headers(OTHER))
            assert response.status == 200
    assert caplog.text.count("RUNNER_OPTIONS") == 1
