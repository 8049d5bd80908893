"""``POST /api/v1/push``: authenticate, read with a cap, decode, store, acknowledge.

=====  =============================================================================
200    ``{"ack": seq, "samples": n}`` stored; ``{"ack": seq, "duplicate": true}`` for a
       report already acknowledged (nothing stored or counted). ``"conflicts"`` and
       ``"duplicates"`` are added when families or series were dropped.
400    ``{"error": "batches[0].families[3].labels[1]: 'if-name' is not a valid ..."}``;
       also ``X-Netmon-Seq`` not the report's ``seq``
401    no ``Authorization: Bearer`` token, or one the inventory does not know (or no longer
       lists: revoked), or ``token expired`` (:mod:`collector.inventory`)
408    the body did not arrive within ``limits.body_timeout_seconds`` of the headers
413    the body, the inflated body, or a count (samples, batches, families) over the limits
422    the agent would hold more than ``limits.max_series_per_agent`` series
       (:mod:`collector.cardinality`)
415    Content-Type other than ``application/x-netmon-report+json`` (``version=1``), or a
       Content-Encoding other than gzip or identity
429    past the collector's capacity, with ``Retry-After`` (:mod:`collector.admission`), or
       the agent pushes faster than its rate limit (:mod:`collector.ratelimit`)
503    the inventory is not loaded yet, or changed while this push was being decoded
=====  =============================================================================

A report's *late* batches (:meth:`collector.store.Store.late`) are not stored: with
``remote_write`` configured they are spooled for the long-term store (with ``forward: all``
every batch is) before the push is acknowledged, so an acknowledged sample is never only in
memory; the answer then says ``"late": n``. Without remote_write their samples are counted in
``netmon_collector_dropped_total{reason="late"}``. A spool that fails answers 503 (nothing
stored: the agent sends the report again).

Every error is ``{"error": message}``. The order of checks is cheap first: readiness, token,
the agent's rate limit, headers, a duplicate announced by ``X-Netmon-Seq`` and
``X-Netmon-Created`` (answered without reading the body), admission
(:mod:`collector.admission`: 429 past capacity), then the body, read with the limit and a
deadline before anything is decompressed (the server runs with ``auto_decompress=False``;
:func:`netmon.wire.decode_report` inflates with a bomb guard), then, after decoding, the
agent's series count. A failed authentication is counted by reason and logged at most once
a minute per source address (:mod:`collector.auth_log`); no message ever holds the token or
its hash.

Decoding and rendering a ward router's report (1,030 samples, 5.4 kB gzipped) costs about
3 ms of CPU (``python -m tests.collector.measure``) and runs on the event loop. A body over
:data:`OFFLOAD_BYTES` (16 KiB: some 4,000 samples, 15 ms and more; 100 kB, 25,000 samples,
is about 100 ms) is decoded and rendered in a worker thread: it still holds the GIL while it
runs Python, but the interpreter hands the GIL back to the loop every 5 ms, so scrapes and
other pushes keep being served instead of waiting for the whole decode. The store is only
ever touched on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Final

from aiohttp import web

from collector.cardinality import check_series
from collector.errors import (
    BodyTimeout,
    ClientGone,
    MalformedReport,
    NoToken,
    NotReady,
    PushRefused,
    RateLimited,
    ReportTooLarge,
    TokenExpired,
    TooManySeries,
    Unauthorized,
    UnsupportedMedia,
)
from collector.peer import check_peer
from collector.prepare import PreparedReport, prepare
from collector.remote_write.config import Forward
from collector.remote_write.errors import SpoolError
from collector.runtime import Live, Runtime
from collector.selfmetrics import SelfMetrics
from collector.state import ADMISSION, AUTH_LOG, FORWARDER, LIVE, METRICS, RATE_LIMITER
from collector.store import Commit, Outcome, Store
from netmon.wire import BACKLOG_HEADER, CONTENT_TYPE, CREATED_HEADER, SEQ_HEADER, VERSION

log = logging.getLogger(__name__)

__all__ = ["OFFLOAD_BYTES", "push"]

#: Bodies larger than this (compressed) are decoded in a worker thread.
OFFLOAD_BYTES: Final = 16 * 1024
_MEDIA_TYPE: Final = CONTENT_TYPE.split(";")[0].strip()
_MAX_TOKEN: Final = 512


def _token(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN:
        raise NoToken("a push needs the header Authorization: Bearer <agent token>")
    return token


def _compressed(request: web.Request) -> bool:
    """Check Content-Type and Content-Encoding; True when the body is gzipped."""
    media, *params = request.headers.get("Content-Type", "").split(";")
    options = {k.strip().lower(): v.strip().strip('"')
               for k, _, v in (p.partition("=") for p in params)}
    if media.strip().lower() != _MEDIA_TYPE:
        raise UnsupportedMedia(f"Content-Type must be {CONTENT_TYPE}, not "
                               f"{request.headers.get('Content-Type', '(none)')!r}")
    if options.get("version", str(VERSION)) != str(VERSION):
        raise UnsupportedMedia(f"report version {options['version']!r} is not supported "
                               f"(this collector reads version {VERSION})")
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("gzip", "identity"):
        raise UnsupportedMedia(f"Content-Encoding {encoding!r} is not supported (gzip or "
                               "identity)")
    return encoding == "gzip"


async def _read(request: web.Request, limit: int, deadline: float) -> bytes:
    """The body, refused as soon as it passes ``limit`` bytes (before any decompression), or
    when it has not all arrived ``deadline`` seconds after the read began (a slow client)."""
    length = request.content_length
    if length is not None and length > limit:
        raise ReportTooLarge(f"body of {length} bytes exceeds {limit}")
    body = bytearray()
    try:
        async with asyncio.timeout(deadline):
            while chunk := await request.content.read(65536):
                body += chunk
                if len(body) > limit:
                    raise ReportTooLarge(f"body of more than {limit} bytes exceeds {limit}")
    except TimeoutError:
        raise BodyTimeout(f"the body did not arrive within {deadline:g}s "
                          f"({len(body)} bytes received)") from None
    return bytes(body)


def _authenticate(live: Live, runtime: Runtime, token: str) -> str:
    """The agent ``token`` belongs to now; raises 401 (unknown, revoked or expired)."""
    found = runtime.inventory.check_token(token, live.clock.wall())
    if found.failure == "expired":
        raise TokenExpired("token expired: deploy the agent's new token (netmon inventory "
                           "rotate-token) or extend its expires in the inventory")
    return _agent(found.agent or None)


async def push(request: web.Request) -> web.Response:
    live, metrics = request.app[LIVE], request.app[METRICS]
    agent_id = ""
    try:
        runtime, store = live.require()
        token = _token(request)
        agent_id = _authenticate(live, runtime, token)
        check_peer(request, agent_id)   # mutual TLS: the certificate names this agent
        limits = runtime.config.limits
        request.app[RATE_LIMITER].check(agent_id, limits.max_reports_per_second,
                                        limits.max_report_burst)
        compressed = _compressed(request)
        announced = _announced(request)
        if announced is not None and store.known_duplicate(agent_id, *announced):
            return _duplicate(agent_id, announced[0], before_reading=True)
        admission = request.app[ADMISSION]
        admission.check(runtime.config.admission, request.headers.get(BACKLOG_HEADER) == "1")
        with admission.admitted():
            commit = await _ingest(request, token, agent_id, compressed, announced)
    except PushRefused as exc:
        _refused(request, exc, agent_id)
        raise
    if commit.outcome is Outcome.DUPLICATE:
        return _duplicate(agent_id, commit.seq)
    metrics.ingest_samples.inc(commit.samples)
    answer: dict[str, int] = {"ack": commit.seq, "samples": commit.samples}
    if commit.conflicts:
        metrics.dropped.labels("type_conflict").inc(commit.conflicts)
        answer["conflicts"] = commit.conflicts
    if commit.duplicates:
        metrics.dropped.labels("duplicate_series").inc(commit.duplicates)
        answer["duplicates"] = commit.duplicates
    if commit.late:
        answer["late"] = commit.late
    return web.json_response(answer)


async def _ingest(request: web.Request, token: str, agent_id: str, compressed: bool,
                  announced: tuple[int, float] | None) -> Commit:
    """Read, decode and store an admitted push."""
    live, metrics = request.app[LIVE], request.app[METRICS]
    runtime, _ = live.require()
    limits = runtime.config.limits
    body = await _read(request, limits.max_compressed_bytes, limits.body_timeout_seconds)
    metrics.ingest_bytes.inc(len(body))
    if request.transport is None or request.transport.is_closing():
        raise ClientGone("the agent hung up while its push waited; not decoded")
    if compressed and body[:1] == b"{":
        compressed = _inflated_by_server(live)
    # a reload may have landed while the body was read: a revoked token stops here
    runtime, store = live.require()
    if _authenticate(live, runtime, token) != agent_id:
        raise Unauthorized("unknown token")
    started = time.perf_counter()
    state = store.agents[agent_id]
    ident = state.ident
    if len(body) > OFFLOAD_BYTES:
        prepared: PreparedReport = await asyncio.to_thread(
            prepare, body, ident, limits, compressed)
        if live.store is not store or store.agents.get(agent_id) is not state \
                or state.ident is not ident:
            raise NotReady("the inventory changed while this push was decoded; retry")
    else:
        prepared = prepare(body, ident, limits, compressed)
    if announced is not None and announced[0] != prepared.seq:
        raise MalformedReport(f"header {SEQ_HEADER} says {announced[0]} but the report's seq "
                              f"is {prepared.seq}")
    commit = await _commit(request, store, agent_id, prepared)
    metrics.ingest_duration.observe(time.perf_counter() - started)
    return commit


def _announced(request: web.Request) -> tuple[int, float] | None:
    """The report's seq and creation time from the agent's headers, when it sent both."""
    seq, created = request.headers.get(SEQ_HEADER), request.headers.get(CREATED_HEADER)
    if seq is None or created is None:
        return None
    try:
        values = int(seq), float(created)
    except ValueError:
        raise MalformedReport(f"headers {SEQ_HEADER} {seq[:40]!r} and {CREATED_HEADER} "
                              f"{created[:40]!r} must be an integer and a number") from None
    if values[0] < 0 or not math.isfinite(values[1]):
        raise MalformedReport(f"headers {SEQ_HEADER} {seq[:40]!r} and {CREATED_HEADER} "
                              f"{created[:40]!r} are out of range")
    return values


def _duplicate(agent_id: str, seq: int, before_reading: bool = False) -> web.Response:
    log.info("duplicate report acknowledged agent=%s seq=%d%s", agent_id, seq,
             " (body not read)" if before_reading else "")
    return web.json_response({"ack": seq, "duplicate": True})


async def _commit(request: web.Request, store: Store, agent_id: str,
                  prepared: PreparedReport) -> Commit:
    """Spool what goes to remote_write, then store the rest (late batches never)."""
    live, metrics = request.app[LIVE], request.app[METRICS]
    if store.is_duplicate(agent_id, prepared.seq, prepared.newest_ts):
        return store.commit(agent_id, prepared)
    wall = live.clock.wall()
    late = store.late(agent_id, prepared, wall)
    check_series(agent_id, store.agents[agent_id], prepared, late,
                 live.require()[0].config.limits.max_series_per_agent)
    forwarder = request.app.get(FORWARDER)
    if forwarder is not None:
        indexes = (range(len(prepared.raw)) if forwarder.config.forward is Forward.ALL
                   else sorted(late))
        if indexes:
            state = store.agents[agent_id]
            try:
                await forwarder.submit([prepared.raw[i] for i in indexes],
                                       state.ident.identity,
                                       store.acked_after(agent_id, prepared))
            except SpoolError as exc:
                log.error("push not stored: remote_write spool failed agent=%s error=%s",
                          agent_id, exc)
                raise NotReady("the remote_write spool failed; retry") from None
            if live.store is not store or store.agents.get(agent_id) is not state:
                raise NotReady("the inventory changed while this push was spooled; retry")
    commit = store.commit(agent_id, prepared, late)
    if commit.outcome is Outcome.ACCEPTED:
        _observe(metrics, prepared, late, wall, forwarded=forwarder is not None)
    return commit


def _observe(metrics: SelfMetrics, prepared: PreparedReport, late: frozenset[int],
             wall: float, forwarded: bool) -> None:
    late_samples = 0
    for index, batch in enumerate(prepared.batches):
        metrics.lateness.observe(max(0.0, wall - batch.ts), batch.samples)
        if index in late:
            late_samples += batch.samples
    if late_samples:
        metrics.late_samples.inc(late_samples)
        if not forwarded:
            metrics.dropped.labels("late").inc(late_samples)


def _agent(found: str | None) -> str:
    if found is None:
        raise Unauthorized("unknown token")
    return found


def _inflated_by_server(live: Live) -> bool:
    """aiohttp inflated a gzip body itself: the app runs without ``auto_decompress=False``.
    Memory stays bounded (the cap then counts inflated bytes), so the push is served; the
    operator is told once."""
    if not live.warned_inflated:
        live.warned_inflated = True
        log.error("the HTTP server inflated a gzip push before the collector could limit it: "
                  "run the app with collector.server.RUNNER_OPTIONS (auto_decompress=False)")
    return False


def _refused(request: web.Request, exc: PushRefused, agent_id: str) -> None:
    metrics = request.app[METRICS]
    metrics.rejected.labels(exc.reason).inc()
    if isinstance(exc, Unauthorized):
        metrics.auth_failures.labels(exc.failure).inc()
        request.app[AUTH_LOG].failed(request.remote or "-", exc.failure, str(exc))
        return
    if agent_id:
        store = request.app[LIVE].store
        if store is not None and agent_id in store.agents:
            store.count_rejected(agent_id)
            site = store.agents[agent_id].ident.identity.site
        else:
            site = ""
        if isinstance(exc, RateLimited):   # logged once a minute per agent by ratelimit
            return
        level = logging.WARNING if isinstance(exc, (MalformedReport, ReportTooLarge,
                                                    UnsupportedMedia, TooManySeries)) \
            else logging.INFO
        log.log(level, "push refused (%d %s) agent=%s site=%s source=%s error=%s", exc.status,
                exc.reason, agent_id, site, request.remote, exc)
    else:
        log.info("push refused (%d %s) source=%s", exc.status, exc.reason, request.remote)
