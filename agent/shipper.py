"""Delivering reports to one collector: in order, with retries, exponential backoff and jitter.

One :class:`Shipper` per collector takes the next report from its
:class:`~agent.outbox.Delivery` (the spool's order: the newest first, then the backlog oldest
first, paced; see :mod:`agent.spool_cursor`) and POSTs it to ``<url>/api/v1/push`` through
the process's one ``aiohttp.ClientSession``::

    Authorization: Bearer <token>      Content-Type: application/x-netmon-report+json; version=1
    Content-Encoding: gzip             (body: netmon.wire.encode_report's bytes)
    X-Netmon-Seq, X-Netmon-Created     (the report's seq and creation time)
    X-Netmon-Backlog: 1                (a catch-up report: a busy collector defers it first)

and only moves to the next one when this one is done. What an answer means:

=================================  ==========================================================
200 (any 2xx) with ``{"ack": seq}``  delivered: counted in sent, bytes, last success
network error, timeout, 408         retried (reasons ``connection``, ``timeout``)
429, 5xx                            retried, no sooner than ``Retry-After`` (up to the backoff
                                    cap) (``throttled``, ``server_error``); a backlog report
                                    deferred with 429 goes back to the backlog, and a live
                                    report arriving meanwhile goes first
401, 403                            retried: the token or the inventory is wrong, and fixing
                                    it on the collector (``/-/reload``) makes the spooled
                                    reports deliverable without restarting the agent
                                    (``unauthorized``)
2xx without the right ack           retried: only an ack is a delivery; the collector
                                    deduplicates by seq, so resending is harmless
                                    (``bad_answer``)
any other status (400, 413, 3xx)    the report is dropped: the collector refused these very
                                    bytes and would refuse them again (``rejected``)
=================================  ==========================================================

Backoff is "full jitter": before retry ``n`` the shipper sleeps a uniform random time in
``[0, min(backoff_max, backoff_base * 2**(n-1))]``, so agents that lost a collector together
do not come back in step. ``retries`` (default unlimited) drops a report after that many
failed retries; a report the spool dropped meanwhile (a bound reached) is given up before the
next retry, and counted by the spool. Trouble is logged once per episode: the first failure
(with the collector's own error message for a rejection) and the recovery, with how many
attempts failed between.

An ``https://`` collector is verified (:mod:`netmon.web.client`: its ``tls`` CA, or the
system's) and, with ``tls.cert_file``, given the agent's certificate (mutual TLS). The context
is built once per shipper and passed on each request, so agents sharing one session (the
demo) each keep their own certificate. A certificate that does not verify is a ``connection``
failure, retried (the report stays in the spool), logged as a TLS error saying what to check.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from agent.config import CollectorConfig, ShippingConfig
from agent.errors import DeliveryError, RejectedError, RetryableError
from agent.metrics import AgentMetrics
from agent.outbox import Delivery
from agent.report import EncodedReport
from exporters.secrets import Secret
from netmon.web.client import TlsClientConfig, client_context
from netmon.wire import BACKLOG_HEADER, CONTENT_TYPE, CREATED_HEADER, SEQ_HEADER

try:
    import orjson

    def _loads(data: bytes) -> Any:
        return orjson.loads(data)
except ImportError:  # pragma: no cover - orjson is a dependency
    import json

    def _loads(data: bytes) -> Any:
        return json.loads(data)

__all__ = ["USER_AGENT", "Shipper", "backoff_delay", "classify"]

log = logging.getLogger(__name__)

USER_AGENT = "netmon-agent/1"
#: How much of a collector's answer is read: an ack, or an error message for the log.
MAX_ANSWER_BYTES = 4096
_MESSAGE_CHARS = 500


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random,
                  retry_after: float | None = None) -> float:
    """Seconds to wait before retry ``attempt`` (1 for the first retry): full jitter, and no
    sooner than the collector's ``Retry-After`` (itself capped at ``cap``)."""
    ceiling = min(cap, base * 2 ** min(attempt - 1, 62))
    delay = rng.uniform(0, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is ignored)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _message(body: bytes) -> str:
    """The collector's error message: ``{"error": ...}`` when it is JSON, else the text."""
    try:
        doc = _loads(body)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("error"), str):
        text = doc["error"]
    else:
        text = body.decode("utf-8", "replace")
    text = " ".join(text.split())
    return text[:_MESSAGE_CHARS] + ("..." if len(text) > _MESSAGE_CHARS else "")


