"""One remote_write request: POST a spooled body, and say what the answer means.

    POST <url>
    Content-Encoding: snappy                  Content-Type: application/x-protobuf
    X-Prometheus-Remote-Write-Version: 0.1.0  User-Agent: netmon-collector

=========================================  ==================================================
2xx                                        delivered
network error, timeout, 429, 5xx           :class:`Retryable` (``Retry-After`` honoured, up
                                           to ``backoff_max``)
any other status (400, 401, 404, 413...)   :class:`Rejected`, with the store's message
5xx saying a sample is outside what the     :class:`Rejected` as well: Prometheus 2.42 answers
TSDB accepts (``too old sample``...)        500 "too old sample" for a sample older than its
                                            out-of-order window (400 only for "out of
                                            bounds", "out of order sample"), and sending it
                                            again would fail forever
=========================================  ==================================================

Prometheus rolls the whole request back when one sample fails, so a rejection costs every
sample of the request: the spool keeps each report's batches in requests of their own, and
one report's samples share their age.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import aiohttp

from collector.remote_write.errors import Rejected, Retryable

__all__ = ["HEADERS", "send"]

HEADERS: Final = {
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
    "User-Agent": "netmon-collector",
}
_MESSAGE_BYTES: Final = 512
#: Prometheus TSDB errors (storage.Err*) that no retry can cure, whatever the status.
_PERMANENT: Final = ("too old sample", "out of bounds", "out of order sample",
                     "duplicate sample for timestamp")


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: rare from a store; the backoff applies
    return seconds if seconds >= 0 else None


async def send(session: aiohttp.ClientSession, url: str, body: bytes, timeout: float,
               headers: Mapping[str, str]) -> None:
    """POST ``body``; returns on 2xx, raises :class:`Retryable` or :class:`Rejected`."""
    try:
        async with session.post(url, data=body, headers={**headers, **HEADERS},
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            if 200 <= response.status < 300:
                await response.read()
                return
            text = (await response.content.read(_MESSAGE_BYTES)).decode("utf-8", "replace")
            message = f"HTTP {response.status}: {text.strip() or response.reason}"
            permanent = any(p in text.lower() for p in _PERMANENT)
            if (response.status == 429 or response.status >= 500) and not permanent:
                raise Retryable(message, response.status,
                                _retry_after(response.headers.get("Retry-After")))
            raise Rejected(message, response.status)
    except TimeoutError:
        raise Retryable(f"no answer within {timeout:g}s") from None
    except aiohttp.ClientError as exc:
        raise Retryable(f"{type(exc).__name__}: {exc}") from None
