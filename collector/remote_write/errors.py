"""Exceptions of remote_write.

    RemoteWriteError            forwarding to the long-term store did not happen
    +-- SendFailed              one request failed; ``message`` is the store's own words
    |   +-- Retryable           network error, timeout, 429, 5xx: sent again after a backoff
    |   +-- Rejected            any other status (400 for a sample out of the store's window):
    |                           the samples are dropped and counted as ``rejected``
    +-- SpoolError              the spool (SQLite) failed; a push that needed it is answered
                                503 so the agent sends it again
"""

from __future__ import annotations

__all__ = ["Rejected", "RemoteWriteError", "Retryable", "SendFailed", "SpoolError"]


class RemoteWriteError(Exception):
    """Base of remote_write's errors."""


class SendFailed(RemoteWriteError):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Retryable(SendFailed):
    def __init__(self, message: str, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class Rejected(SendFailed):
    pass


class SpoolError(RemoteWriteError):
    pass
