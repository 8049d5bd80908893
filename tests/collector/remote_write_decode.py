"""A minimal protobuf decoder for remote_write's WriteRequest, written from the protobuf
encoding rules (not from netmon's encoder), for the tests and the fake receiver.

It reads any field order, skips unknown fields of every wire type, and refuses what a
strict decoder refuses: truncated varints and lengths past the end.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import cramjam


@dataclass(frozen=True)
class Series:
    labels: tuple[tuple[str, str], ...]      # in the order sent
    samples: tuple[tuple[float, int], ...]   # (value, timestamp ms)

    @property
    def label_dict(self) -> dict[str, str]:
        return dict(self.labels)


class DecodeError(ValueError):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise DecodeError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise DecodeError("varint too long")


def _fields(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """(field number, wire type, value): ints for varint/fixed, bytes for length-delimited."""
    out: list[tuple[int, int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            if pos + 8 > len(data):
                raise DecodeError("truncated fixed64")
            value = int.from_bytes(data[pos:pos + 8], "little")
            pos += 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise DecodeError("length past the end")
            value = data[pos:pos + length]
            pos += length
        elif wire == 5:
            if pos + 4 > len(data):
                raise DecodeError("truncated fixed32")
            value = int.from_bytes(data[pos:pos + 4], "little")
            pos += 4
        else:
            raise DecodeError(f"wire type {wire}")
        out.append((number, wire, value))
    return out


def _signed64(n: int) -> int:
    return n - (1 << 64) if n >= 1 << 63 else n


def decode_write_request(data: bytes) -> list[Series]:
    series = []
    for number, wire, value in _fields(data):
        if number != 1:
            continue
        if wire != 2 or not isinstance(value, bytes):
            raise DecodeError("timeseries is not a message")
        labels: list[tuple[str, str]] = []
        samples: list[tuple[float, int]] = []
        for n, w, v in _fields(value):
            if n == 1 and w == 2 and isinstance(v, bytes):
                name = val = ""
                for ln, lw, lv in _fields(v):
                    if lw == 2 and isinstance(lv, bytes):
                        if ln == 1:
                            name = lv.decode("utf-8")
                        elif ln == 2:
                            val = lv.decode("utf-8")
                labels.append((name, val))
            elif n == 2 and w == 2 and isinstance(v, bytes):
                sample_value, ts = 0.0, 0
                for sn, sw, sv in _fields(v):
                    if sn == 1 and sw == 1 and isinstance(sv, int):
                        sample_value = struct.unpack("<d", sv.to_bytes(8, "little"))[0]
                    elif sn == 2 and sw == 0 and isinstance(sv, int):
                        ts = _signed64(sv)
                samples.append((sample_value, ts))
        series.append(Series(tuple(labels), tuple(samples)))
    return series


def decode_body(body: bytes) -> list[Series]:
    """A remote_write HTTP body: snappy block format, then a WriteRequest."""
    return decode_write_request(bytes(cramjam.snappy.decompress_raw(body)))
