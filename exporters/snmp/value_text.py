"""SNMP values and index OIDs as text, exactly as snmp_exporter renders them.

These mirror ``indexOidsAsString`` and ``pduValueAsString`` of snmp_exporter's
``collector/collector.go`` (including its quirks: short indexes are padded with zeros,
``OctetString`` is ``0x`` + upper-case hex, invalid UTF-8 becomes U+FFFD once per run of bad
bytes). Unlike snmp_exporter, an absurd length read from an index (a lying agent) is capped
instead of allocated: netmon never lets a device size its memory.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import struct
from collections.abc import Mapping, Sequence
from typing import Final

from exporters.gofloat import format_f
from exporters.snmp.display_hint import apply_display_hint
from exporters.snmp.values import COUNTER64, OBJECT_IDENTIFIER, OPAQUE, Value

#: Types that are preceded by an enum column telling their real type (snmp_exporter's
#: ``combinedTypeMapping``).
COMBINED_TYPES: Final[Mapping[str, Mapping[int, str]]] = {
    "InetAddress": {1: "InetAddressIPv4", 2: "InetAddressIPv6"},
    "InetAddressMissingSize": {1: "InetAddressIPv4", 2: "InetAddressIPv6"},
    "LldpPortId": {1: "DisplayString", 2: "DisplayString", 3: "PhysAddress48",
                   5: "DisplayString", 7: "DisplayString"},
}
_MAX_INDEX_PAD: Final = 256
_FLOAT64_MANTISSA: Final = 1 << 53
_BAD_UTF8 = re.compile("[\udc80-\udcff]+")


def to_valid_utf8(raw: bytes) -> str:
    """Go's ``strings.ToValidUTF8(s, "\\uFFFD")``: each run of invalid bytes becomes one
    replacement character."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return _BAD_UTF8.sub("\ufffd", raw.decode("utf-8", "surrogateescape"))


def _split(oids: Sequence[int], count: int) -> tuple[list[int], list[int]]:
    """snmp_exporter's ``splitOid``: right-pad with zeros, split at ``count``."""
    count = min(count, len(oids) + _MAX_INDEX_PAD)
    head = list(oids[:count])
    if len(head) < count:
        head.extend([0] * (count - len(head)))
    return head, list(oids[count:])


def index_as_text(oids: Sequence[int], typ: str, fixed_size: int = 0, implied: bool = False,
                  enum_values: Mapping[int, str] | None = None
                  ) -> tuple[str, list[int], list[int]]:
    """One index value from the front of ``oids``: (text, OIDs used, OIDs left)."""
    mapping = COMBINED_TYPES.get(typ)
    if mapping is not None:
        if typ == "InetAddressMissingSize":
            sub, rest = _split(oids, 1)
        else:
            sub, rest = _split(oids, 2)
        real = mapping.get(sub[0])
        if real is not None:
            text, used, remaining = index_as_text(rest, real, 0, False, enum_values)
            return text, sub + used, remaining
        if typ == "InetAddressMissingSize":
            return index_as_text(oids, "OctetString", 0, True, enum_values)
        return index_as_text(oids, "OctetString", sub[1] + 2, False, enum_values)

    if typ in ("gauge", "counter", "Integer", "Integer32"):
        sub, rest = _split(oids, 1)
        return str(sub[0]), sub, rest
    if typ == "PhysAddress48":
        sub, rest = _split(oids, 6)
        return ":".join(f"{o:02X}" for o in sub), sub, rest
    if typ in ("OctetString", "DisplayString"):
        prefix: list[int] = []
        length = len(oids) if implied else fixed_size
        rest = list(oids)
        if length == 0:
            prefix, rest = _split(rest, 1)
            length = prefix[0]
        content, rest = _split(rest, length)
        raw = bytes(o & 0xFF for o in content)
        if typ == "OctetString":
            return ("0x" + raw.hex().upper() if raw else ""), prefix + content, rest
        return to_valid_utf8(raw), prefix + content, rest
    if typ in ("InetAddressIPv4", "IpAddr"):
        sub, rest = _split(oids, 4)
        return ".".join(map(str, sub)), sub, rest
    if typ == "InetAddressIPv6":
        sub, rest = _split(oids, 16)
        pairs = [f"{sub[i]:02X}{sub[i + 1]:02X}" for i in range(0, 16, 2)]
        return ":".join(pairs), sub, rest
    if typ == "EnumAsInfo":
        sub, rest = _split(oids, 1)
        state = (enum_values or {}).get(sub[0])
        return (state if state is not None else str(sub[0])), sub, rest
    raise ValueError(f"unknown index type {typ!r}")


