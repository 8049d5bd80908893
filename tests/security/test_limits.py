"""The per-agent limits on their own: the token bucket, the series count, the config keys."""

from __future__ import annotations

import logging
import math

import pytest

from collector.cardinality import series_after
from collector.config_load import parse_config
from collector.errors import ConfigError, RateLimited
from collector.inventory import Identity
from collector.lines import IdentityLabels, RenderedBatch, RenderedFamily
from collector.prepare import PreparedReport
from collector.ratelimit import LOG_INTERVAL, AgentRateLimiter
from collector.store import AgentState, StoredBatch

pytestmark = pytest.mark.security


def test_the_bucket_allows_the_burst_then_the_rate_and_says_when_to_retry() -> None:
    now = [0.0]
    limiter = AgentRateLimiter(clock=lambda: now[0])
    for _ in range(5):
        limiter.check("a", rate=2, burst=5)
    with pytest.raises(RateLimited) as caught:
        limiter.check("a", rate=2, burst=5)
    assert caught.value.status == 429 and caught.value.retry_after == 1
    assert str(caught.value) == ("agent a pushes more than 2 reports a second (burst 5); "
                                 "retry in 1s")
    limiter.check("b", rate=2, burst=5)          # another agent has its own bucket
    now[0] += 0.5                                 # one token back
    limiter.check("a", rate=2, burst=5)
    with pytest.raises(RateLimited):
        limiter.check("a", rate=2, burst=5)
    now[0] += 100.0                               # refilled to the burst, not beyond
    for _ in range(5):
        limiter.check("a", rate=2, burst=5)
    with pytest.raises(RateLimited):
        limiter.check("a", rate=2, burst=5)


def test_a_throttled_agent_is_logged_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    limiter = AgentRateLimiter(clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="collector.ratelimit")
    limiter.check("a", rate=1, burst=1)
    for _ in range(4):
        with pytest.raises(RateLimited):
            limiter.check("a", rate=1, burst=1)
    now[0] += LOG_INTERVAL - 0.5
    limiter.check("a", rate=1, burst=1)
    with pytest.raises(RateLimited):
        limiter.check("a", rate=1, burst=1)
    now[0] += 1.0
    limiter.check("a", rate=1, burst=1)
    with pytest.raises(RateLimited):
        limiter.check("a", rate=1, burst=1)
    assert [r.getMessage() for r in caplog.records] == [
        "push refused (429 rate_limited) agent=a error=agent a pushes more than 1 reports a "
        "second (burst 1); retry in 1s",
        "push refused (429 rate_limited) agent=a error=agent a pushes more than 1 reports a "
        "second (burst 1); retry in 1s (4 more refused since the last line)"]


def _batch(exporter: str, samples: int) -> RenderedBatch:
    family = RenderedFamily("m", "gauge", "", b"", samples)
    return RenderedBatch(exporter, 1.0, 15.0, (family,), samples, 0, 0)


def test_series_after_replaces_batches_of_the_same_exporter() -> None:
    identity = Identity("a", "s", "d", "w", "ward-router", "", "ward")
    state = AgentState(IdentityLabels.of(identity))
    for exporter, samples in (("one", 30), ("two", 10)):
        batch = _batch(exporter, samples)
        state.batches[exporter] = StoredBatch(batch, batch.families, 0.0, 45.0)
    report = PreparedReport(1, (_batch("one", 5), _batch("three", 7), _batch("four", 100)),
                            1.0)
    assert series_after(state, report, frozenset()) == 10 + 5 + 7 + 100
    assert series_after(state, report, frozenset({2})) == 10 + 5 + 7   # late: not stored
    assert series_after(state, PreparedReport(2, (), -math.inf), frozenset()) == 40


def test_the_limits_are_read_from_collector_yml() -> None:
    config = parse_config("inventory: inv.yml\nlimits: {max_series_per_agent: 500, "
                          "max_reports_per_second: 3, max_report_burst: 9, "
                          "header_timeout_seconds: 5, body_timeout_seconds: 7}\n", "c.yml")
    limits = config.limits
    assert (limits.max_series_per_agent, limits.max_reports_per_second,
            limits.max_report_burst, limits.header_timeout_seconds,
            limits.body_timeout_seconds) == (500, 3, 9, 5, 7)
    with pytest.raises(ConfigError, match=r"c\.yml:2: limits: max_report_burst"):
        parse_config("inventory: inv.yml\nlimits: {max_report_burst: 0}\n", "c.yml")
