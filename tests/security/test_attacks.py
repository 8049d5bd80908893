"""Attacks on a running collector process, each with the exact answer and counter expected.

The collector is ``python -m collector`` with small limits (:data:`tests.security.conftest.
LIMITS`); every test uses its own agents, so one test's per-agent limits never touch another.
The table of these attacks and their outcomes is in SECURITY.md.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client import Metric

from netmon import wire
from tests.collector.helpers import Pusher, family
from tests.peers.promtool import check_metrics
from tests.security.conftest import LIMITS, Hardened

pytestmark = pytest.mark.security


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url + wire.PUSH_PATH, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": wire.CONTENT_TYPE,
            "Content-Encoding": "gzip"}


def _error(body: bytes) -> str:
    return str(json.loads(body)["error"])


def _many(count: int, prefix: str = "") -> list[Metric]:
    return [family(f"{prefix}attack_series", "gauge",
                   [({"n": str(i)}, float(i)) for i in range(count)])]


# --- identity and replay ------------------------------------------------------------------

def test_forged_identity_is_kept_as_exported_labels(hardened: Hardened) -> None:
    """Agent A's token with agent B's identity in the report: stored as A, B's labels kept
    only as exported_*; B gets nothing."""
    a, b = hardened.agents[0], hardened.agents[1]
    running = hardened.running
    forged = family("forged_metric", "gauge", [({"agent": b, "site": "00037", "ward": "x"},
                                                 1.0)])
    status, body = running.push(Pusher().body([forged]), running.token(a))
    assert status == 200, body
    series = running.scope().series("forged_metric")
    assert len(series) == 1
    labels = dict(next(iter(series)))
    assert labels["agent"] == a
    assert labels["exported_agent"] == b
    assert labels["exported_site"] == "00037"
    assert labels["site"] != "00037" or a.startswith("hn-hoankiem")


def test_replayed_report_is_a_duplicate_stored_once(hardened: Hardened) -> None:
    agent = hardened.agents[1]
    running = hardened.running
    body = Pusher().body()
    before = hardened.metric("netmon_collector_ingest_samples_total")
    first = running.push(body, running.token(agent))
    again = running.push(body, running.token(agent))
    assert first[0] == 200 and "duplicate" not in first[1]
    assert again == (200, {"ack": first[1]["ack"], "duplicate": True})
    stored = hardened.metric("netmon_collector_ingest_samples_total") - before
    assert stored == first[1]["samples"]
    assert hardened.metric("netmon_agent_reports_total", agent=agent, result="duplicate") == 1
    assert hardened.metric("netmon_agent_reports_total", agent=agent, result="accepted") == 1


# --- sizes --------------------------------------------------------------------------------

def test_oversized_body_is_413(hardened: Hardened) -> None:
    agent = hardened.agents[2]
    before = hardened.metric("netmon_collector_reports_rejected_total", reason="too_large")
    body = b"\x1f\x8b" + bytes(LIMITS["max_compressed_bytes"] + 10)
    status, _, answer = _post(hardened.url, body, _headers(hardened.running.token(agent)))
    assert status == 413
    assert _error(answer) == (f"body of {len(body)} bytes exceeds "
                              f"{LIMITS['max_compressed_bytes']}")
    assert hardened.metric("netmon_collector_reports_rejected_total",
                           reason="too_large") == before + 1


def test_gzip_bomb_is_413_before_it_inflates(hardened: Hardened) -> None:
    agent = hardened.agents[2]
    bomb = gzip.compress(b'{"v": 1, "pad": "' + b"A" * (50 * 1024 * 1024), 9)  # 50 MB -> 50 kB
    assert len(bomb) < LIMITS["max_compressed_bytes"]
    before = hardened.metric("netmon_collector_reports_rejected_total", reason="too_large")
    status, _, answer = _post(hardened.url, bomb, _headers(hardened.running.token(agent)))
    assert status == 413
    assert "inflates past" in _error(answer)
    assert hardened.metric("netmon_collector_reports_rejected_total",
                           reason="too_large") == before + 1


def test_too_many_series_for_one_agent_is_422(hardened: Hardened) -> None:
    """Spread over two exporters, each report under every per-report limit: the second
    would take the agent past max_series_per_agent (50)."""
    agent = hardened.agents[3]
    running = hardened.running
    pusher = Pusher()
    first = running.push(pusher.body(_many(30), exporter="one"), running.token(agent))
    assert first[0] == 200, first
    before = hardened.metric("netmon_collector_reports_rejected_total",
                             reason="too_many_series")
    second = running.push(pusher.body(_many(30, "x_"), exporter="two"), running.token(agent))
    assert second == (422, {"error": f"agent {agent} would hold 60 series, more than the "
                                     "limit of 50 (limits.max_series_per_agent); the report "
                                     "is not stored"})
    assert hardened.metric("netmon_collector_reports_rejected_total",
                           reason="too_many_series") == before + 1
    assert hardened.metric("netmon_agent_series", agent=agent) == 30
    # replacing an exporter's batch is not growth: 40 in place of 30 is fine
    assert running.push(pusher.body(_many(40), exporter="one"), running.token(agent))[0] == 200


# --- label injection ----------------------------------------------------------------------

INJECTED = 'a"b\\c\nd} e{f,g="h"\n# HELP fake fake\nfake_metric 1\r\t\u2028end'


def test_label_injection_is_escaped_and_the_exposition_parses(hardened: Hardened) -> None:
    agent = hardened.agents[4]
    running = hardened.running
    hostile = family("injected_metric", "gauge", [({"value": INJECTED}, 7.0)],
                     help_text="help\n# TYPE injected_metric counter\ninjected_metric 9")
    status, body = running.push(Pusher().body([hostile]), running.token(agent))
    assert status == 200, body
    _, scope = running.get(f"/scopes/wan/metrics?agent={agent}")
    result = check_metrics(scope)
    assert result.parsed, result.output
    assert b"fake_metric" not in scope.replace(b"# HELP fake fake\\nfake_metric", b"")
    escaped = INJECTED.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    assert f'value="{escaped}"'.encode() in scope
    lines = [line for line in scope.split(b"\n") if line.startswith(b"injected_metric{")]
    assert len(lines) == 1 and lines[0].endswith(b" 7")
    _, own = running.get("/metrics")
    assert check_metrics(own).parsed


@pytest.mark.parametrize(("labels", "expected"), [
    ('["bad{name"]', "is not a valid label name"),
    ('["new\\nline"]', "is not a valid label name"),
    ('["__reserved"]', "is not a valid label name"),
])
def test_hostile_label_names_are_400(hardened: Hardened, labels: str, expected: str) -> None:
    agent = hardened.agents[4]
    doc = (f'{{"v": 1, "seq": 900, "sent": {time.time()}, "batches": [{{"exporter": "x", '
           f'"ts": {time.time()}, "interval": 15, "families": [{{"name": "m", '
           f'"type": "gauge", "help": "", "labels": {labels}, "samples": [[1, "v"]]}}]}}]}}')
    status, _, answer = _post(hardened.url, gzip.compress(doc.encode()),
                              _headers(hardened.running.token(agent)))
    assert status == 400
    assert expected in _error(answer)


def test_invalid_utf8_is_400(hardened: Hardened) -> None:
    agent = hardened.agents[4]
    doc = (b'{"v": 1, "seq": 901, "sent": 1, "batches": [{"exporter": "x", "ts": 1, '
           b'"interval": 15, "families": [{"name": "m", "type": "gauge", "help": "", '
           b'"labels": ["l"], "samples": [[1, "\xff\xfe"]]}]}]}')
    status, _, answer = _post(hardened.url, gzip.compress(doc),
                              _headers(hardened.running.token(agent)))
    assert status == 400
    assert _error(answer).startswith("body is not JSON")


# --- tokens -------------------------------------------------------------------------------

def test_wrong_token_is_401_unknown(hardened: Hardened) -> None:
    before = hardened.metric("netmon_collector_auth_failures_total", reason="unknown")
    status, headers, answer = _post(hardened.url, Pusher().body(), _headers("W" * 43))
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert _error(answer) == "unknown token"
    assert hardened.metric("netmon_collector_auth_failures_total",
                           reason="unknown") == before + 1
    assert "W" * 43 not in hardened.running.process.output()


def test_missing_token_is_401_missing(hardened: Hardened) -> None:
    before = hardened.metric("netmon_collector_auth_failures_total", reason="missing")
    status, _, answer = _post(hardened.url, Pusher().body(),
                              {"Content-Type": wire.CONTENT_TYPE})
    assert status == 401
    assert "Authorization: Bearer" in _error(answer)
    assert hardened.metric("netmon_collector_auth_failures_total",
                           reason="missing") == before + 1


def test_expired_token_is_401_token_expired(hardened: Hardened) -> None:
    running = hardened.running
    before = hardened.metric("netmon_collector_auth_failures_total", reason="expired")
    status, _, answer = _post(hardened.url, Pusher().body(), _headers(hardened.expired_token))
    assert status == 401
    assert _error(answer).startswith("token expired")
    assert hardened.metric("netmon_collector_auth_failures_total",
                           reason="expired") == before + 1
    # the new token of the same agent works
    assert running.push(Pusher().body(), running.token(hardened.expired_agent))[0] == 200
    assert hardened.expired_token not in running.process.output()


# --- rate and fairness --------------------------------------------------------------------

def test_a_flooding_agent_is_429_and_never_slows_another(hardened: Hardened) -> None:
    flooder, other = hardened.agents[5], hardened.agents[6]
    running = hardened.running
    flood_token = running.token(flooder)
    bodies = [Pusher().body(seq=i + 1) for i in range(60)]
    before = hardened.metric("netmon_collector_reports_rejected_total", reason="rate_limited")

    def flood(body: bytes) -> tuple[int, dict[str, str], bytes]:
        return _post(hardened.url, body, _headers(flood_token))

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = pool.map(flood, bodies)
        start = time.monotonic()
        status, body = running.push(Pusher().body(), running.token(other))
        other_latency = time.monotonic() - start
        results = list(answers)
    assert status == 200, body
    assert other_latency < 1.0, f"the other agent waited {other_latency:.2f}s"
    limited = [r for r in results if r[0] == 429]
    accepted = [r for r in results if r[0] == 200]
    assert len(accepted) <= LIMITS["max_report_burst"] + 3   # the burst, plus refill
    assert len(limited) == len(results) - len(accepted)
    assert all(int(h["Retry-After"]) >= 1 for _, h, _ in limited)
    assert "more than 2 reports a second" in _error(limited[0][2])
    assert hardened.metric("netmon_collector_reports_rejected_total",
                           reason="rate_limited") == before + len(limited)
    lines = [line for line in running.process.output().split("\n")
             if "rate_limited" in line and f"agent={flooder}" in line]
    assert len(lines) == 1, lines   # one line a minute per agent, not one per refusal


# --- path traversal -----------------------------------------------------------------------

@pytest.mark.parametrize(("path", "status"), [
    ("/snmp?target=127.0.0.1&module=../../../../etc/passwd", 400),
    ("/snmp?target=127.0.0.1&module=system&auth=../../../../etc/passwd", 400),
    ("/snmp?target=file:///etc/passwd&module=system", 400),
    ("/scopes/..%2F..%2F..%2Fetc%2Fpasswd/metrics", 404),
    ("/scopes/wan/metrics?agent=../../../../etc/passwd", 404),
    ("/sd?scope=../../../../etc/passwd", 404),
    ("/../../../../etc/passwd", 404),
    ("/static/../../../../etc/passwd", 404),
])
def test_path_traversal_reads_no_file(hardened: Hardened, path: str, status: int) -> None:
    got, body = hardened.running.get(path)
    assert got == status, body
    assert b"root:" not in body


# --- slow clients -------------------------------------------------------------------------

def test_slow_clients_are_cut_and_never_starve_a_push(hardened: Hardened) -> None:
    """200 connections sending their headers a byte a second (from 127.0.0.2): a normal push
    is answered at once meanwhile, and the slow ones are closed after the header deadline;
    a body sent a byte a second is answered 408 after the body deadline."""
    from tests.security.slow_clients import SlowClients, slow_body

    running = hardened.running
    port = int(running.url.rsplit(":", 1)[1])
    agent = hardened.agents[7]
    with SlowClients("127.0.0.1", port, count=200, source="127.0.0.2") as slow:
        slow.trickle(seconds=0.5)
        start = time.monotonic()
        status, answer = running.push(Pusher().body(), running.token(agent))
        latency = time.monotonic() - start
        assert status == 200, answer
        assert latency < 1.0, f"a push took {latency:.2f}s beside 200 slow clients"
        assert slow.open_count() == 200
        closed_after = slow.trickle_until_closed(limit=LIMITS["header_timeout_seconds"] + 3.0)
    assert closed_after <= LIMITS["header_timeout_seconds"] + 2.0
    before = hardened.metric("netmon_collector_reports_rejected_total", reason="body_timeout")
    status_line, elapsed = slow_body("127.0.0.1", port, running.token(agent))
    assert status_line.startswith(b"HTTP/1.1 408"), status_line
    assert LIMITS["body_timeout_seconds"] - 0.5 <= elapsed <= LIMITS["body_timeout_seconds"] + 2
    assert hardened.metric("netmon_collector_reports_rejected_total",
                           reason="body_timeout") == before + 1
    assert re.search(rb"netmon_collector_reports_rejected_total", running.get("/metrics")[1])
