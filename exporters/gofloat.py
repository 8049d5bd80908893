"""Go's float formatting, so netmon prints numbers the way node_exporter and snmp_exporter do.

* :func:`format_g` is ``strconv.FormatFloat(v, 'g', -1, 64)``, used by the Prometheus text
  format writer of Go's client (``1.6777216e+10``, ``123456``, ``1e-05``);
* :func:`format_f` is ``strconv.FormatFloat(v, 'f', -1, 64 or 32)``, used by snmp_exporter
  for Opaque float values shown as label text (shortest digits, never an exponent).
"""

from __future__ import annotations

import math
import struct


def split_decimal(text: str) -> tuple[str, int]:
    """Significant digits of a positive decimal in any notation Python prints, and the
    decimal exponent of the first one: ``"1234.5"`` -> ``("12345", 3)``."""
    mantissa, _, exp_text = text.lower().partition("e")
    exp = int(exp_text) if exp_text else 0
    whole, _, frac = mantissa.partition(".")
    raw = whole + frac
    stripped = raw.lstrip("0")
    if not stripped:
        return "0", 0
    exp += len(whole) - 1 - (len(raw) - len(stripped))
    return stripped.rstrip("0"), exp


def _shortest(magnitude: float, bits: int) -> tuple[str, int]:
    if bits == 32:
        for precision in range(1, 10):
            candidate = f"{magnitude:.{precision}g}"
            if struct.unpack(">f", struct.pack(">f", float(candidate)))[0] == magnitude:
                return split_decimal(candidate)
    return split_decimal(repr(magnitude))


def format_g(value: float) -> str:
    if value == 0:
        return "0"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if value < 0 else ""
    magnitude = -value if value < 0 else value
    if magnitude < 1e15 and magnitude.is_integer():
        text = str(int(magnitude))
        exp = len(text) - 1
        if exp < 6:
            return sign + text
        digits = text.rstrip("0")
    else:
        digits, exp = _shortest(magnitude, 64)
        if -4 <= exp < 6:
            return sign + _fixed(digits, exp)
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def format_f(value: float, bits: int = 64) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    magnitude = abs(value)
    if magnitude == 0:
        return sign + "0"
    digits, exp = _shortest(magnitude, bits)
    return sign + _fixed(digits, exp)


def _fixed(digits: str, exp: int) -> str:
    if exp < 0:
        return "0." + "0" * (-exp - 1) + digits
    point = exp + 1
    if len(digits) <= point:
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]
