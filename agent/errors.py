"""Exceptions of the agent.

    exporters.errors.ConfigError      agent.yml (or a file it names) is wrong: says file, line, fix
    +-- TokenFileError                the token file is missing, empty, malformed or too open
    DeliveryError                     one push of one report to one collector did not succeed
    +-- RetryableError                worth another try later: network, timeout, 5xx, 429, 408,
    |                                 401/403 (a token fixed on the collector makes it succeed),
    |                                 an answer without the right ack
    +-- RejectedError                 the collector refused the report itself (400, 413, ...):
                                      resending the same bytes can only fail again

Configuration errors are :class:`exporters.errors.ConfigError` because the loader reads YAML
with :mod:`exporters.snmp.yaml_nodes`, whose helpers raise it; the command line turns them
into exit status 2. Delivery errors never leave the shipper: they become
``netmon_agent_reports_failed_total{collector,reason}`` and, for a rejection, one log line.
"""

from __future__ import annotations

from exporters.errors import ConfigError

__all__ = ["ConfigError", "DeliveryError", "RejectedError", "RetryableError", "TokenFileError"]


class TokenFileError(ConfigError):
    """The token file cannot be used; the message says why and how to fix it."""


class DeliveryError(Exception):
    """One push did not succeed. ``reason`` is the ``reason`` label of the failure counter."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class RetryableError(DeliveryError):
    """Try the same report again after a backoff (at least ``retry_after`` seconds, when the
    collector said so with ``Retry-After``)."""

    def __init__(self, reason: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(reason, message)
        self.retry_after = retry_after


class RejectedError(DeliveryError):
    """The collector refused this report (a 4xx other than 401, 403, 408 and 429)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__("rejected", message)
        self.status = status
