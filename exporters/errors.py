"""Exceptions raised by exporters.

    ExporterError                 an exporter could not produce its families
    +-- ConfigError               a configuration file or value is wrong (says file, where, fix)
    +-- SnmpError                 anything SNMP
        +-- SnmpTimeout           the target did not answer within timeout x (retries + 1)
        +-- SnmpTransportError    the request could not be sent or the socket failed
        +-- SnmpProtocolError     the answer was not a valid SNMP message for our request
        +-- SnmpErrorStatus       the agent answered with a non-zero error-status
        +-- SnmpLimitExceeded     the walk grew past the bounds that protect memory and time
"""

from __future__ import annotations

from prometheus_client import Metric


class ExporterError(Exception):
    """An exporter could not produce its families.

    ``families`` carries what it could still say (for instance which of its parts failed and
    why, as metrics); the harness reports them beside its own failure metrics.
    """

    def __init__(self, message: str, families: list[Metric] | None = None) -> None:
        super().__init__(message)
        self.families: list[Metric] = families or []


class ConfigError(ExporterError):
    """A configuration file or value is wrong. The message names the file, where, and a fix."""


class SnmpError(ExporterError):
    """Base of every SNMP failure."""


class SnmpTimeout(SnmpError):
    """The target did not answer in time, after all retries."""


class SnmpTransportError(SnmpError):
    """The request could not be sent, or the socket failed."""


class SnmpProtocolError(SnmpError):
    """The answer was not a valid SNMP message for our request."""


class SnmpErrorStatus(SnmpError):
    """The agent answered with a non-zero error-status."""

    def __init__(self, message: str, status: int, index: int) -> None:
        super().__init__(message)
        self.status = status
        self.index = index


class SnmpLimitExceeded(SnmpError):
    """The walk grew past the bounds that protect memory and time."""