def classify(status: int, body: bytes, seq: int, retry_after: str | None = None) -> None:
    """Return when ``status`` and ``body`` acknowledge report ``seq``; raise the
    :class:`~agent.errors.DeliveryError` they mean otherwise."""
    if 200 <= status < 300:
        try:
            doc = _loads(body)
        except ValueError:
            doc = None
        ack = doc.get("ack") if isinstance(doc, dict) else None
        if ack == seq and isinstance(ack, int):
            return
        raise RetryableError("bad_answer", f"HTTP {status} without the ack of seq {seq}: "
                             f"{_message(body)!r}")
    message = f"HTTP {status}: {_message(body)}"
    if status in (401, 403):
        raise RetryableError("unauthorized", message)
    if status == 408:
        raise RetryableError("timeout", message)
    if status == 429:
        raise RetryableError("throttled", message, _retry_after(retry_after))
    if status >= 500:
        raise RetryableError("server_error", message, _retry_after(retry_after))
    raise RejectedError(status, message)


def _tls_reason(exc: aiohttp.ClientSSLError) -> str:
    cause = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {cause.verify_message}"
    return str(getattr(cause, "reason", None) or cause)


class Shipper:
    """Delivers one collector's reports, one at a time, until cancelled or stopped
    (:meth:`stop_after_push`)."""

    def __init__(self, collector: CollectorConfig, delivery: Delivery,
                 session: aiohttp.ClientSession, token: Secret, shipping: ShippingConfig,
                 metrics: AgentMetrics, *, agent_id: str = "",
                 rng: random.Random | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 clock: Callable[[], float] = time.time) -> None:
        self.collector = collector
        self.delivery = delivery
        self.session = session
        self.token = token
        self.shipping = shipping
        self.metrics = metrics
        self.agent_id = agent_id
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._sleep = sleep
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=collector.timeout)
        tls = collector.tls or TlsClientConfig()
        self._ssl: ssl.SSLContext | bool = client_context(tls) if collector.https else True
        self._server_name = tls.server_name or None
        self._failing = 0    # failed attempts in the current episode (0: all is well)
        self._rejecting = 0  # rejected reports in the current episode
        self._stopping = False
        self._pushing = False  # a push is with the collector, or its answer being recorded

    async def run(self) -> None:
        while not self._stopping:
            report = await self.delivery.next()
            try:
                delivered = await self.deliver(report)
                if delivered is not None:
                    await self.delivery.done(report, delivered)
            finally:
                self._pushing = False

    def stop_after_push(self) -> bool:
        """Stop once the push in flight, if any, is answered and its answer recorded; True
        when there is one (wait for :meth:`run` to return, up to the collector's
        ``timeout``), False when the shipper can be cancelled at once. Cancelling a push the
        collector has taken would send it again at the next start: a duplicate the collector
        must recognise (tests/agent/test_spool_faults.py counts them)."""
        self._stopping = True
        return self._pushing

    async def deliver(self, report: EncodedReport) -> bool | None:
        """Push one report until it is acknowledged (True) or given up (False); None when a
        backlog report was deferred by the collector (429) and went back to the backlog."""
        name = self.collector.name
        retries = 0
        while True:
            self._pushing = True
            try:
                await self.post(report)
            except RejectedError as exc:
                self._pushing = False
                self.metrics.failure(name, exc.reason)
                self.metrics.drop(name, "rejected")
                self._rejected(report, exc)
                return False
            except RetryableError as exc:
                self._pushing = False
                self.metrics.failure(name, exc.reason)
                self._failed(report, exc)
                retries += 1
                if self._stopping:
                    return None          # kept in the spool for the next start
                if not self.delivery.kept(report):
                    log.debug("report dropped by the spool while it was being sent, given up "
                              "agent=%s collector=%s seq=%d", self.agent_id, name, report.seq)
                    return False
                if report.backlog and exc.reason == "throttled":
                    await self._defer(report, retries, exc)
                    return None
                if self.shipping.retries is not None and retries > self.shipping.retries:
                    self.metrics.drop(name, "retries")
                    log.warning("report dropped after %d retries agent=%s collector=%s seq=%d "
                                "exporter=%s", self.shipping.retries, self.agent_id, name,
                                report.seq, report.exporter)
                    return False
                await self._sleep(backoff_delay(retries, self.shipping.backoff_base,
                                                self.shipping.backoff_max, self._rng,
                                                exc.retry_after))
                continue
            self.metrics.delivered(name, len(report.body), self._clock())
            self._recovered()
            return True

    async def post(self, report: EncodedReport) -> None:
        """One push; raises :class:`~agent.errors.DeliveryError` unless acknowledged."""
        headers = {"Authorization": f"Bearer {self.token.reveal()}",
                   "Content-Type": CONTENT_TYPE, "Content-Encoding": "gzip",
                   "User-Agent": USER_AGENT, SEQ_HEADER: str(report.seq),
                   CREATED_HEADER: repr(report.created)}
        if report.backlog:
            headers[BACKLOG_HEADER] = "1"
        try:
            async with self.session.post(self.collector.push_url, data=report.body,
                                         headers=headers, timeout=self._timeout,
                                         allow_redirects=False, ssl=self._ssl,
                                         server_hostname=self._server_name) as response:
                body = await response.content.read(MAX_ANSWER_BYTES)
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except TimeoutError:
            raise RetryableError("timeout", f"no answer within {self.collector.timeout:g}s"
                                 ) from None
        except aiohttp.ClientSSLError as exc:
            raise RetryableError("connection", f"TLS handshake failed ({_tls_reason(exc)}): "
                                 "check the collector's certificate and this agent's "
                                 "tls.ca_file, tls.server_name and client certificate"
                                 ) from None
        except aiohttp.ClientError as exc:
            raise RetryableError("connection", f"{type(exc).__name__}: {exc}") from None
        classify(status, body, report.seq, retry_after)

    async def _defer(self, report: EncodedReport, retries: int, exc: RetryableError) -> None:
        """A busy collector deferred a backlog report: it goes back to the backlog, and the
        shipper waits out the backoff (at least the collector's ``Retry-After``), unless a
        new live report arrives meanwhile: that one goes at once, as the collector admits
        live data before backlog. A deferral is not a failed retry: ``retries`` does not
        give up on backlog a collector asked to wait for."""
        await self.delivery.requeue(report)
        delay = backoff_delay(retries, self.shipping.backoff_base, self.shipping.backoff_max,
                              self._rng, exc.retry_after)
        if await self.delivery.wait_newer(delay):
            log.debug("backlog deferred, a live report goes first agent=%s collector=%s "
                      "seq=%d", self.agent_id, self.collector.name, report.seq)

    # --- one log line per episode -----------------------------------------------------------

    def _failed(self, report: EncodedReport, exc: DeliveryError) -> None:
        if not self._failing:
            log.warning("push failed, will retry agent=%s collector=%s seq=%d reason=%s "
                        "error=%s", self.agent_id, self.collector.name, report.seq, exc.reason,
                        exc)
        else:
            log.debug("push failed again agent=%s collector=%s seq=%d reason=%s error=%s",
                      self.agent_id, self.collector.name, report.seq, exc.reason, exc)
        self._failing += 1

    def _rejected(self, report: EncodedReport, exc: RejectedError) -> None:
        if not self._rejecting:
            log.error("collector rejected a report, dropped (a bug or a misconfiguration: "
                      "resending cannot help) agent=%s collector=%s seq=%d exporter=%s "
                      "status=%d error=%s", self.agent_id, self.collector.name, report.seq,
                      report.exporter, exc.status, exc)
        else:
            log.debug("collector rejected a report agent=%s collector=%s seq=%d error=%s",
                      self.agent_id, self.collector.name, report.seq, exc)
        self._rejecting += 1

    def _recovered(self) -> None:
        if self._failing or self._rejecting:
            log.info("push succeeded again agent=%s collector=%s failed_attempts=%d "
                     "rejected_reports=%d", self.agent_id, self.collector.name, self._failing,
                     self._rejecting)
        self._failing = self._rejecting = 0
