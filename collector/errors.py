"""Exceptions raised by the collector.

    CollectorError                the collector refuses something, on purpose, and says why
    +-- HttpError                 an answer to an HTTP request: ``status`` and a message
    |   +-- PushRefused           a push is refused; ``reason`` is its metric label
    |   |   +-- NotReady            503: the inventory is not loaded yet
    |   |   +-- Unauthorized        401: a token the inventory does not know; ``failure``
    |   |   |   |                   labels netmon_collector_auth_failures_total
    |   |   |   +-- NoToken           401: no ``Authorization: Bearer`` header
    |   |   |   +-- TokenExpired      401: a token past its ``expires``
    |   |   +-- UnsupportedMedia    415: wrong Content-Type, version or Content-Encoding
    |   |   +-- ReportTooLarge      413: the body, inflated body or sample count is over a limit
    |   |   +-- MalformedReport     400: the report is not valid (message names the field)
    |   |   +-- TooManySeries       422: the agent would hold more series than allowed
    |   |   +-- BodyTimeout         408: the body did not arrive within the read deadline
    |   |   +-- Throttled           429: the collector is past its capacity; ``retry_after``
    |   |   |   |                   seconds go in the Retry-After header
    |   |   |   +-- RateLimited       429: this agent pushes faster than its rate limit
    |   |   +-- ClientGone          499 (nginx's "client closed request"): the sender hung up
    |   |                           while its push waited; never answered, only counted
    |   +-- NotFound              404: no such scope, or no such agent in that scope
    |   +-- AgentDown             503: ``?agent=`` names an agent with no fresh report
    +-- ReloadFailed              a reload could not load the new config or inventory; the
                                  running ones are kept

Configuration and inventory files are refused with :class:`exporters.errors.ConfigError`
(shared with the exporters: the strict YAML helpers raise it), whose message names the file,
the line, the key and a fix. It is re-exported here so callers need one import.
"""

from __future__ import annotations

from typing import ClassVar

from exporters.errors import ConfigError

__all__ = ["AgentDown", "BodyTimeout", "ClientGone", "CollectorError", "ConfigError",
           "HttpError", "MalformedReport", "NoToken", "NotFound", "NotReady", "PushRefused",
           "RateLimited", "ReloadFailed", "ReportTooLarge", "Throttled", "TokenExpired",
           "TooManySeries", "Unauthorized", "UnsupportedMedia"]


class CollectorError(Exception):
    """Base of every refusal the collector makes on purpose."""


class HttpError(CollectorError):
    """Becomes an HTTP answer ``{"error": message}`` with :attr:`status`."""

    status: ClassVar[int] = 500


class PushRefused(HttpError):
    """A push is refused; :attr:`reason` labels ``netmon_collector_reports_rejected_total``."""

    reason: ClassVar[str] = "refused"


class NotReady(PushRefused):
    status = 503
    reason = "not_ready"


class Unauthorized(PushRefused):
    status = 401
    reason = "unauthorized"
    #: the ``reason`` label of ``netmon_collector_auth_failures_total``
    failure: ClassVar[str] = "unknown"


class NoToken(Unauthorized):
    failure = "missing"


class TokenExpired(Unauthorized):
    failure = "expired"


class UnsupportedMedia(PushRefused):
    status = 415
    reason = "unsupported_media_type"


class ReportTooLarge(PushRefused):
    status = 413
    reason = "too_large"


class MalformedReport(PushRefused):
    status = 400
    reason = "malformed"


class Throttled(PushRefused):
    status = 429
    reason = "throttled"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(Throttled):
    reason = "rate_limited"


class TooManySeries(PushRefused):
    status = 422
    reason = "too_many_series"


class BodyTimeout(PushRefused):
    status = 408
    reason = "body_timeout"


class ClientGone(PushRefused):
    status = 499
    reason = "client_gone"


class NotFound(HttpError):
    status = 404


class AgentDown(HttpError):
    """The agent is in the inventory but has no fresh report: Prometheus records ``up`` 0."""

    status = 503


class ReloadFailed(CollectorError):
    """The new config or inventory could not be loaded; the message says where and why."""
