"""Prometheus remote_write 1.0's messages, encoded by hand (four messages, a few lines: the
protobuf runtime would be a dependency for less than this file).

    message WriteRequest { repeated TimeSeries timeseries = 1; }   // 3 (metadata): unused
    message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
    message Label        { string name = 1; string value = 2; }
    message Sample       { double value = 1; int64 timestamp = 2; }   // milliseconds

The wire facts used: a string or message field is its key ``field << 3 | 2``, a varint
length and the bytes; a double is the key ``field << 3 | 1`` and 8 bytes little-endian; an
int64 is the key ``field << 3 | 0`` and the varint of its 64-bit two's complement (10 bytes
when negative). A WriteRequest is nothing but its ``timeseries`` fields one after the other,
so **two encoded WriteRequests concatenated are one WriteRequest holding both lists**: the
encoder builds series one by one and a request is a ``b"".join``.

Every function here returns the field *with* its key and length, ready to be concatenated
into the enclosing message.
"""

from __future__ import annotations

import struct
from typing import Final

__all__ = ["label_field", "label_prefix", "sample_field", "sample_fields", "timeseries_field",
           "timeseries_head", "varint"]

_SMALL: Final = tuple(bytes((i,)) for i in range(128))
_DOUBLE: Final = struct.Struct("<d")
_LABEL: Final = b"\x0a"        # TimeSeries.labels (1, message); Label.name (1, string)
_VALUE: Final = b"\x12"        # Label.value (2, string); TimeSeries.samples (2, message)
_SERIES: Final = b"\x0a"       # WriteRequest.timeseries (1, message)
_SAMPLE_VALUE: Final = b"\x09"  # Sample.value (1, double)
_SAMPLE_TS: Final = b"\x10"     # Sample.timestamp (2, varint)


def varint(n: int) -> bytes:
    """Base-128 varint of ``n``; a negative ``n`` as its 64-bit two's complement."""
    if 0 <= n < 128:
        return _SMALL[n]
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def label_prefix(name: str) -> bytes:
    """The constant head of a Label's body for ``name``: key, length and the name, then the
    value's key (append ``varint(len(value)) + value`` to finish the body)."""
    raw = name.encode()
    return _LABEL + varint(len(raw)) + raw + _VALUE


def label_field(name: str, value: str, prefix: bytes | None = None) -> bytes:
    """``TimeSeries.labels`` entry for ``name="value"`` (``prefix``: :func:`label_prefix`)."""
    raw = value.encode()
    body = (prefix if prefix is not None else label_prefix(name)) + varint(len(raw)) + raw
    return _LABEL + varint(len(body)) + body


def sample_field(value: float, timestamp_ms: int) -> bytes:
    """``TimeSeries.samples`` entry."""
    body = _SAMPLE_VALUE + _DOUBLE.pack(value) + _SAMPLE_TS + varint(timestamp_ms)
    return _VALUE + varint(len(body)) + body


def sample_fields(timestamp_ms: int) -> tuple[bytes, bytes]:
    """The constant parts of every ``TimeSeries.samples`` entry at ``timestamp_ms``: the
    entry is ``head + struct.pack("<d", value) + tail`` (what :func:`sample_field` gives)."""
    tail = _SAMPLE_TS + varint(timestamp_ms)
    return _VALUE + varint(9 + len(tail)) + _SAMPLE_VALUE, tail


def timeseries_head(labels: bytes, samples_length: int) -> bytes:
    """The start of a ``WriteRequest.timeseries`` entry up to its sample fields: append
    ``samples_length`` bytes of sample fields to finish it."""
    return _SERIES + varint(len(labels) + samples_length) + labels


def timeseries_field(labels: bytes, samples: bytes) -> bytes:
    """``WriteRequest.timeseries`` entry from already encoded label and sample fields."""
    return _SERIES + varint(len(labels) + len(samples)) + labels + samples