def bytes_as_text(raw: bytes, typ: str) -> str:
    """An OCTET STRING value rendered for ``typ`` (the ``[]byte`` case of pduValueAsString)."""
    if typ in ("", "OctetString", "Bits"):
        return "0x" + raw.hex().upper() if raw else ""
    if typ == "DisplayString":
        return to_valid_utf8(raw)
    if typ == "PhysAddress48":
        head = raw[:6].ljust(6, b"\0")
        return ":".join(f"{b:02X}" for b in head)
    if typ in ("InetAddressIPv4", "IpAddr"):
        return ".".join(map(str, raw[:4].ljust(4, b"\0")))
    parts = list(raw)
    try:
        text, _, _ = index_as_text(parts, typ)
    except ValueError:
        return "0x" + raw.hex().upper() if raw else ""
    return to_valid_utf8(text.encode("utf-8", "surrogatepass"))


def value_as_text(tag: int, value: Value, typ: str, display_hint: str = "") -> str:
    """snmp_exporter's ``pduValueAsString``."""
    if isinstance(value, bytes):
        if display_hint and typ in ("", "OctetString"):
            hinted = apply_display_hint(display_hint, value)
            if hinted is not None:
                return to_valid_utf8(hinted.encode("utf-8", "surrogateescape"))
        return bytes_as_text(value, typ)
    if isinstance(value, bool):  # not produced by the decoder; keeps mypy's int honest
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_f(value, 32 if tag == OPAQUE and _is_float32(value) else 64)
    if isinstance(value, str):
        return value if tag == OBJECT_IDENTIFIER else to_valid_utf8(
            value.encode("utf-8", "surrogateescape"))
    return ""


def _is_float32(value: float) -> bool:
    try:
        return bool(struct.unpack(">f", struct.pack(">f", value))[0] == value)
    except OverflowError:
        return False


def pdu_number(tag: int, value: Value, wrap_counters: bool = True) -> float:
    """snmp_exporter's ``getPduValue``: the PDU as a float (0 for non-numbers)."""
    if isinstance(value, int):
        if tag == COUNTER64 and wrap_counters:
            return float(value % _FLOAT64_MANTISSA)
        return float(value)
    if isinstance(value, float):
        return value
    return 0.0


def parse_date_and_time(value: Value) -> float:
    """RFC 2579 DateAndTime (8 or 11 octets) to a Unix time, as snmp_exporter reads it."""
    if not isinstance(value, bytes):
        raise ValueError(f"invalid DateAndTime type {type(value).__name__}")
    if len(value) not in (8, 11):
        raise ValueError(f"invalid DateAndTime length {len(value)}")
    year = int.from_bytes(value[0:2], "big")
    month, day, hour, minute, second = value[2], value[3], value[4], value[5], value[6]
    offset = 0
    if len(value) == 11:
        direction = chr(value[8])
        if direction not in "+-":
            raise ValueError(f"invalid DateAndTime time zone direction {direction!r}")
        offset = (value[9] * 3600 + value[10] * 60) * (1 if direction == "+" else -1)
    # Go's time.Date normalises out-of-range fields (month 13, day 0, year 0, the all-zero
    # "unset" value): plain arithmetic on the proleptic Gregorian calendar does the same and
    # cannot overflow the way datetime does.
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    days = _days_from_civil(year, month, 1) + day - 1
    return float(days * 86400 + hour * 3600 + minute * 60 + second - offset)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def parse_date_with_pattern(text: str, pattern: str) -> float:
    """``ParseDateAndTime``: a strftime pattern, as snmp_exporter's timefmt reads it (UTC
    unless the pattern carries a zone)."""
    moment = dt.datetime.strptime(text, pattern)
    if moment.tzinfo is None:
        return float(calendar.timegm(moment.timetuple()))
    return float(moment.timestamp() // 1)


def parse_ntp_timestamp(value: Value) -> float:
    if not isinstance(value, bytes):
        raise ValueError(f"invalid NTPTimeStamp type {type(value).__name__}")
    if len(value) < 8:
        raise ValueError(f"invalid NTPTimeStamp length {len(value)}, expected at least 8")
    return float(int.from_bytes(value[:4], "big") - 2208988800)


def go_parse_float(text: str) -> float:
    """Go's ``strconv.ParseFloat(s, 64)`` for what regex extracts produce."""
    if not text or text != text.strip() or "_" in text:
        raise ValueError(f"invalid float {text!r}")
    try:
        return float(text)
    except ValueError:
        body = text.lstrip("+-")
        if body[:2].lower() == "0x":
            sign = -1.0 if text.startswith("-") else 1.0
            return sign * float.fromhex(body)
        raise
